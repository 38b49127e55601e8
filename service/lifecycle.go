package service

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/pki"
)

// TXTResolver looks up TXT records. The dnscheck package implements it with
// real DNS queries; a nil resolver finds nothing, so only the control plane
// and operators can pass a validation.
type TXTResolver interface {
	// LookupTXT returns the strings of every TXT record at name. A name
	// without records is no error: it returns nothing.
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// LifecycleConfig configures domain validation, the job worker and renewal.
// Every duration is measured on the service's Clock.
type LifecycleConfig struct {
	// Resolver checks the TXT records of domain validation. Default: none.
	Resolver TXTResolver
	// DCVDeadline is how long a domain validation waits for its TXT record
	// before the certificate is "Validation timed out". Default 72h.
	DCVDeadline time.Duration
	// DCVRetry is the first wait between two checks of a TXT record; each
	// further check waits twice as long, up to an hour. Default 1m.
	DCVRetry time.Duration
	// RenewBefore and RenewUntil bound the renewal window: from RenewBefore
	// to RenewUntil before notAfter (NCP renews Cloud Basic certificates from
	// 45 to 30 days before expiry). Defaults 45 and 30 days.
	RenewBefore, RenewUntil time.Duration
	// ValidationReuse is how long a successful validation of a domain lets
	// later persistent (PD) requests and renewals skip a new check. Default
	// 397 days, below the CA/Browser Forum's 398-day limit.
	ValidationReuse time.Duration
	// Lease is how long a claimed job is reserved for its worker; a worker
	// that dies frees its jobs after it. Default 2m.
	Lease time.Duration
}

func (c *LifecycleConfig) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DCVDeadline, 72*time.Hour)
	def(&c.DCVRetry, time.Minute)
	def(&c.RenewBefore, 45*24*time.Hour)
	def(&c.RenewUntil, 30*24*time.Hour)
	def(&c.ValidationReuse, 397*24*time.Hour)
	def(&c.Lease, 2*time.Minute)
}

// DCVRecordPrefix is the label put in front of a domain for its TXT record.
// NCP's pages do not show the record name; see docs/compat.md.
const DCVRecordPrefix = "_dnsauth."

// RecordName is the TXT record name that validates domain (a wildcard
// validates at its base domain).
func RecordName(domain string) string {
	return DCVRecordPrefix + strings.TrimPrefix(domain, "*.")
}

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// randomToken is a TXT value: 160 random bits, 32 lower-case characters.
func randomToken() string { return tokenEncoding.EncodeToString(randomBytes(20)) }

// startValidation creates the validation records of a new certificate
// request inside tx and reports whether every domain is valid already
// (reused from an earlier validation). A persistent (PD) request and a
// renewal reuse any unexpired validation of the member's domain; a one-time
// (D) request always needs a new record. A dcv-check job is queued.
func (s *Service) startValidation(ctx context.Context, tx ncm.Tx, c *ncm.Certificate, renewal bool) (bool, error) {
	now := s.Now()
	lc := s.cfg.Lifecycle
	all := true
	for _, domain := range c.DNSNames {
		d := &ncm.DCV{
			MemberNo: c.MemberNo, CertificateNo: c.No, Domain: domain, Method: c.ValidationMethod,
			RecordName: RecordName(domain), Status: ncm.DCVPending,
			Deadline: now.Add(lc.DCVDeadline), CreatedAt: now, UpdatedAt: now,
		}
		base := strings.TrimPrefix(domain, "*.")
		if renewal || c.ValidationMethod == ncm.ValidationPersistentDNS {
			if v, err := s.validDomain(ctx, tx, c.MemberNo, base, now); err != nil {
				return false, err
			} else if v != nil {
				d.Status, d.Reused, d.RecordValue = ncm.DCVSuccess, true, v.RecordValue
			}
		}
		if d.Status != ncm.DCVSuccess {
			all = false
			if c.ValidationMethod == ncm.ValidationPersistentDNS {
				dom, err := s.persistentDomain(ctx, tx, c.MemberNo, base, now)
				if err != nil {
					return false, err
				}
				d.RecordValue = dom.RecordValue
			} else {
				d.RecordValue = randomToken()
			}
		}
		if err := tx.CreateDCV(ctx, d); err != nil {
			return false, err
		}
	}
	// Queued even when every domain is valid already: the job then issues,
	// should the caller die before it does so itself.
	if err := tx.EnqueueJob(ctx, &ncm.Job{Kind: ncm.JobDCVCheck, Subject: c.No, DueAt: now, CreatedAt: now}); err != nil {
		return false, err
	}
	return all, nil
}

