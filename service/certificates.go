package service

import (
	"context"
	"crypto/x509"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/pki"
)

// ExternalRequest registers a certificate issued elsewhere
// (createExternalCertificate, RegisterExternalCertificate).
type ExternalRequest struct {
	CertificateName string
	// CertificateNo, when set, makes this a renewal registration: the files
	// of that certificate are replaced and it keeps its number, name and
	// the instances that use it.
	CertificateNo int64
	// CertificateField names the field the leaf came in, for messages:
	// "certificateBody" (API 2.0) or "publicKeyCertificate" (API 1.0).
	CertificateField string
	Certificate      string
	PrivateKey       string
	Chain            string
}

// Registered is the result of a registration: the stored certificate and
// what intake repaired or warns about (pki.Intake.Notes).
type Registered struct {
	Certificate *ncm.Certificate
	Notes       []string
}

// RegisterExternal runs the intake pipeline (pki.Accept) on req and stores
// the certificate in one transaction: status Normal (the key is always
// registered), type and issue type EXTERNAL. An expired certificate is
// accepted and lists as Expired.
//
// Errors, each leaving nothing stored and no number consumed: EINVALID
// (2000) for a bad name or a missing field; 1002, 26034, 26040,
// CodeInvalidKey from intake; CodeNameTaken for a name in use;
// ncm.CodeDuplicateCertificate when the member already has this
// certificate. A renewal also gives 1006 for an unknown number, EINVALID
// when the name is not that certificate's, and CodeBadState for a
// certificate that was not imported.
func (s *Service) RegisterExternal(ctx context.Context, p *Principal, req ExternalRequest) (*Registered, error) {
	if req.CertificateNo < 0 {
		return nil, ncm.Invalid("certificateNo", "must be a positive integer (the certificate to renew), got %d", req.CertificateNo)
	}
	if req.CertificateNo == 0 {
		if err := s.checkNewName("certificateName", req.CertificateName); err != nil {
			return nil, err
		}
	} else if err := CheckLookupName("certificateName", req.CertificateName); err != nil {
		return nil, err
	}
	in, err := pki.Accept(pki.IntakeInput{CertificateField: req.CertificateField,
		Certificate: req.Certificate, PrivateKey: req.PrivateKey, Chain: req.Chain})
	if err != nil {
		return nil, err
	}
	sealed, err := s.cfg.Sealer.Seal(in.KeyPEM, ncm.LabelPrivateKey)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	now := s.Now()
	var cert *ncm.Certificate
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		if req.CertificateNo != 0 {
			c, err := s.renewalTarget(ctx, tx, p, req)
			if err != nil {
				return err
			}
			if err := checkDuplicate(ctx, tx, p.MemberNo, in, c.No); err != nil {
				return err
			}
			s.applyIntake(c, in, sealed, now)
			if err := tx.UpdateCertificate(ctx, c); err != nil {
				return err
			}
			cert = c
			return tx.AppendEvent(ctx, s.event(c, ncm.EventRenewed))
		}
		c := &ncm.Certificate{
			MemberNo:   p.MemberNo,
			Name:       req.CertificateName,
			Type:       ncm.TypeExternal,
			IssueType:  ncm.IssueExternal,
			DomainCode: s.cfg.Zone,
			RegistDate: now,
		}
		s.applyIntake(c, in, sealed, now)
		// CreateCertificate takes the next number first, which on
		// PostgreSQL locks the counter until commit; checking for a
		// duplicate after it means two concurrent uploads of the same
		// certificate cannot both pass. On refusal the transaction rolls
		// back and gives the number back.
		if err := tx.CreateCertificate(ctx, c); err != nil {
			return err
		}
		if err := checkDuplicate(ctx, tx, p.MemberNo, in, c.No); err != nil {
			return err
		}
		cert = c
		return tx.AppendEvent(ctx, s.event(c, ncm.EventImported))
	})
	if err != nil {
		return nil, err
	}
	s.cfg.Logger.InfoContext(ctx, "external certificate registered", "member", p.MemberNo,
		"certificateNo", cert.No, "renewal", req.CertificateNo != 0, "fingerprint", cert.Fingerprint, "notes", len(in.Notes))
	return &Registered{Certificate: cert, Notes: in.Notes}, nil
}

