package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/pki"
	"github.com/ncmhq/ncm/service"
)

// handleV1ListCertificates serves GET /api/v1/certificates
// (getCertificateList): every certificate of the member that is not
// deleted, by number, optionally filtered by certificateName, certificateNo
// and instanceNo. API 1.0 has no paging; totalRows is the list length.
func (s *Server) handleV1ListCertificates() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		no, err := queryInt64(q, "certificateNo")
		if err != nil {
			return err
		}
		page, err := s.Service.ListCertificates(r.Context(), principal(r), ncm.CertificateFilter{
			Name: q.Get("certificateName"), No: no, InstanceNo: q.Get("instanceNo"),
		})
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		out := ncpapi.V1CertificateListResponse{
			RowsResult:         ncpapi.RowsResult{Result: success(), TotalRows: len(page.Certificates)},
			SSLCertificateList: make([]ncpapi.V1Certificate, 0, len(page.Certificates)),
		}
		for _, c := range page.Certificates {
			out.SSLCertificateList = append(out.SSLCertificateList, s.v1Certificate(c, now))
		}
		writeOK(w, out)
		return nil
	})
}

// v1Certificate renders a stored certificate as an API 1.0 item. Like
// advancedCertificate, it reads only stored metadata.
func (s *Server) v1Certificate(c *ncm.Certificate, now time.Time) ncpapi.V1Certificate {
	st := c.EffectiveStatus(now)
	external := "N"
	if c.Type == ncm.TypeExternal {
		external = "Y"
	}
	return ncpapi.V1Certificate{
		CertificateNo:         c.No,
		CertificateType:       string(c.Type),
		CertificateName:       c.Name,
		MemberNo:              c.MemberNo,
		DNInfo:                c.SubjectDN,
		DomainAddress:         c.CommonName,
		SubDomainAddress:      strings.Join(c.DNSNames, ","),
		RegDate:               ncpapi.FormatDate(c.RegistDate, s.DisplayZone),
		UpdateDate:            ncpapi.FormatDate(c.UpdateDate, s.DisplayZone),
		IssueDate:             ncpapi.FormatDatePtr(c.IssueDate, s.DisplayZone),
		ValidStartDate:        ncpapi.FormatDatePtr(c.NotBefore, s.DisplayZone),
		ValidEndDate:          ncpapi.FormatDatePtr(c.NotAfter, s.DisplayZone),
		DisuseDate:            ncpapi.FormatDatePtr(c.RevokeDate, s.DisplayZone),
		StatusCode:            st.Code(),
		StatusName:            st.Name(),
		ExternalYn:            external,
		DomainCode:            c.DomainCode,
		CAInfo:                c.Issuer,
		CertSerialNumber:      c.SerialNumber,
		CertPublicKeyInfo:     c.PublicKeyInfo,
		CertSignAlgorithmName: c.SignatureAlgorithm,
		UsedInstanceNoList:    strings.Join(c.UsedInstanceNos, ","),
	}
}

// handleV1CreateExternalCertificate serves
// POST /api/v1/certificate/withExternal (createExternalCertificate). A
// success answers totalRows 1 with the new certificate as the one
// sslCertificateList item (field case C51).
func (s *Server) handleV1CreateExternalCertificate() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.CreateExternalCertificateRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		reg, err := s.Service.RegisterExternal(r.Context(), principal(r), service.ExternalRequest{
			CertificateName: in.CertificateName, CertificateField: "publicKeyCertificate",
			Certificate: in.PublicKeyCertificate, PrivateKey: in.PrivateKey, Chain: in.CertificateChain,
		})
		if err != nil {
			return err
		}
		writeOK(w, ncpapi.V1CertificateListResponse{
			RowsResult:         ncpapi.RowsResult{Result: success(), TotalRows: 1},
			SSLCertificateList: []ncpapi.V1Certificate{s.v1Certificate(reg.Certificate, s.Clock.Now())},
			IntakeNotes:        reg.Notes,
		})
		return nil
	})
}

