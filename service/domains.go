package service

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/ncmhq/ncm"
)

// ServerKeyRequest asks for a certificate whose key ncm generates and keeps:
// a free Cloud Basic certificate (CloudBasicCertificateRequest) or a Global
// Edge dedicated certificate (GlobalEdgeCertificateRequest).
type ServerKeyRequest struct {
	Type             ncm.CertificateType // TypeFreeDV or TypeGlobalEdge
	CertificateName  string
	CommonName       string
	DNSNames         []string
	ValidationMethod string // "D"; Global Edge requests carry none
}

// RequestServerKey stores a new certificate of req.Type in status Ongoing
// with domain validation pending. Once its domains are valid the CA issues
// it for a key ncm generates: Cloud Basic becomes Normal (1), Global Edge
// "Normal (Global Edge dedicated)" (3). Cloud Basic certificates renew
// automatically (renewal on); they belong to no order.
func (s *Service) RequestServerKey(ctx context.Context, p *Principal, req ServerKeyRequest) (*ncm.Certificate, error) {
	if err := s.checkNewName("certificateName", req.CertificateName); err != nil {
		return nil, err
	}
	switch {
	case req.Type == ncm.TypeGlobalEdge && req.ValidationMethod == "":
		req.ValidationMethod = ncm.ValidationDNS
	case req.ValidationMethod != ncm.ValidationDNS:
		return nil, ncm.Invalid("validationMethod", "must be %q (DNS record), got %q", ncm.ValidationDNS, req.ValidationMethod)
	}
	names, err := domainList(req.CommonName, req.DNSNames)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	cert := &ncm.Certificate{
		MemberNo: p.MemberNo, Name: req.CertificateName, Type: req.Type, Status: ncm.StatusOngoing,
		IssueType: ncm.IssueOriginal, DomainCode: s.cfg.Zone, CommonName: names[0], DNSNames: names,
		ValidationMethod: req.ValidationMethod, RenewalEnabled: req.Type == ncm.TypeFreeDV,
		RegistDate: now, UpdateDate: now,
	}
	allValid := false
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		if err := tx.CreateCertificate(ctx, cert); err != nil {
			return err
		}
		if allValid, err = s.startValidation(ctx, tx, cert, false); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, s.event(cert, ncm.EventRequested))
	})
	if err != nil {
		return nil, err
	}
	if s.cfg.AutoValidate || allValid {
		return s.issueValidated(ctx, cert.No)
	}
	return cert, nil
}

// RegisterDomain registers a domain for pre-validation (RegisterDomain):
// the member publishes its TXT record and the worker checks it. A VALID
// domain validates later persistent requests without a new check.
//
// Errors: EINVALID naming the field; CodeNoOrganization for an unknown
// orgNo; ECONFLICT (CodeDomainTaken) for a domain registered already with
// that dcvType.
func (s *Service) RegisterDomain(ctx context.Context, p *Principal, address, dcvType, issueType string, orgNo int64) (*ncm.Domain, error) {
	a, err := normalizeDomain("dmnAddr", address)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(a, "*.") {
		return nil, ncm.Invalid("dmnAddr", "register the base domain %q, not a wildcard", strings.TrimPrefix(a, "*."))
	}
	if dcvType != ncm.DomainPTXT && dcvType != ncm.DomainTXT {
		return nil, ncm.Invalid("dcvType", "must be PTXT (persistent TXT) or TXT (per-issuance TXT), got %q", dcvType)
	}
	if issueType != "CONSOLE" && issueType != "ACME" {
		return nil, ncm.Invalid("issueType", "must be CONSOLE or ACME, got %q", issueType)
	}
	if orgNo < 0 {
		return nil, ncm.Invalid("orgNo", "must be an organization number")
	}
	now := s.Now()
	d := &ncm.Domain{
		MemberNo: p.MemberNo, Address: a, DCVType: dcvType, IssueType: issueType, OrganizationNo: orgNo,
		RecordName: RecordName(a), RecordValue: randomToken(), ValidState: ncm.DomainPending,
		CreatedAt: now, UpdatedAt: now,
	}
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		if orgNo != 0 {
			if _, err := tx.Organization(ctx, p.MemberNo, orgNo); err != nil {
				return err
			}
		}
		if err := tx.CreateDomain(ctx, d); err != nil {
			return err
		}
		return tx.EnqueueJob(ctx, &ncm.Job{Kind: ncm.JobDomainCheck, Subject: d.ID, DueAt: now, CreatedAt: now})
	})
	return d, err
}