// renewalTarget loads the certificate a renewal registration replaces.
func (s *Service) renewalTarget(ctx context.Context, tx ncm.Tx, p *Principal, req ExternalRequest) (*ncm.Certificate, error) {
	c, err := tx.Certificate(ctx, p.MemberNo, req.CertificateNo)
	if err != nil {
		return nil, err
	}
	if c.Status == ncm.StatusDeleted {
		return nil, noCertificate(c.No)
	}
	if c.Name != req.CertificateName {
		return nil, ncm.Invalid("certificateName", "must be the name of certificate %d (%q) for a renewal registration, got %q", c.No, c.Name, req.CertificateName)
	}
	if c.Type != ncm.TypeExternal {
		return nil, badState(c, "only imported (EXTERNAL) certificates take a renewal registration; certificates issued here are reissued or renewed instead")
	}
	return c, nil
}

// checkDuplicate refuses a certificate the member has already, unless it is
// certificate self (a renewal uploading the same files again).
func checkDuplicate(ctx context.Context, tx ncm.Tx, memberNo string, in *pki.Intake, self int64) error {
	other, err := tx.CertificateByFingerprint(ctx, memberNo, in.Metadata.Fingerprint)
	switch {
	case ncm.ErrorKind(err) == ncm.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case other.No == self:
		return nil
	}
	return &ncm.Error{Kind: ncm.ECONFLICT, Code: ncm.CodeDuplicateCertificate, Field: "certificateBody",
		Message: "This certificate is already registered as certificate " + strconv.FormatInt(other.No, 10) +
			" (" + strconv.Quote(other.Name) + "); a certificate can be registered once. To replace that certificate's files, send its certificateNo (renewal registration)."}
}

// applyIntake copies what intake produced into c.
func (s *Service) applyIntake(c *ncm.Certificate, in *pki.Intake, sealed []byte, now time.Time) {
	applyMetadata(c, in.Metadata)
	c.Status = ncm.StatusNormal
	c.CertificatePEM = in.CertificatePEM()
	c.ChainPEM = in.ChainPEM()
	c.PrivateKeySealed = sealed
	c.IssueDate = c.NotBefore
	c.UpdateDate = now
}

func noCertificate(no int64) error {
	return &ncm.Error{Kind: ncm.ENOTFOUND, Code: ncm.CodeNoCertificate, Field: "certificateNo",
		Message: "No certificate exists with certificateNo " + strconv.FormatInt(no, 10) + "."}
}

// ListCertificates returns one page of the member's certificates (every
// type, not deleted) by number: getCertificateList, ListCertificates and,
// with f.Types, ListCloudCertificates.
func (s *Service) ListCertificates(ctx context.Context, p *Principal, f ncm.CertificateFilter) (*ncm.CertificatePage, error) {
	if f.Page < 0 {
		return nil, ncm.Invalid("page", "must be a positive integer")
	}
	if f.PageSize < 0 {
		return nil, ncm.Invalid("pageSize", "must be 0 (all) or a positive integer")
	}
	if f.No < 0 {
		return nil, ncm.Invalid("certificateNo", "must be a positive integer")
	}
	if err := CheckLookupName("certificateName", f.Name); err != nil {
		return nil, err
	}
	if err := checkInstanceNo("instanceNo", f.InstanceNo); err != nil {
		return nil, err
	}
	var page *ncm.CertificatePage
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		page, err = tx.ListCertificates(ctx, p.MemberNo, f)
		return err
	})
	return page, err
}

// checkInstanceNo accepts "" or a decimal instance number.
func checkInstanceNo(field, v string) error {
	if v == "" {
		return nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 || strconv.FormatInt(n, 10) != v {
		return ncm.Invalid(field, "must be a positive integer (an instance number), got %q", v)
	}
	return nil
}

// Certificate returns one of the member's certificates that is not
// deleted; 1006 otherwise.
func (s *Service) Certificate(ctx context.Context, p *Principal, no int64) (*ncm.Certificate, error) {
	if no <= 0 {
		return nil, ncm.Invalid("certificateNo", "must be a positive integer")
	}
	var c *ncm.Certificate
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		c, err = tx.Certificate(ctx, p.MemberNo, no)
		return err
	})
	if err != nil {
		return nil, err
	}
	if c.Status == ncm.StatusDeleted {
		return nil, noCertificate(no)
	}
	return c, nil
}

// Chain is a certificate split the way GetCertificateChain answers: the
// leaf, the intermediates (Sub CA) and the root when one was stored.
type Chain struct {
	Certificate *ncm.Certificate
	Leaf        *x509.Certificate
	// Intermediates are leaf-up; Root is nil when the stored chain does not
	// end at a self-signed certificate.
	Intermediates []*x509.Certificate
	Root          *x509.Certificate
}