// handleRegisterExternalCertificate serves
// POST /api/v2/certificate/withExternal (RegisterExternalCertificate); with
// certificateNo it is a renewal registration that keeps the number.
func (s *Server) handleRegisterExternalCertificate() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		var in ncpapi.RegisterExternalCertificateRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		body, field := in.CertificateBody, "certificateBody"
		if body == "" && in.PublicKeyCertificate != "" {
			body, field = in.PublicKeyCertificate, "publicKeyCertificate"
		}
		reg, err := s.Service.RegisterExternal(r.Context(), principal(r), service.ExternalRequest{
			CertificateName: in.CertificateName, CertificateNo: int64(in.CertificateNo), CertificateField: field,
			Certificate: body, PrivateKey: in.PrivateKey, Chain: in.CertificateChain,
		})
		if err != nil {
			return err
		}
		writeOK(w, ncpapi.RegisterExternalCertificateResponse{
			RowsResult:         ncpapi.RowsResult{Result: success(), TotalRows: 1},
			SSLCertificateList: []ncpapi.AdvancedCertificate{s.advancedCertificate(reg.Certificate, s.Clock.Now())},
			IntakeNotes:        reg.Notes,
		})
		return nil
	})
}

// cloudTypes are the types ListCloudCertificates shows: Cloud Basic and
// Global Edge.
var cloudTypes = []ncm.CertificateType{ncm.TypeFreeDV, ncm.TypeGlobalEdge}

// handleListCertificates serves GET /api/v2/certificate/certificates
// (ListCertificates) and, with types set, GET
// /api/v2/certificate/getCertificates (ListCloudCertificates): certificates
// by number, paged by page/pageSize (0 or absent = all), optionally
// filtered by certificateName. totalCount counts every match.
func (s *Server) handleListCertificates(types []ncm.CertificateType) http.Handler {
	return s.api("totalCount", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		pageNo, size, err := queryPaging(q)
		if err != nil {
			return err
		}
		page, err := s.Service.ListCertificates(r.Context(), principal(r), ncm.CertificateFilter{
			Name: q.Get("certificateName"), Types: types, Page: pageNo, PageSize: size,
		})
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		out := ncpapi.CertificateListResponse{
			Result:             success(),
			TotalCount:         page.Total,
			SSLCertificateList: make([]ncpapi.AdvancedCertificate, 0, len(page.Certificates)),
		}
		for _, c := range page.Certificates {
			out.SSLCertificateList = append(out.SSLCertificateList, s.advancedCertificate(c, now))
		}
		writeOK(w, out)
		return nil
	})
}

// certificateTypes is what ListCertificateTypes answers: the types ncm can
// hold. Validity is in days; "ca" names the issuer behind each type here.
var certificateTypes = []ncpapi.CertificateType{
	{Name: "Cloud Basic", PricingPlan: "FREE", ValidationLevel: "DV", Validity: 90, CA: "ncm local CA", CSRRequired: "N", CertificateTypeCode: string(ncm.TypeFreeDV)},
	{Name: "Advanced DV", PricingPlan: "PAID", ValidationLevel: "DV", Validity: 365, CA: "ncm local CA", CSRRequired: "Y", CertificateTypeCode: string(ncm.TypePaidDV)},
	{Name: "Advanced OV", PricingPlan: "PAID", ValidationLevel: "OV", Validity: 365, CA: "ncm local CA", CSRRequired: "Y", CertificateTypeCode: string(ncm.TypePaidOV)},
	{Name: "Global Edge", PricingPlan: "FREE", ValidationLevel: "DV", Validity: 90, CA: "ncm local CA", CSRRequired: "N", CertificateTypeCode: string(ncm.TypeGlobalEdge)},
}

