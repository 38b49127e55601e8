package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
)

// order renders an order with its certificates (ListOrders, GetOrder).
func (s *Server) order(v service.OrderView, now time.Time) ncpapi.Order {
	o := v.Order
	out := ncpapi.Order{
		OrderID:           o.IDString(),
		SubscriptionYears: o.SubscriptionYears,
		ExtendableYears:   service.ExtendableYears(o, now, s.DisplayZone),
		Certificates:      make([]ncpapi.AdvancedCertificate, 0, len(v.Certificates)),
	}
	if o.SubscriptionStart != nil && o.SubscriptionEnd != nil {
		start := o.SubscriptionStart.In(s.DisplayZone).Format(ncpapi.SubscriptionLayout)
		end := o.SubscriptionEnd.In(s.DisplayZone).Format(ncpapi.SubscriptionLayout)
		// Whole days left, rounded down, so the value turns negative the
		// moment the subscription ends.
		days := int(math.Floor(o.SubscriptionEnd.Sub(now).Hours() / 24))
		out.SubscriptionStartDt, out.SubscriptionEndDt, out.RemainingDays = &start, &end, &days
	}
	for _, c := range v.Certificates {
		out.Certificates = append(out.Certificates, s.advancedCertificate(c, now))
	}
	return out
}

// handleListOrders serves GET /api/v2/certificate/orders (ListOrders): the
// member's orders by orderId, paged (pageSize 0 = all), with their
// subscription and certificates.
func (s *Server) handleListOrders() http.Handler {
	return s.api("totalCount", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		page, size, err := queryPaging(q)
		if err != nil {
			return err
		}
		views, total, err := s.Service.ListOrders(r.Context(), principal(r), page, size)
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		out := ncpapi.ListOrdersResponse{Result: success(), TotalCount: total, Orders: make([]ncpapi.Order, 0, len(views))}
		for _, v := range views {
			out.Orders = append(out.Orders, s.order(v, now))
		}
		writeOK(w, out)
		return nil
	})
}

// handleGetOrder serves GET /api/v2/certificate/orders/{orderId} (GetOrder).
func (s *Server) handleGetOrder() http.Handler {
	return s.api("totalCount", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.Service.GetOrder(r.Context(), principal(r), r.PathValue("orderId"))
		if err != nil {
			return err
		}
		writeOK(w, ncpapi.GetOrderResponse{Result: success(), TotalCount: len(v.Certificates), Order: s.order(*v, s.Clock.Now())})
		return nil
	})
}

// handleSubscriptionExtend serves POST /api/v2/certificate/subscription/extend
// (SubscriptionExtend). The answer has no count field, as documented.
func (s *Server) handleSubscriptionExtend() http.Handler {
	return s.api("", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.SubscriptionExtendRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		if _, err := s.Service.SubscriptionExtend(r.Context(), principal(r), string(in.OrderID), in.SubscriptionPeriod); err != nil {
			return err
		}
		writeOK(w, success())
		return nil
	})
}

// handleListDcvStatuses serves
// GET /api/v2/certificate/getVerificationInfo/{certificateNo}
// (ListDcvStatuses): the TXT record to publish for each domain (only
// domainAddress's, when given) and how its validation stands.
func (s *Server) handleListDcvStatuses() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		no, err := pathInt(r, "certificateNo")
		if err != nil {
			return err
		}
		dcvs, err := s.Service.DCVStatuses(r.Context(), principal(r), no, r.URL.Query().Get("domainAddress"))
		if err != nil {
			return err
		}
		out := ncpapi.DCVStatusesResponse{
			RowsResult:            ncpapi.RowsResult{Result: success(), TotalRows: len(dcvs)},
			DNSVerificationCount:  len(dcvs),
			DNSVerificationList:   make([]ncpapi.DNSVerification, 0, len(dcvs)),
			EmailVerificationList: []any{},
		}
		for _, d := range dcvs {
			out.DNSVerificationList = append(out.DNSVerificationList, ncpapi.DNSVerification{
				ValidSn: d.ID, RequestSn: strconv.FormatInt(d.CertificateNo, 10), ValidStatusCode: string(d.Status),
				TxtName: d.RecordName, TxtValue: d.RecordValue, DomainAddress: d.Domain, ValidationMethod: d.Method,
				LastCheckDate: ncpapi.FormatDatePtr(d.LastCheck, s.DisplayZone),
				ExpireDate:    ncpapi.FormatDate(d.Deadline, s.DisplayZone),
			})
		}
		writeOK(w, out)
		return nil
	})
}