// CertificateChain returns the member's certificate with its chain split
// into intermediates and root. CodeBadState for a certificate that is not
// issued yet.
func (s *Service) CertificateChain(ctx context.Context, p *Principal, no int64) (*Chain, error) {
	c, err := s.Certificate(ctx, p, no)
	if err != nil {
		return nil, err
	}
	leaf, chain, err := parseStored(c)
	if err != nil {
		return nil, err
	}
	out := &Chain{Certificate: c, Leaf: leaf, Intermediates: chain}
	if n := len(chain); n > 0 && isRoot(chain[n-1]) {
		out.Root, out.Intermediates = chain[n-1], chain[:n-1]
	}
	return out, nil
}

func isRoot(c *x509.Certificate) bool {
	return string(c.RawSubject) == string(c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

// parseStored parses the stored PEM of c, which intake or the issuer wrote.
// A failure here is a bug or a damaged row, so it is internal.
func parseStored(c *ncm.Certificate) (*x509.Certificate, []*x509.Certificate, error) {
	if c.CertificatePEM == "" {
		return nil, nil, badState(c, "it has no certificate yet (domain validation or issuance is still pending)")
	}
	leaf, err := pki.ParseCertificate("certificate", c.CertificatePEM)
	if err != nil {
		return nil, nil, ncm.Internal(err)
	}
	var chain []*x509.Certificate
	if strings.TrimSpace(c.ChainPEM) != "" {
		if chain, err = pki.ParseCertificates("chain", c.ChainPEM); err != nil {
			return nil, nil, ncm.Internal(err)
		}
	}
	return leaf, chain, nil
}

// Download formats: PEM is NCP's; PFX and JKS are ncm's extensions
// (docs/compat.md).
const (
	FormatPEM = "PEM"
	FormatPFX = "PFX"
	FormatJKS = "JKS"
)

// DownloadRequest is the body of DownloadCertificate.
type DownloadRequest struct {
	// Type is PEM (default), PFX or JKS, any case.
	Type string
	// Password protects PFX and JKS files ("passwd").
	Password string
	// PFXEncoding is pki.PFXModern (default) or pki.PFXLegacy.
	PFXEncoding string
}

// Download is a ready ZIP.
type Download struct {
	Zip []byte
	// Format is the format written; Encoding the PFX encoding used ("" for
	// PEM and JKS), for the response header and the CLI.
	Format, Encoding string
	Certificate      *ncm.Certificate
}

// DownloadCertificate returns the member's certificate as a ZIP: PEM files,
// or a PFX or JKS file holding the key and chain (see pki.PEMZip, pki.PFX,
// pki.JKS). EINVALID for an unknown type or encoding or a missing password;
// CodeBadState when PFX/JKS is asked for without a registered key or the
// certificate is not issued; 1006 for an unknown or deleted certificate.
func (s *Service) DownloadCertificate(ctx context.Context, p *Principal, no int64, req DownloadRequest) (*Download, error) {
	format := strings.ToUpper(strings.TrimSpace(req.Type))
	switch format {
	case "":
		format = FormatPEM
	case FormatPEM, FormatPFX, FormatJKS:
	default:
		return nil, ncm.Invalid("type", "must be PEM (default), PFX or JKS, got %q", req.Type)
	}
	if format == FormatPEM && (req.Password != "" || req.PFXEncoding != "") {
		return nil, ncm.Invalid("passwd", "is only for type PFX or JKS; PEM files are not encrypted")
	}
	if format == FormatJKS && req.PFXEncoding != "" {
		return nil, ncm.Invalid("pfxEncoding", "is only for type PFX")
	}
	c, err := s.Certificate(ctx, p, no)
	if err != nil {
		return nil, err
	}
	leaf, chain, err := parseStored(c)
	if err != nil {
		return nil, err
	}
	e := pki.Export{Leaf: leaf, Chain: chain, Name: c.Name}
	if c.PrivateKeySealed != nil {
		keyPEM, err := s.cfg.Sealer.Open(c.PrivateKeySealed, ncm.LabelPrivateKey)
		if err != nil {
			return nil, ncm.Internal(err)
		}
		if e.Key, err = pki.ParsePrivateKey("privateKey", string(keyPEM)); err != nil {
			return nil, ncm.Internal(err)
		}
	}
	out := &Download{Format: format, Certificate: c}
	switch format {
	case FormatPEM:
		out.Zip, err = pki.PEMZip(e)
	case FormatPFX:
		out.Encoding = pki.PFXModern
		if strings.EqualFold(req.PFXEncoding, pki.PFXLegacy) {
			out.Encoding = pki.PFXLegacy
		}
		out.Zip, err = pki.PFXZip(e, req.Password, req.PFXEncoding)
	case FormatJKS:
		out.Zip, err = pki.JKSZip(e, req.Password, s.Now())
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteCertificate deletes the member's certificate no, whose name must be
// name, in one transaction (field case C54):
//   - 1006 when the member has no such certificate, or it is deleted already
//     (so a second delete answers 1006);
//   - 1004 when the name does not match the number, or an instance uses the
//     certificate (NCP's two documented messages).
//
// Deleting is soft (see ncm.CertificateTx): the certificate leaves every
// listing, its key is wiped, its name is free again, its number is never
// reused.
func (s *Service) DeleteCertificate(ctx context.Context, p *Principal, no int64, name string) error {
	if no <= 0 {
		return ncm.Invalid("certificateNo", "must be a positive integer")
	}
	if name == "" {
		return ncm.Invalid("certificateName", "is required and must be the name of the certificate to delete")
	}
	if err := CheckLookupName("certificateName", name); err != nil {
		return err
	}
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		c, err := tx.Certificate(ctx, p.MemberNo, no)
		if err != nil {
			return err
		}
		if c.Status == ncm.StatusDeleted {
			return noCertificate(no)
		}
		if c.Name != name {
			return ncm.Errorf(ncm.ECONFLICT, ncm.CodeDeleteRefused,
				"Failed to delete the certificate. No certificate was found with a matching with requested certificate name and certificate number.")
		}
		if len(c.UsedInstanceNos) > 0 {
			return ncm.Errorf(ncm.ECONFLICT, ncm.CodeDeleteRefused,
				"Failed to delete the certificate. Delete the instance being used first or replace the certificate being used for the instance. (used by instance %s)",
				strings.Join(c.UsedInstanceNos, ","))
		}
		now := s.Now()
		if err := tx.DeleteCertificate(ctx, p.MemberNo, no, now); err != nil {
			return err
		}
		c.Status = ncm.StatusDeleted
		return tx.AppendEvent(ctx, s.event(c, ncm.EventDeleted))
	})
}

// AttachInstance records that instance instanceNo (a load balancer, CDN or
// Global Edge instance) uses certificate no, emulating NCP's linked
// services: the certificate then lists the instance in usedInstanceNoList,
// the v1 instanceNo filter finds it and deleting it is refused with 1004.
// For operators (`ncm admin instance attach`). Attaching twice is a no-op.
func (s *Service) AttachInstance(ctx context.Context, no int64, instanceNo string) (*ncm.Certificate, error) {
	return s.changeInstances(ctx, no, instanceNo, true)
}

// DetachInstance undoes AttachInstance. ENOTFOUND (CodeNothingFound) when
// the instance does not use the certificate.
func (s *Service) DetachInstance(ctx context.Context, no int64, instanceNo string) (*ncm.Certificate, error) {
	return s.changeInstances(ctx, no, instanceNo, false)
}

func (s *Service) changeInstances(ctx context.Context, no int64, instanceNo string, attach bool) (*ncm.Certificate, error) {
	if instanceNo == "" {
		return nil, ncm.Invalid("instanceNo", "is required")
	}
	if err := checkInstanceNo("instanceNo", instanceNo); err != nil {
		return nil, err
	}
	var cert *ncm.Certificate
	err := s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		c, err := tx.CertificateByNo(ctx, no)
		if err != nil {
			return err
		}
		if c.Status == ncm.StatusDeleted {
			return noCertificate(no)
		}
		i := slices.Index(c.UsedInstanceNos, instanceNo)
		kind := ncm.EventAttached
		switch {
		case attach && i >= 0:
			cert = c
			return nil
		case attach:
			c.UsedInstanceNos = append(c.UsedInstanceNos, instanceNo)
		case i < 0:
			return ncm.Errorf(ncm.ENOTFOUND, ncm.CodeNothingFound, "instance %s does not use certificate %d", instanceNo, no)
		default:
			kind = ncm.EventDetached
			c.UsedInstanceNos = append(c.UsedInstanceNos[:i], c.UsedInstanceNos[i+1:]...)
		}
		c.UpdateDate = s.Now()
		if err := tx.UpdateCertificate(ctx, c); err != nil {
			return err
		}
		cert = c
		return tx.AppendEvent(ctx, s.event(c, kind))
	})
	return cert, err
}