// validDomain returns the member's VALID, unexpired domain record for
// address (persistent first), or nil.
func (s *Service) validDomain(ctx context.Context, tx ncm.Tx, memberNo, address string, now time.Time) (*ncm.Domain, error) {
	for _, typ := range []string{ncm.DomainPTXT, ncm.DomainTXT} {
		d, err := tx.DomainByAddress(ctx, memberNo, address, typ)
		if ncm.ErrorKind(err) == ncm.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if d.ValidState == ncm.DomainValid && d.ExpiresAt != nil && d.ExpiresAt.After(now) {
			return d, nil
		}
	}
	return nil, nil
}

// persistentDomain returns the member's persistent (PTXT) record for
// address, creating it on first use: its value is what every later PD
// request for the domain asks for.
func (s *Service) persistentDomain(ctx context.Context, tx ncm.Tx, memberNo, address string, now time.Time) (*ncm.Domain, error) {
	d, err := tx.DomainByAddress(ctx, memberNo, address, ncm.DomainPTXT)
	if ncm.ErrorKind(err) != ncm.ENOTFOUND {
		return d, err
	}
	d = &ncm.Domain{
		MemberNo: memberNo, Address: address, DCVType: ncm.DomainPTXT, IssueType: "CONSOLE",
		RecordName: RecordName(address), RecordValue: randomToken(), ValidState: ncm.DomainPending,
		CreatedAt: now, UpdatedAt: now,
	}
	return d, tx.CreateDomain(ctx, d)
}

// markDomainValid records a successful validation of address for the
// member, so that later PD requests and renewals can reuse it.
func (s *Service) markDomainValid(ctx context.Context, tx ncm.Tx, memberNo string, d *ncm.DCV, now time.Time) error {
	typ := ncm.DomainTXT
	if d.Method == ncm.ValidationPersistentDNS {
		typ = ncm.DomainPTXT
	}
	address := strings.TrimPrefix(d.Domain, "*.")
	dom, err := tx.DomainByAddress(ctx, memberNo, address, typ)
	exp := now.Add(s.cfg.Lifecycle.ValidationReuse)
	switch ncm.ErrorKind(err) {
	case "":
		dom.RecordValue, dom.ValidState, dom.ValidatedAt, dom.ExpiresAt, dom.UpdatedAt = d.RecordValue, ncm.DomainValid, &now, &exp, now
		return tx.UpdateDomain(ctx, dom)
	case ncm.ENOTFOUND:
		return tx.CreateDomain(ctx, &ncm.Domain{
			MemberNo: memberNo, Address: address, DCVType: typ, IssueType: "CONSOLE",
			RecordName: d.RecordName, RecordValue: d.RecordValue, ValidState: ncm.DomainValid,
			ValidatedAt: &now, ExpiresAt: &exp, CreatedAt: now, UpdatedAt: now,
		})
	}
	return err
}

// issuance is a certificate signed by the CA, ready to be stored.
type issuance struct {
	issued    *ncm.Issued
	keySealed []byte // a key ncm generated (Cloud Basic, Global Edge), sealed
}