// handleRecentChanges serves GET /api/v2/certificate/recentChanges
// (ListRecentCertChanges): the certificates whose status changed in the
// window given by minutes, seconds, or startDateTime with endDateTime.
func (s *Server) handleRecentChanges() http.Handler {
	return s.api("totalCount", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		var win service.ChangeWindow
		var err error
		if win.Minutes, err = windowInt(q.Get("minutes"), "minutes"); err != nil {
			return err
		}
		if win.Seconds, err = windowInt(q.Get("seconds"), "seconds"); err != nil {
			return err
		}
		for _, f := range []struct {
			name string
			dst  **time.Time
		}{{"startDateTime", &win.Start}, {"endDateTime", &win.End}} {
			if v := q.Get(f.name); v != "" {
				t, err := ncpapi.ParseDate(v, s.DisplayZone)
				if err != nil {
					return ncm.Invalid(f.name, "%v", err)
				}
				*f.dst = &t
			}
		}
		changes, err := s.Service.RecentChanges(r.Context(), principal(r), win)
		if err != nil {
			return err
		}
		out := ncpapi.RecentChangesResponse{Result: success(), TotalCount: len(changes), Orders: make([]ncpapi.RecentChange, 0, len(changes))}
		for _, c := range changes {
			out.Orders = append(out.Orders, ncpapi.RecentChange{OrderID: orderID(c.OrderID), CertificateID: c.CertificateNo, Status: c.Status.Name()})
		}
		writeOK(w, out)
		return nil
	})
}

// windowInt reads minutes or seconds: absent is 0, otherwise a positive
// integer (the range is the service's rule).
func windowInt(v, name string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, ncm.Invalid(name, "must be a positive integer, got %q", v)
	}
	return n, nil
}

// handleReissue serves POST /api/v2/certificate/{certificateNo}/reissue
// (ReissueCertificate). The answer carries the new certificate as
// paidCertificate, like a request's.
func (s *Server) handleReissue() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		if r.PathValue("action") != "reissue" {
			s.writeGatewayError(w, gwNotFound, "no route for "+r.Method+" "+r.URL.Path)
			return nil
		}
		no, err := pathInt(r, "certificateNo")
		if err != nil {
			return err
		}
		var in ncpapi.ReissueRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		cert, order, err := s.Service.Reissue(r.Context(), principal(r), no, service.ReissueRequest{
			CSR: in.CSR, CertificateName: in.CertificateName, CommonName: in.CommonName,
			DNSNames: in.DNSName, ValidationMethod: in.ValidationMethod,
		})
		if err != nil {
			return err
		}
		writeOK(w, ncpapi.AdvancedCertificateResponse{
			RowsResult:      ncpapi.RowsResult{Result: success(), TotalRows: 1},
			PaidCertificate: s.paidCertificate(cert, order),
		})
		return nil
	})
}

// paidCertificate is the request result of Advanced requests and reissues.
func (s *Server) paidCertificate(cert *ncm.Certificate, order *ncm.Order) *ncpapi.PaidCertificate {
	st := cert.EffectiveStatus(s.Clock.Now())
	return &ncpapi.PaidCertificate{
		CertificateNo:    cert.No,
		CertificateName:  cert.Name,
		OrderID:          order.IDString(),
		CertificateType:  string(cert.Type),
		CommonName:       cert.CommonName,
		DNSName:          strings.Join(cert.DNSNames, ","),
		ValidationMethod: cert.ValidationMethod,
		StatusCode:       ncpapi.FlexString(st.Code()),
		StatusName:       st.Name(),
		RegistDate:       ncpapi.FormatDate(cert.RegistDate, s.DisplayZone),
	}
}

// handleRevoke serves POST /api/v2/certificate/revoke (RevokeCertificate):
// one certificate of an order, or every one for certificateNo 0. totalRows
// is the number revoked.
func (s *Server) handleRevoke() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.RevokeRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		n, err := s.Service.Revoke(r.Context(), principal(r), string(in.OrderID), int64(in.CertificateNo), in.RevokeType)
		if err != nil {
			return err
		}
		writeOK(w, ncpapi.RowsResult{Result: success(), TotalRows: n})
		return nil
	})
}

// handleSetRenewal serves POST /api/v2/certificate/setCertificateRenewal
// (SetRenewalStatus).
func (s *Server) handleSetRenewal() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.SetRenewalRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		if err := s.Service.SetRenewal(r.Context(), principal(r), int64(in.CertificateNo), in.RenewalYn); err != nil {
			return err
		}
		writeOK(w, ncpapi.RowsResult{Result: success()})
		return nil
	})
}

