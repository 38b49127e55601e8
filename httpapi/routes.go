package httpapi

import "net/http"

// routes lists every route of the API. Everything under /api/ passes the
// signature check; nothing is served without it. Beside it, only with
// --emulator, the control plane under /_ncm/v1/ takes the admin token
// instead (its routes: control.go).
func (s *Server) routes() http.Handler {
	api := &routeMux{ServeMux: http.NewServeMux()} // records patterns for Routes (routelist.go)

	// API 2.0: Advanced certificates.
	api.Handle("GET /api/v2/certificate/getPaidCertificates", s.handleListAdvancedCertificates())
	api.Handle("POST /api/v2/certificate/requestPaidCertificateIssuance", s.handleRequestAdvancedCertificate())
	api.Handle("POST /api/v2/certificate/registPrivateKey", s.handleRegisterPrivateKey())

	// API 1.0 and 2.0: certificate intake, lists, export, delete.
	// (certificates.go)
	api.Handle("GET /api/v1/certificates", s.handleV1ListCertificates())
	api.Handle("POST /api/v1/certificate/withExternal", s.handleV1CreateExternalCertificate())
	api.Handle("DELETE /api/v1/certificate/{certificateNo}", s.handleDeleteCertificate())
	api.Handle("POST /api/v2/certificate/withExternal", s.handleRegisterExternalCertificate())
	api.Handle("GET /api/v2/certificate/certificates", s.handleListCertificates(nil))
	api.Handle("GET /api/v2/certificate/getCertificates", s.handleListCertificates(cloudTypes))
	api.Handle("GET /api/v2/certificate/certificateTypes", s.handleListCertificateTypes())
	api.Handle("GET /api/v2/certificate/exportCertificate/{certificateNo}/chain", s.handleGetCertificateChain())
	api.Handle("POST /api/v2/certificate/exportCertificate/{certificateNo}", s.handleDownloadCertificate())
	api.Handle("DELETE /api/v2/certificate/deleteCertificate/{certificateNo}", s.handleDeleteCertificate())

	// API 2.0: orders, domain validation, reissue, revoke, renewal, domains,
	// organizations, ACME EAB credentials. (lifecycle.go)
	api.Handle("GET /api/v2/certificate/orders", s.handleListOrders())
	api.Handle("GET /api/v2/certificate/orders/{orderId}", s.handleGetOrder())
	api.Handle("POST /api/v2/certificate/subscription/extend", s.handleSubscriptionExtend())
	api.Handle("GET /api/v2/certificate/getVerificationInfo/{certificateNo}", s.handleListDcvStatuses())
	api.Handle("GET /api/v2/certificate/recentChanges", s.handleRecentChanges())
	// {action} is "reissue" (anything else answers the 404 envelope): a
	// literal reissue would clash with POST exportCertificate/{certificateNo}.
	api.Handle("POST /api/v2/certificate/{certificateNo}/{action}", s.handleReissue())
	api.Handle("POST /api/v2/certificate/revoke", s.handleRevoke())
	api.Handle("POST /api/v2/certificate/setCertificateRenewal", s.handleSetRenewal())
	api.Handle("POST /api/v2/certificate/requestCertificateIssuance", s.handleCloudBasicRequest())
	api.Handle("POST /api/v2/certificate/requestGedCertificateIssuance", s.handleGlobalEdgeRequest())
	api.Handle("GET /api/v2/domain/domains", s.handleListDomains())
	api.Handle("POST /api/v2/domain/domains", s.handleRegisterDomain())
	api.Handle("DELETE /api/v2/domain/domains/{dmnId}", s.handleDeleteDomain())
	api.Handle("POST /api/v2/organization/getOrganizationInfoList", s.handleListOrganizations())
	api.Handle("GET /api/v2/acme/accounts", s.handleListEab())
	api.Handle("POST /api/v2/acme/account", s.handleCreateEab())
	api.Handle("POST /api/v2/acme/account/{accountId}/deactivate", s.handleDeactivateEab())

	s.patterns = api.patterns
	return s.withControl(api.ServeMux, s.gateway(api.ServeMux)) // control.go: /_ncm/ with --emulator
}

// gateway wraps the API routes in the middleware that NCP's API gateway
// applies, outermost first: trace ID and origin headers, panic recovery,
// access log, route check (404 envelope), body limit, signature check.
func (s *Server) gateway(api *http.ServeMux) http.Handler {
	var h http.Handler = api
	h = s.abuse(h) // abuse.go: rate limit and replay memory, per authenticated key
	h = s.authenticate(h)
	h = s.limitBody(h)
	h = s.injectFaults(api, h) // control.go: the emulator's faults, when on
	h = s.requireRoute(api, h)
	h = s.accessLog(h)
	h = s.recoverPanics(h)
	h = s.trace(h)
	return h
}