// sign has the CA sign c: for the CSR's key, or for the key ncm keeps, or
// (first issuance of a Cloud Basic or Global Edge certificate) for a new
// key. It only reads the store. notAfter is the end of the day one
// validity away, but never after the end of the order's subscription.
func (s *Service) sign(ctx context.Context, c *ncm.Certificate) (*issuance, error) {
	var org *ncm.Organization
	var order *ncm.Order
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		if c.OrganizationNo != 0 {
			if org, err = tx.Organization(ctx, c.MemberNo, c.OrganizationNo); err != nil {
				return err
			}
		}
		if c.OrderID != 0 {
			order, err = tx.Order(ctx, c.MemberNo, c.OrderID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &issuance{}
	var pub crypto.PublicKey
	switch {
	case c.CSRPEM != "":
		csr, err := pki.ParseCSR(c.CSRPEM)
		if err != nil {
			return nil, ncm.Internal(err)
		}
		pub = csr.PublicKey
	case c.PrivateKeySealed != nil:
		keyPEM, err := s.cfg.Sealer.Open(c.PrivateKeySealed, ncm.LabelPrivateKey)
		if err != nil {
			return nil, ncm.Internal(err)
		}
		key, err := pki.ParsePrivateKey("privateKey", string(keyPEM))
		if err != nil {
			return nil, ncm.Internal(err)
		}
		pub = key.Public()
	default:
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, ncm.Internal(err)
		}
		keyPEM, err := pki.MarshalPrivateKeyPEM(key)
		if err != nil {
			return nil, ncm.Internal(err)
		}
		if out.keySealed, err = s.cfg.Sealer.Seal(keyPEM, ncm.LabelPrivateKey); err != nil {
			return nil, ncm.Internal(err)
		}
		pub = key.Public()
	}
	now := s.Now()
	notAfter := s.endOfDay(now.Add(s.cfg.Validity))
	if end := s.subscriptionEnd(order); end != nil {
		notAfter = minTime(notAfter, *end)
	}
	out.issued, err = s.cfg.Issuer.Issue(ctx, ncm.IssueRequest{
		PublicKey: pub,
		Subject:   subjectFor(c, org),
		DNSNames:  c.DNSNames,
		NotBefore: now.Add(-time.Minute), // tolerate small clock differences of relying parties
		NotAfter:  notAfter,
	})
	return out, err
}

// subscriptionEnd is the order's subscription end, or where it will end
// once it starts (it starts with the order's registration); nil without an
// order.
func (s *Service) subscriptionEnd(o *ncm.Order) *time.Time {
	if o == nil {
		return nil
	}
	if o.SubscriptionEnd != nil {
		return o.SubscriptionEnd
	}
	end := s.firstSubscriptionEnd(o)
	return &end
}

// firstSubscriptionEnd is where an order's subscription ends before any
// extension: its years after registration, at the end of that day in the
// display zone, so no certificate of the order (which also ends at
// 23:59:59) outlives it.
func (s *Service) firstSubscriptionEnd(o *ncm.Order) time.Time {
	return s.endOfDay(o.CreatedAt.AddDate(o.SubscriptionYears, 0, 0))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// storeIssued records a signed certificate inside tx: metadata, PEM, the
// status its type has once issued, the events, the order's subscription
// start, and the jobs that follow (expiry, renewal, subscription end).
func (s *Service) storeIssued(ctx context.Context, tx ncm.Tx, c *ncm.Certificate, is *issuance) error {
	now := s.Now()
	applyMetadata(c, pki.Describe(is.issued.Certificate))
	c.CertificatePEM = is.issued.CertificatePEM
	c.ChainPEM = is.issued.ChainPEM
	if is.keySealed != nil {
		c.PrivateKeySealed = is.keySealed
	}
	switch {
	case c.Type == ncm.TypeGlobalEdge:
		c.Status = ncm.StatusNormalGlobalEdge
	case c.PrivateKeySealed != nil:
		c.Status = ncm.StatusNormal
	default:
		c.Status = ncm.StatusNormalNoKey
	}
	c.IssueDate = &now
	c.UpdateDate = now
	if err := tx.UpdateCertificate(ctx, c); err != nil {
		return err
	}
	if err := tx.AppendEvent(ctx, s.event(c, ncm.EventIssued)); err != nil {
		return err
	}
	jobs := []*ncm.Job{
		{Kind: ncm.JobExpire, Subject: c.No, DueAt: *c.NotAfter},
		{Kind: ncm.JobRenew, Subject: c.No, DueAt: c.NotAfter.Add(-s.cfg.Lifecycle.RenewBefore)},
	}
	if c.OrderID != 0 {
		o, err := tx.Order(ctx, c.MemberNo, c.OrderID)
		if err != nil {
			return err
		}
		if o.SubscriptionStart == nil {
			end := s.firstSubscriptionEnd(o)
			o.SubscriptionStart, o.SubscriptionEnd = &o.CreatedAt, &end
			o.UpdatedAt = now
			if err := tx.UpdateOrder(ctx, o); err != nil {
				return err
			}
			jobs = append(jobs, &ncm.Job{Kind: ncm.JobSubscriptionEnd, Subject: o.ID, DueAt: end})
		}
	}
	for _, j := range jobs {
		j.CreatedAt = now
		if err := tx.EnqueueJob(ctx, j); err != nil {
			return err
		}
	}
	s.cfg.Logger.InfoContext(ctx, "certificate issued", "member", c.MemberNo, "certificateNo", c.No,
		"issueType", c.IssueType, "serial", c.SerialNumber, "notAfter", c.NotAfter)
	return nil
}

// SetValidation settles domain validation of an Ongoing certificate without
// DNS, for the control plane and operators: domain "" means every domain of
// the certificate. Passing the last pending domain has the CA issue the
// certificate exactly as a successful DNS check does; failing or timing out
// any domain ends the request ("Validation failed" / "Validation timed
// out").
//
// Errors: ENOTFOUND (1006) for an unknown certificate, or a domain it does
// not hold; ECONFLICT (CodeBadState) if it is not Ongoing; EINVALID for an
// unknown outcome.
func (s *Service) SetValidation(ctx context.Context, certificateNo int64, domain string, outcome ncm.DCVOutcome) error {
	switch outcome {
	case ncm.DCVPass, ncm.DCVFail, ncm.DCVTimeout:
	default:
		return ncm.Invalid("outcome", "must be %q, %q or %q, got %q", ncm.DCVPass, ncm.DCVFail, ncm.DCVTimeout, outcome)
	}
	domain = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	for attempt := 0; ; attempt++ {
		var cert *ncm.Certificate
		var dcvs []*ncm.DCV
		err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
			if cert, err = tx.CertificateByNo(ctx, certificateNo); err != nil {
				return err
			}
			dcvs, err = tx.DCVs(ctx, certificateNo)
			return err
		})
		if err != nil {
			return err
		}
		if cert.Status != ncm.StatusOngoing {
			return badState(cert, "domain validation can only be settled while the certificate is Ongoing")
		}
		if domain != "" && !slices.ContainsFunc(dcvs, func(d *ncm.DCV) bool { return d.Domain == domain }) {
			return &ncm.Error{Kind: ncm.ENOTFOUND, Code: ncm.CodeNoCertificate, Field: "domain",
				Message: fmt.Sprintf("certificate %d has no domain %q (its domains: %s)", certificateNo, domain, strings.Join(cert.DNSNames, ", "))}
		}
		now := s.Now()
		pending := 0
		for _, d := range dcvs {
			if domain == "" || d.Domain == domain {
				switch outcome {
				case ncm.DCVPass:
					d.Status = ncm.DCVSuccess
				case ncm.DCVFail:
					d.Status = ncm.DCVFailed
				case ncm.DCVTimeout:
					d.Status = ncm.DCVTimedOut
				}
				d.LastCheck, d.UpdatedAt = &now, now
			}
			if d.Status != ncm.DCVSuccess {
				pending++
			}
		}
		var is *issuance
		if outcome == ncm.DCVPass && pending == 0 {
			if is, err = s.sign(ctx, cert); err != nil {
				return err
			}
		}
		err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
			c, err := tx.CertificateByNo(ctx, certificateNo)
			if err != nil {
				return err
			}
			if c.Status != ncm.StatusOngoing || !c.UpdateDate.Equal(cert.UpdateDate) {
				return errRaced
			}
			return s.settle(ctx, tx, c, dcvs, outcome, is, domain)
		})
		if err == errRaced && attempt < 3 {
			continue // a worker moved the certificate meanwhile: look again
		}
		return err
	}
}