// handleCloudBasicRequest serves
// POST /api/v2/certificate/requestCertificateIssuance
// (CloudBasicCertificateRequest): a free DV certificate whose key ncm
// generates and keeps.
func (s *Server) handleCloudBasicRequest() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.CloudBasicRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		c, err := s.Service.RequestServerKey(r.Context(), principal(r), service.ServerKeyRequest{
			Type: ncm.TypeFreeDV, CertificateName: in.CertificateName, CommonName: in.CommonName,
			DNSNames: in.DNSName, ValidationMethod: in.ValidationMethod,
		})
		if err != nil {
			return err
		}
		st := c.EffectiveStatus(s.Clock.Now())
		writeOK(w, ncpapi.CloudBasicResponse{
			RowsResult:    ncpapi.RowsResult{Result: success(), TotalRows: 1},
			CertificateNo: c.No, CertificateName: c.Name, CommonName: c.CommonName,
			DNSName: strings.Join(c.DNSNames, ","), ValidationMethod: c.ValidationMethod,
			RequestSn: strconv.FormatInt(c.No, 10), StatusCode: st.Code(), StatusName: st.Name(),
		})
		return nil
	})
}

// handleGlobalEdgeRequest serves
// POST /api/v2/certificate/requestGedCertificateIssuance
// (GlobalEdgeCertificateRequest).
func (s *Server) handleGlobalEdgeRequest() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.GlobalEdgeRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		c, err := s.Service.RequestServerKey(r.Context(), principal(r), service.ServerKeyRequest{
			Type: ncm.TypeGlobalEdge, CertificateName: in.CertificateName, CommonName: in.CommonName, DNSNames: in.DNSName,
		})
		if err != nil {
			return err
		}
		st := c.EffectiveStatus(s.Clock.Now())
		writeOK(w, ncpapi.GlobalEdgeResponse{
			RowsResult: ncpapi.RowsResult{Result: success(), TotalRows: 1},
			Certificate: &ncpapi.GlobalEdgeCertificate{
				CertificateNo: c.No, CertificateName: c.Name, StatusCode: int(st), StatusName: st.Name(),
				CommonName: c.CommonName, DNSName: strings.Join(c.DNSNames, ","), RequestSn: strconv.FormatInt(c.No, 10),
			},
		})
		return nil
	})
}

func (s *Server) domain(d *ncm.Domain) ncpapi.Domain {
	out := ncpapi.Domain{
		DmnID: d.ID, MemberNo: d.MemberNo, DomainAddress: d.Address, DcvType: d.DCVType, IssueType: d.IssueType,
		ValidState: d.ValidState, TxtName: d.RecordName, TxtValue: d.RecordValue,
		ValidDate:  ncpapi.FormatDatePtr(d.ValidatedAt, s.DisplayZone),
		ExpireDate: ncpapi.FormatDatePtr(d.ExpiresAt, s.DisplayZone),
		RegDate:    ncpapi.FormatDate(d.CreatedAt, s.DisplayZone),
	}
	if d.OrganizationNo != 0 {
		out.OrgNo = &d.OrganizationNo
	}
	return out
}

// handleListDomains serves GET /api/v2/domain/domains
// (ListDomainValidations): page 1 of 10 unless told otherwise.
func (s *Server) handleListDomains() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		f := ncm.DomainFilter{Address: q.Get("domainAddress"), DCVType: q.Get("dcvType"), ValidState: q.Get("validState")}
		var err error
		if f.Page, err = queryInt(q, "page"); err != nil {
			return err
		}
		if f.PageSize, err = queryInt(q, "pageSize"); err != nil {
			return err
		}
		org, err := queryInt(q, "orgNo")
		if err != nil {
			return err
		}
		f.OrganizationNo = int64(org)
		list, total, err := s.Service.ListDomains(r.Context(), principal(r), f)
		if err != nil {
			return err
		}
		out := ncpapi.ListDomainsResponse{RowsResult: ncpapi.RowsResult{Result: success(), TotalRows: total}, DomainVldList: make([]ncpapi.Domain, 0, len(list))}
		for _, d := range list {
			out.DomainVldList = append(out.DomainVldList, s.domain(d))
		}
		writeOK(w, out)
		return nil
	})
}

// handleRegisterDomain serves POST /api/v2/domain/domains (RegisterDomain).
func (s *Server) handleRegisterDomain() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.RegisterDomainRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		d, err := s.Service.RegisterDomain(r.Context(), principal(r), in.DmnAddr, in.DcvType, in.IssueType, int64(in.OrgNo))
		if err != nil {
			return err
		}
		out := s.domain(d)
		writeOK(w, ncpapi.RegisterDomainResponse{RowsResult: ncpapi.RowsResult{Result: success(), TotalRows: 1}, Domain: &out})
		return nil
	})
}

// handleDeleteDomain serves DELETE /api/v2/domain/domains/{dmnId}
// (DeleteDomain).
func (s *Server) handleDeleteDomain() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathInt(r, "dmnId")
		if err != nil {
			return err
		}
		if err := s.Service.DeleteDomain(r.Context(), principal(r), id); err != nil {
			return err
		}
		writeOK(w, ncpapi.RowsResult{Result: success()})
		return nil
	})
}