// handleListCertificateTypes serves GET /api/v2/certificate/certificateTypes
// (ListCertificateTypes). The list's key is "certificatetype", lower case.
func (s *Server) handleListCertificateTypes() http.Handler {
	return s.api("totalCount", func(w http.ResponseWriter, r *http.Request) error {
		writeOK(w, ncpapi.ListCertificateTypesResponse{
			Result: success(), TotalCount: len(certificateTypes), CertificateType: certificateTypes,
		})
		return nil
	})
}

// handleGetCertificateChain serves
// GET /api/v2/certificate/exportCertificate/{certificateNo}/chain
// (GetCertificateChain): the leaf, the intermediates and the root as PEM.
func (s *Server) handleGetCertificateChain() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		no, err := pathInt(r, "certificateNo")
		if err != nil {
			return err
		}
		ch, err := s.Service.CertificateChain(r.Context(), principal(r), no)
		if err != nil {
			return err
		}
		out := ncpapi.CertificateChainResponse{
			RowsResult:        ncpapi.RowsResult{Result: success(), TotalRows: 0},
			SubjectCommonName: ch.Leaf.Subject.CommonName,
			Certificate:       pki.EncodeCertificatesPEM(ch.Leaf),
			SubCACertificate:  pki.EncodeCertificatesPEM(ch.Intermediates...),
		}
		if ch.Root != nil {
			out.RootCACertificate = pki.EncodeCertificatesPEM(ch.Root)
		}
		writeOK(w, out)
		return nil
	})
}

// handleDownloadCertificate serves
// POST /api/v2/certificate/exportCertificate/{certificateNo}
// (DownloadCertificate): a ZIP of PEM files, or of a PFX or JKS file. The
// body is required ({} at least). Errors stay JSON envelopes.
func (s *Server) handleDownloadCertificate() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		no, err := pathInt(r, "certificateNo")
		if err != nil {
			return err
		}
		var in ncpapi.DownloadCertificateRequest
		if err := decode(r, &in); err != nil {
			return err
		}
		if in.CertificateNo != 0 && int64(in.CertificateNo) != no {
			return ncm.Invalid("certificateNo", "in the body (%d) differs from the path (%d); send the same number or leave it out", in.CertificateNo, no)
		}
		d, err := s.Service.DownloadCertificate(r.Context(), principal(r), no, service.DownloadRequest{
			Type: in.Type, Password: in.Passwd, PFXEncoding: in.PFXEncoding,
		})
		if err != nil {
			return err
		}
		h := w.Header()
		h.Set(ncpapi.HeaderOrigin, ncpapi.OriginEndpoint)
		h.Set("Content-Type", ncpapi.ContentTypeZip)
		h.Set("Content-Disposition", `attachment; filename="`+d.Certificate.Name+`.zip"`)
		h.Set("Content-Length", strconv.Itoa(len(d.Zip)))
		h.Set(ncpapi.HeaderExportFormat, d.Format)
		if d.Encoding != "" {
			h.Set(ncpapi.HeaderPFXEncoding, d.Encoding)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(d.Zip) // the client went away; nothing left to tell it
		return nil
	})
}

// handleDeleteCertificate serves DELETE /api/v1/certificate/{certificateNo}
// (deleteCertificate) and DELETE
// /api/v2/certificate/deleteCertificate/{certificateNo} (DeleteCertificate):
// certificateName must name the certificate; see
// service.DeleteCertificate for the 1004 and 1006 answers.
func (s *Server) handleDeleteCertificate() http.Handler {
	return s.api("totalRows", func(w http.ResponseWriter, r *http.Request) error {
		no, err := pathInt(r, "certificateNo")
		if err != nil {
			return err
		}
		if err := s.Service.DeleteCertificate(r.Context(), principal(r), no, r.URL.Query().Get("certificateName")); err != nil {
			return err
		}
		writeOK(w, ncpapi.RowsResult{Result: success(), TotalRows: 0})
		return nil
	})
}

// queryInt64 reads an optional positive integer query parameter; absent is 0.
func queryInt64(q url.Values, name string) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, ncm.Invalid(name, "must be a positive integer, got %q", v)
	}
	return n, nil
}