// errRaced says the certificate changed between reading and writing.
var errRaced = ncm.Errorf(ncm.ECONFLICT, ncm.CodeBadState, "the certificate changed meanwhile; try again")

// settle writes the outcome of validation inside tx: the records in dcvs
// whose domain matches (every one for domain ""), then the certificate.
func (s *Service) settle(ctx context.Context, tx ncm.Tx, c *ncm.Certificate, dcvs []*ncm.DCV, outcome ncm.DCVOutcome, is *issuance, domain string) error {
	now := s.Now()
	for _, d := range dcvs {
		if domain != "" && d.Domain != domain {
			continue
		}
		if err := tx.UpdateDCV(ctx, d); err != nil {
			return err
		}
		if d.Status == ncm.DCVSuccess {
			if err := s.markDomainValid(ctx, tx, c.MemberNo, d, now); err != nil {
				return err
			}
		}
	}
	switch {
	case is != nil:
		if err := tx.AppendEvent(ctx, s.event(c, ncm.EventValidated)); err != nil {
			return err
		}
		return s.storeIssued(ctx, tx, c, is)
	case outcome == ncm.DCVFail:
		return s.endRequest(ctx, tx, c, ncm.StatusValidationFailed, ncm.EventValidationFailed)
	case outcome == ncm.DCVTimeout:
		return s.endRequest(ctx, tx, c, ncm.StatusValidationTimedOut, ncm.EventValidationTimedOut)
	}
	return nil
}