// handleListOrganizations serves
// POST /api/v2/organization/getOrganizationInfoList (ListOrganizations):
// a read that takes its filters in a JSON body ({} for all).
func (s *Server) handleListOrganizations() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.ListOrganizationsRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		f := ncm.OrganizationFilter{NameKor: in.OrganizationNameKor, NameEng: in.OrganizationNameEng, BusinessRegistrationNo: in.BusinessRegistrationNo}
		if in.VerificationProgressCode != nil {
			v := int(*in.VerificationProgressCode)
			f.VerificationProgressCode = &v
		}
		list, err := s.Service.ListOrganizations(r.Context(), principal(r), f)
		if err != nil {
			return err
		}
		out := ncpapi.ListOrganizationsResponse{RowsResult: ncpapi.RowsResult{Result: success(), TotalRows: len(list)}, OrganizationInfoList: make([]ncpapi.Organization, 0, len(list))}
		for _, o := range list {
			out.OrganizationInfoList = append(out.OrganizationInfoList, ncpapi.Organization{
				OrganizationNo: o.No, MemberNo: o.MemberNo, OrganizationNameKor: o.NameKor, OrganizationNameEng: o.NameEng,
				BusinessRegistrationNo: o.BusinessRegistrationNo, VerificationType: o.VerificationType,
				VerificationProgressCode: strconv.Itoa(o.VerificationProgressCode),
				Country:                  o.Country, State: o.State, Locality: o.Locality,
			})
		}
		writeOK(w, out)
		return nil
	})
}

// eabTypeNames are the certificate type names of ListEabCredentials.
var eabTypeNames = map[string]string{"NPD_01": "Advanced DV", "NPO_01": "Advanced OV"}

// handleListEab serves GET /api/v2/acme/accounts (ListEabCredentials):
// every account, unpaged, HMAC keys masked.
func (s *Server) handleListEab() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		list, orgs, err := s.Service.ListEab(r.Context(), principal(r))
		if err != nil {
			return err
		}
		out := ncpapi.ListEabResponse{RowsResult: ncpapi.RowsResult{Result: success()}, Success: true, TotalCount: len(list), Accounts: make([]ncpapi.EabAccount, 0, len(list))}
		for _, a := range list {
			key, err := s.Service.OpenEabKey(a)
			if err != nil {
				return err
			}
			out.Accounts = append(out.Accounts, ncpapi.EabAccount{
				AccountID: a.ID, Status: a.Status, MemberNo: a.MemberNo, ContactEmail: a.ContactEmail, Alias: a.Alias,
				CertificateTypeName: eabTypeNames[a.CertificateTypeCode], ValidityDays: a.ValidityDays,
				OrganizationName: orgs[a.OrganizationNo],
				CreatedAt:        ncpapi.FormatDate(a.CreatedAt, s.DisplayZone), UpdatedAt: ncpapi.FormatDate(a.UpdatedAt, s.DisplayZone),
				EabKid: a.KeyID, EabHmacKey: service.MaskSecret(key), EabUsed: a.Used, EabActive: a.Status != "deactivated",
				ValidationMode: a.ValidationMode,
			})
		}
		writeOK(w, out)
		return nil
	})
}

// handleCreateEab serves POST /api/v2/acme/account (CreateEabCredential).
// The answer is the only time the HMAC key is shown.
func (s *Server) handleCreateEab() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.CreateEabRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		c, err := s.Service.CreateEab(r.Context(), principal(r), service.NewEab{
			ValidationMode: in.ValidationMode, CertificateTypeCode: in.CertificateTypeCode, ValidityDays: int(in.ValidityDays),
			Alias: in.Alias, OrganizationNo: int64(in.OrganizationNo), ContactEmail: in.ContactEmail,
		})
		if err != nil {
			return err
		}
		writeOK(w, ncpapi.CreateEabResponse{
			RowsResult: ncpapi.RowsResult{Result: success(), TotalRows: 1}, Success: true,
			AccountID: c.Account.ID, Status: c.Account.Status, EabKid: c.Account.KeyID, EabHmacKey: c.HMACKey,
		})
		return nil
	})
}

// handleDeactivateEab serves POST /api/v2/acme/account/{accountId}/deactivate
// (DeactivateEabCredential). It takes no body (NCP's example sends none).
func (s *Server) handleDeactivateEab() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathInt(r, "accountId")
		if err != nil {
			return err
		}
		if err := s.Service.DeactivateEab(r.Context(), principal(r), id); err != nil {
			return err
		}
		writeOK(w, ncpapi.RowsResult{Result: ncpapi.Result{ReturnCode: ncpapi.SuccessCode, ReturnMessage: "Account deactivated successfully"}})
		return nil
	})
}
