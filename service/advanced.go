package service

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/pki"
)

// AdvancedRequest asks for an Advanced DV or OV certificate from the
// requester's CSR (AdvancedCertificateRequest).
type AdvancedRequest struct {
	CSR              string
	CertificateType  ncm.CertificateType
	CertificateName  string
	CommonName       string
	DNSNames         []string
	ValidationMethod string
	OrganizationNo   int64
	// SubscriptionPeriod is "1Y", "2Y" or "3Y"; empty means 1Y.
	SubscriptionPeriod string
}

// RequestAdvanced validates req, then stores a new order and its first
// certificate in status Ongoing with domain validation pending. With
// AutoValidate the certificate is issued before it returns.
//
// Errors: EINVALID (HTTP 400, 2000) naming the field for malformed input;
// CodeInvalidCSR / CodeCSRMismatch for a CSR that is broken, weak or names
// other domains; CodeNoOrganization when an OV request names an
// organization the member does not have; CodeNameTaken for a used name.
func (s *Service) RequestAdvanced(ctx context.Context, p *Principal, req AdvancedRequest) (*ncm.Certificate, *ncm.Order, error) {
	if err := s.checkNewName("certificateName", req.CertificateName); err != nil {
		return nil, nil, err
	}
	if !req.CertificateType.IsAdvanced() {
		return nil, nil, ncm.Invalid("certificateType", "must be %s (Advanced DV) or %s (Advanced OV), got %q", ncm.TypePaidDV, ncm.TypePaidOV, req.CertificateType)
	}
	names, csr, err := checkCSRRequest(req.ValidationMethod, req.CommonName, req.DNSNames, req.CSR)
	if err != nil {
		return nil, nil, err
	}
	years, err := subscriptionYears(req.SubscriptionPeriod)
	if err != nil {
		return nil, nil, err
	}
	if req.CertificateType == ncm.TypePaidOV && req.OrganizationNo <= 0 {
		return nil, nil, ncm.Invalid("organizationNo", "is required when certificateType is %s", ncm.TypePaidOV)
	}
	if req.CertificateType == ncm.TypePaidDV && req.OrganizationNo != 0 {
		return nil, nil, ncm.Invalid("organizationNo", "is only for %s; leave it out for %s", ncm.TypePaidOV, ncm.TypePaidDV)
	}

	now := s.Now()
	cert := &ncm.Certificate{
		MemberNo:         p.MemberNo,
		Name:             req.CertificateName,
		Type:             req.CertificateType,
		Status:           ncm.StatusOngoing,
		IssueType:        ncm.IssueOriginal,
		DomainCode:       s.cfg.Zone,
		OrganizationNo:   req.OrganizationNo,
		CommonName:       names[0],
		DNSNames:         names,
		ValidationMethod: req.ValidationMethod,
		CSRPEM:           string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr.Raw})),
		RegistDate:       now,
		UpdateDate:       now,
	}
	order := &ncm.Order{
		MemberNo:          p.MemberNo,
		CertificateType:   req.CertificateType,
		OrganizationNo:    req.OrganizationNo,
		SubscriptionYears: years,
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	allValid := false // every domain validated already (PD reusing a validation)
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		if req.OrganizationNo != 0 {
			if _, err := tx.Organization(ctx, p.MemberNo, req.OrganizationNo); err != nil {
				return err
			}
		}
		if err := tx.CreateOrder(ctx, order); err != nil {
			return err
		}
		cert.OrderID = order.ID
		if err := tx.CreateCertificate(ctx, cert); err != nil {
			return err
		}
		if allValid, err = s.startValidation(ctx, tx, cert, false); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, s.event(cert, ncm.EventRequested))
	})
	if err != nil {
		return nil, nil, err
	}
	s.cfg.Logger.InfoContext(ctx, "advanced certificate requested", "member", p.MemberNo,
		"certificateNo", cert.No, "orderId", order.ID, "type", cert.Type)
	if s.cfg.AutoValidate || allValid {
		issued, err := s.issueValidated(ctx, cert.No)
		if err != nil {
			return nil, nil, err
		}
		return issued, order, nil
	}
	return cert, order, nil
}

// checkCSRRequest checks what every CSR-based request (an Advanced
// request, a reissue) carries: the validation method, the names (the
// certificate's SAN list, common name first) and a CSR that names nothing
// else.
func checkCSRRequest(method, commonName string, dnsNames []string, csrPEM string) ([]string, *x509.CertificateRequest, error) {
	if method != ncm.ValidationDNS && method != ncm.ValidationPersistentDNS {
		return nil, nil, ncm.Invalid("validationMethod", "must be %q (one-time DNS TXT) or %q (persistent DNS TXT), got %q", ncm.ValidationDNS, ncm.ValidationPersistentDNS, method)
	}
	names, err := domainList(commonName, dnsNames)
	if err != nil {
		return nil, nil, err
	}
	csr, err := pki.ParseCSR(csrPEM)
	if err != nil {
		return nil, nil, err
	}
	if err := checkCSRNames(csr, names); err != nil {
		return nil, nil, err
	}
	return names, csr, nil
}

func subscriptionYears(period string) (int, error) {
	switch period {
	case "", "1Y":
		return 1, nil
	case "2Y":
		return 2, nil
	case "3Y":
		return 3, nil
	}
	return 0, ncm.Invalid("subscriptionPeriod", "must be 1Y, 2Y or 3Y, got %q", period)
}