// ListDomains returns one page of the member's domains (default page 1 of
// 10, as NCP documents) and the number of matching domains.
func (s *Service) ListDomains(ctx context.Context, p *Principal, f ncm.DomainFilter) ([]*ncm.Domain, int, error) {
	if f.Page < 0 || f.PageSize < 0 {
		return nil, 0, ncm.Invalid("page", "page and pageSize must be positive integers")
	}
	if f.PageSize == 0 {
		f.PageSize = 10
	}
	if f.DCVType != "" && f.DCVType != ncm.DomainPTXT && f.DCVType != ncm.DomainTXT {
		return nil, 0, ncm.Invalid("dcvType", "must be PTXT or TXT, got %q", f.DCVType)
	}
	switch f.ValidState {
	case "", ncm.DomainPending, ncm.DomainValid, ncm.DomainInvalid:
	default:
		return nil, 0, ncm.Invalid("validState", "must be PENDING, VALID or INVALID, got %q", f.ValidState)
	}
	if f.Address != "" {
		a, err := normalizeDomain("domainAddress", f.Address)
		if err != nil {
			return nil, 0, err
		}
		f.Address = a
	}
	var list []*ncm.Domain
	total := 0
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		list, total, err = tx.ListDomains(ctx, p.MemberNo, f)
		return err
	})
	return list, total, err
}

// DeleteDomain removes a domain of the member. 2200 if there is none.
func (s *Service) DeleteDomain(ctx context.Context, p *Principal, id int64) error {
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error { return tx.DeleteDomain(ctx, p.MemberNo, id) })
}

// ListOrganizations returns the member's organizations matching f
// (ListOrganizations).
func (s *Service) ListOrganizations(ctx context.Context, p *Principal, f ncm.OrganizationFilter) ([]*ncm.Organization, error) {
	var list []*ncm.Organization
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		list, err = tx.ListOrganizations(ctx, p.MemberNo, f)
		return err
	})
	return list, err
}

// NewEab describes an EAB credential to create (CreateEabCredential).
type NewEab struct {
	ValidationMode      string // "PRE" or "DNS01"
	CertificateTypeCode string // "NPD_01" or "NPO_01"
	ValidityDays        int
	Alias               string
	OrganizationNo      int64
	ContactEmail        string
}

// CreatedEab is a new EAB credential with its HMAC key, shown only once.
type CreatedEab struct {
	Account *ncm.EabAccount
	HMACKey string // base64url, unpadded, as ACME clients take it
}

