package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
)

// handleListAdvancedCertificates serves
// GET /api/v2/certificate/getPaidCertificates (ListAdvancedCertificates, the
// seed operation): the member's Advanced certificates grouped by order,
// paged over orders, optionally filtered by certificateName.
func (s *Server) handleListAdvancedCertificates() http.Handler {
	return s.api("totalCount", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		page, size, err := queryPaging(q)
		if err != nil {
			return err
		}
		res, err := s.Service.ListAdvanced(r.Context(), principal(r), ncm.AdvancedFilter{
			CertificateName: q.Get("certificateName"), Page: page, PageSize: size,
		})
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		out := ncpapi.ListAdvancedCertificatesResponse{
			Result:     success(),
			TotalCount: res.Total,
			Orders:     make([]ncpapi.AdvancedOrder, 0, len(res.Orders)),
		}
		for _, oc := range res.Orders {
			o := ncpapi.AdvancedOrder{OrderID: oc.Order.IDString(), Certificates: make([]ncpapi.AdvancedCertificate, 0, len(oc.Certificates))}
			for _, c := range oc.Certificates {
				o.Certificates = append(o.Certificates, s.advancedCertificate(c, now))
			}
			out.Orders = append(out.Orders, o)
		}
		writeListAdvanced(w, &out) // writeOK's bytes, written faster (advanced_encode.go)
		return nil
	})
}

// advancedCertificate renders a stored certificate as a certificates[] item
// of ListAdvancedCertificates. Every value comes from the stored row, whose
// metadata was taken from the certificate itself at issuance.
func (s *Server) advancedCertificate(c *ncm.Certificate, now time.Time) ncpapi.AdvancedCertificate {
	st := c.EffectiveStatus(now)
	out := ncpapi.AdvancedCertificate{
		CertificateNo:      c.No,
		CertificateName:    c.Name,
		MemberNo:           c.MemberNo,
		CommonName:         c.CommonName,
		DNSName:            strings.Join(c.DNSNames, ","),
		StatusCode:         st.Code(),
		StatusName:         st.Name(),
		CertificateType:    string(c.Type),
		DomainCode:         c.DomainCode,
		UpdateDate:         ncpapi.FormatDate(c.UpdateDate, s.DisplayZone),
		OrderID:            orderID(c.OrderID),
		IssueType:          string(c.IssueType),
		SubjectDN:          c.SubjectDN,
		RegistDate:         ncpapi.FormatDate(c.RegistDate, s.DisplayZone),
		NotAfter:           ncpapi.FormatDatePtr(c.NotAfter, s.DisplayZone),
		CertPublicKeyInfo:  c.PublicKeyInfo,
		Issuer:             c.Issuer,
		SerialNumber:       c.SerialNumber,
		SignatureAlgorithm: c.SignatureAlgorithm,
		IssueDate:          ncpapi.FormatDatePtr(c.IssueDate, s.DisplayZone),
		NotBefore:          ncpapi.FormatDatePtr(c.NotBefore, s.DisplayZone),
		RevokeDate:         ncpapi.FormatDatePtr(c.RevokeDate, s.DisplayZone),
		UsedInstanceNoList: strings.Join(c.UsedInstanceNos, ","),
	}
	if s.LegacyFieldNames {
		out.LegacyOrderID = out.OrderID
		out.LegacyCertificateTypeCode = out.CertificateType
	}
	return out
}

func orderID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func success() ncpapi.Result {
	return ncpapi.Result{ReturnCode: ncpapi.SuccessCode, ReturnMessage: ncpapi.SuccessMessage}
}

// handleRequestAdvancedCertificate serves
// POST /api/v2/certificate/requestPaidCertificateIssuance
// (AdvancedCertificateRequest): a new order whose certificate waits for
// domain validation.
func (s *Server) handleRequestAdvancedCertificate() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.AdvancedCertificateRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		cert, order, err := s.Service.RequestAdvanced(r.Context(), principal(r), service.AdvancedRequest{
			CSR:                in.CSR,
			CertificateType:    ncm.CertificateType(in.CertificateType),
			CertificateName:    in.CertificateName,
			CommonName:         in.CommonName,
			DNSNames:           in.DNSName,
			ValidationMethod:   in.ValidationMethod,
			OrganizationNo:     int64(in.OrganizationNo),
			SubscriptionPeriod: in.SubscriptionPeriod,
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

// handleRegisterPrivateKey serves POST /api/v2/certificate/registPrivateKey
// (RegisterPrivateKey): attach the key of a certificate issued from the
// caller's CSR.
func (s *Server) handleRegisterPrivateKey() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.RegisterPrivateKeyRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		if _, err := s.Service.RegisterPrivateKey(r.Context(), principal(r), int64(in.CertificateNo), in.PrivateKey); err != nil {
			return err
		}
		writeOK(w, ncpapi.RowsResult{Result: success(), TotalRows: 0})
		return nil
	})
}
