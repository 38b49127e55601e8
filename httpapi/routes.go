package httpapi

import "net/http"

// routes lists every route of the API. Everything under /api/ passes the
// signature check; nothing is served without it.
func (s *Server) routes() http.Handler {
	api := http.NewServeMux()

	// API 2.0: Advanced certificates.
	api.Handle("GET /api/v2/certificate/getPaidCertificates", s.handleListAdvancedCertificates())
	api.Handle("POST /api/v2/certificate/requestPaidCertificateIssuance", s.handleRequestAdvancedCertificate())
	api.Handle("POST /api/v2/certificate/registPrivateKey", s.handleRegisterPrivateKey())

	// API 1.0 and 2.0: certificate intake, lists, export, delete.
	// (certificates.go)

	// API 2.0: orders, domain validation, reissue, revoke, renewal, domains,
	// organizations, ACME EAB credentials. (lifecycle.go)

	return s.gateway(api)
}

// gateway wraps the API routes in the middleware that NCP's API gateway
// applies, outermost first: trace ID and origin headers, panic recovery,
// access log, route check (404 envelope), body limit, signature check.
func (s *Server) gateway(api *http.ServeMux) http.Handler {
	var h http.Handler = api
	h = s.authenticate(h)
	h = s.limitBody(h)
	h = s.requireRoute(api, h)
	h = s.accessLog(h)
	h = s.recoverPanics(h)
	h = s.trace(h)
	return h
}