// CreateEab stores a new EAB credential, its HMAC key sealed at rest, in
// status "pending" (no ACME account has used it yet).
//
// Errors: EINVALID naming the field; CodeNoOrganization for an unknown
// organization.
func (s *Service) CreateEab(ctx context.Context, p *Principal, in NewEab) (*CreatedEab, error) {
	if in.ValidationMode != "PRE" && in.ValidationMode != "DNS01" {
		return nil, ncm.Invalid("validationMode", "must be PRE (pre-validated domains) or DNS01, got %q", in.ValidationMode)
	}
	if in.CertificateTypeCode != "NPD_01" && in.CertificateTypeCode != "NPO_01" {
		return nil, ncm.Invalid("certificateTypeCode", "must be NPD_01 (DV) or NPO_01 (OV), got %q", in.CertificateTypeCode)
	}
	if in.ValidityDays < 1 || in.ValidityDays > 398 {
		return nil, ncm.Invalid("validityDays", "must be 1-398 days, got %d", in.ValidityDays)
	}
	in.Alias = strings.TrimSpace(in.Alias)
	if in.Alias == "" || len(in.Alias) > 64 {
		return nil, ncm.Invalid("alias", "is required, at most 64 characters")
	}
	if err := checkText("alias", in.Alias, 64); err != nil {
		return nil, err
	}
	if err := checkText("contactEmail", in.ContactEmail, 254); err != nil { // RFC 5321's path limit
		return nil, err
	}
	if in.ContactEmail != "" && (!strings.Contains(in.ContactEmail, "@") || strings.ContainsAny(in.ContactEmail, " ,;<>")) {
		return nil, ncm.Invalid("contactEmail", "must be one e-mail address such as ops@example.com, got %q", in.ContactEmail)
	}
	if in.CertificateTypeCode == "NPO_01" && in.OrganizationNo <= 0 {
		return nil, ncm.Invalid("organizationNo", "is required when certificateTypeCode is NPO_01")
	}
	key := randomBytes(32)
	hmacKey := base64.RawURLEncoding.EncodeToString(key)
	sealed, err := s.cfg.Sealer.Seal([]byte(hmacKey), ncm.LabelEabHMACKey)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	now := s.Now()
	a := &ncm.EabAccount{
		MemberNo: p.MemberNo, Status: "pending", ValidationMode: in.ValidationMode,
		CertificateTypeCode: in.CertificateTypeCode, ValidityDays: in.ValidityDays, Alias: in.Alias,
		ContactEmail: in.ContactEmail, OrganizationNo: in.OrganizationNo,
		KeyID: "kid_" + randomToken()[:24], HMACKeySealed: sealed, CreatedAt: now, UpdatedAt: now,
	}
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		if in.OrganizationNo != 0 {
			if _, err := tx.Organization(ctx, p.MemberNo, in.OrganizationNo); err != nil {
				return err
			}
		}
		return tx.CreateEabAccount(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	return &CreatedEab{Account: a, HMACKey: hmacKey}, nil
}

// ListEab returns the member's EAB credentials, with organization names.
func (s *Service) ListEab(ctx context.Context, p *Principal) ([]*ncm.EabAccount, map[int64]string, error) {
	var list []*ncm.EabAccount
	orgs := map[int64]string{}
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		if list, err = tx.ListEabAccounts(ctx, p.MemberNo); err != nil {
			return err
		}
		for _, a := range list {
			if a.OrganizationNo != 0 {
				if o, err := tx.Organization(ctx, p.MemberNo, a.OrganizationNo); err == nil {
					orgs[a.OrganizationNo] = o.NameEng
				}
			}
		}
		return nil
	})
	return list, orgs, err
}

// DeactivateEab deactivates an EAB credential for good.
// Errors: 2200 for an unknown account; ECONFLICT (CodeEabState) if it is
// deactivated already.
func (s *Service) DeactivateEab(ctx context.Context, p *Principal, id int64) error {
	now := s.Now()
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		a, err := tx.EabAccount(ctx, p.MemberNo, id)
		if err != nil {
			return err
		}
		if a.Status == "deactivated" {
			return ncm.Errorf(ncm.ECONFLICT, ncm.CodeEabState, "ACME account %d is deactivated already", id)
		}
		a.Status, a.UpdatedAt = "deactivated", now
		return tx.UpdateEabAccount(ctx, a)
	})
}

// MaskSecret shows the last 4 characters of a secret only.
func MaskSecret(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}

// OpenEabKey returns the HMAC key of an account, for the masked listing.
func (s *Service) OpenEabKey(a *ncm.EabAccount) (string, error) {
	b, err := s.cfg.Sealer.Open(a.HMACKeySealed, ncm.LabelEabHMACKey)
	if err != nil {
		return "", ncm.Internal(err)
	}
	return string(b), nil
}