// endRequest moves an Ongoing certificate to a final failed status.
func (s *Service) endRequest(ctx context.Context, tx ncm.Tx, c *ncm.Certificate, st ncm.Status, kind string) error {
	c.Status = st
	c.UpdateDate = s.Now()
	if err := tx.UpdateCertificate(ctx, c); err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(ctx, "certificate request ended", "certificateNo", c.No, "status", st.Name())
	return tx.AppendEvent(ctx, s.event(c, kind))
}

// ApproveValidation passes domain validation of every domain of an Ongoing
// certificate (SetValidation with DCVPass) and returns the issued
// certificate. For `ncm admin dcv approve` and AutoValidate.
func (s *Service) ApproveValidation(ctx context.Context, certificateNo int64) (*ncm.Certificate, error) {
	if err := s.SetValidation(ctx, certificateNo, "", ncm.DCVPass); err != nil {
		return nil, err
	}
	var cert *ncm.Certificate
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		cert, err = tx.CertificateByNo(ctx, certificateNo)
		return err
	})
	return cert, err
}

// issueValidated issues a certificate whose domains are all valid at
// request time (AutoValidate, or reused validations) and returns it. The
// dcv-check job queued with the request may have issued it first; then the
// certificate is returned as that job left it.
func (s *Service) issueValidated(ctx context.Context, no int64) (*ncm.Certificate, error) {
	c, err := s.ApproveValidation(ctx, no)
	if ncm.ErrorKind(err) != ncm.ECONFLICT {
		return c, err
	}
	rerr := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		c, err = tx.CertificateByNo(ctx, no)
		return err
	})
	if rerr != nil || c.Status == ncm.StatusOngoing {
		return nil, err
	}
	return c, nil
}