// checkCSRNames checks that the CSR names no domain the request does not: a
// CN in the CSR must be the request's commonName, and each DNS SAN in the CSR
// one of the requested names. The CA certifies the request's names, as public
// CAs do, so a CSR without names is fine.
func checkCSRNames(csr *x509.CertificateRequest, names []string) error {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	if cn := strings.ToLower(strings.TrimSuffix(csr.Subject.CommonName, ".")); cn != "" && cn != names[0] {
		return ncm.Errorf(ncm.EINVALID, ncm.CodeCSRMismatch,
			"csr: the CSR's common name %q differs from commonName %q", csr.Subject.CommonName, names[0])
	}
	for _, d := range csr.DNSNames {
		if !want[strings.ToLower(strings.TrimSuffix(d, "."))] {
			return ncm.Errorf(ncm.EINVALID, ncm.CodeCSRMismatch,
				"csr: the CSR names %q, which is neither commonName nor in dnsName", d)
		}
	}
	return nil
}

// subjectFor builds the issued subject: the CN for DV; for OV also the
// organization's O, L, ST and C.
func subjectFor(c *ncm.Certificate, org *ncm.Organization) pkix.Name {
	name := pkix.Name{CommonName: c.CommonName}
	if org != nil {
		name.Organization = []string{org.NameEng}
		if org.Locality != "" {
			name.Locality = []string{org.Locality}
		}
		if org.State != "" {
			name.Province = []string{org.State}
		}
		if org.Country != "" {
			name.Country = []string{org.Country}
		}
	}
	return name
}

// endOfDay moves t to 23:59:59 of its day in the display zone, the way NCP's
// Advanced certificates end (the seed's notAfter is "23:59:59(UTC+09:00)").
func (s *Service) endOfDay(t time.Time) time.Time {
	l := t.In(s.cfg.DisplayZone)
	return time.Date(l.Year(), l.Month(), l.Day(), 23, 59, 59, 0, s.cfg.DisplayZone).UTC()
}

func applyMetadata(c *ncm.Certificate, m pki.Metadata) {
	c.CommonName = m.CommonName
	c.DNSNames = m.DNSNames
	c.SubjectDN = m.SubjectDN
	c.Issuer = m.Issuer
	c.SerialNumber = m.SerialNumber
	c.SignatureAlgorithm = m.SignatureAlgorithm
	c.PublicKeyInfo = m.PublicKeyInfo
	c.Fingerprint = m.Fingerprint
	nb, na := m.NotBefore.UTC(), m.NotAfter.UTC()
	c.NotBefore, c.NotAfter = &nb, &na
}

// RegisterPrivateKey attaches the private key of a certificate issued from
// the member's CSR; the certificate becomes Normal.
//
// Errors: ENOTFOUND (1006) for a certificate the member does not have;
// ECONFLICT (CodeBadState) unless the certificate is "Normal (private key not
// registered)"; CodeInvalidKey for an unreadable or encrypted key;
// CodeKeyMismatch (26040) when the key is not the certificate's.
func (s *Service) RegisterPrivateKey(ctx context.Context, p *Principal, certificateNo int64, keyPEM string) (*ncm.Certificate, error) {
	if certificateNo <= 0 {
		return nil, ncm.Invalid("certificateNo", "is required and must be a positive integer")
	}
	if strings.TrimSpace(keyPEM) == "" {
		return nil, ncm.Invalid("privateKey", "is required")
	}
	key, err := pki.ParsePrivateKey("privateKey", keyPEM)
	if err != nil {
		return nil, err
	}
	pkcs8, err := pki.MarshalPrivateKeyPEM(key)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	sealed, err := s.cfg.Sealer.Seal(pkcs8, ncm.LabelPrivateKey)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	var cert *ncm.Certificate
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		c, err := tx.Certificate(ctx, p.MemberNo, certificateNo)
		if err != nil {
			return err
		}
		if st := c.EffectiveStatus(s.Now()); st != ncm.StatusNormalNoKey {
			return badState(c, "a private key can only be registered for a certificate in status 2 (issued, private key not registered)")
		}
		leaf, err := pki.ParseCertificate("certificate", c.CertificatePEM)
		if err != nil {
			return ncm.Internal(err)
		}
		if err := pki.CheckKeyMatch(leaf, key); err != nil {
			return err
		}
		c.PrivateKeySealed = sealed
		c.Status = ncm.StatusNormal
		c.UpdateDate = s.Now()
		if err := tx.UpdateCertificate(ctx, c); err != nil {
			return err
		}
		cert = c
		return tx.AppendEvent(ctx, s.event(c, ncm.EventKeyRegistered))
	})
	return cert, err
}

// ListAdvanced returns one page of the member's Advanced certificates,
// grouped by order (the seed operation).
func (s *Service) ListAdvanced(ctx context.Context, p *Principal, f ncm.AdvancedFilter) (*ncm.AdvancedPage, error) {
	if f.Page < 0 {
		return nil, ncm.Invalid("page", "must be a positive integer")
	}
	if f.PageSize < 0 {
		return nil, ncm.Invalid("pageSize", "must be 0 (all) or a positive integer")
	}
	if err := CheckLookupName("certificateName", f.CertificateName); err != nil {
		return nil, err
	}
	var page *ncm.AdvancedPage
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		page, err = tx.ListAdvanced(ctx, p.MemberNo, f)
		return err
	})
	return page, err
}

func (s *Service) event(c *ncm.Certificate, kind string) *ncm.Event {
	return &ncm.Event{MemberNo: c.MemberNo, OrderID: c.OrderID, CertificateNo: c.No,
		Kind: kind, Status: c.Status, At: s.Now()}
}

func badState(c *ncm.Certificate, why string) error {
	return ncm.Errorf(ncm.ECONFLICT, ncm.CodeBadState, "certificate %d is %s; %s", c.No, c.Status.Name(), why)
}
