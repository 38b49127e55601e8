package service

import (
	"context"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
)

// isIssuedNormal reports whether st is one of the "Normal" statuses of an
// issued, usable certificate.
func isIssuedNormal(st ncm.Status) bool {
	return st == ncm.StatusNormal || st == ncm.StatusNormalNoKey || st == ncm.StatusNormalGlobalEdge
}

// jobRenew renews a certificate inside its renewal window: an Advanced
// certificate gets a new certificate (issueType RENEWAL) in the same
// order, validated by reusing the member's earlier validations; a
// certificate without an order (Cloud Basic) is renewed in place. Nothing
// happens when renewal is off, the certificate is no longer the newest of
// its order, or the subscription would not cover the renewal. While
// another issuance of the order is in progress it waits, at most until
// the window closes (RenewUntil before notAfter). A worker that runs late
// (the emulator's clock jumped past the window) still renews before
// notAfter, as it would have in the window.
func (s *Service) jobRenew(ctx context.Context, owner string, j *ncm.Job) error {
	now := s.Now()
	var c *ncm.Certificate
	var order *ncm.Order
	var newer, busy bool
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		if c, err = tx.CertificateByNo(ctx, j.Subject); err != nil {
			return err
		}
		if c.OrderID == 0 {
			return nil
		}
		if order, err = tx.Order(ctx, c.MemberNo, c.OrderID); err != nil {
			return err
		}
		certs, err := tx.OrderCertificates(ctx, c.MemberNo, c.OrderID)
		for _, o := range certs {
			switch {
			case o.No > c.No && isIssuedNormal(o.EffectiveStatus(now)):
				newer = true
			case o.Status == ncm.StatusOngoing:
				busy = true
			}
		}
		return err
	})
	if ncm.ErrorKind(err) == ncm.ENOTFOUND {
		return s.complete(ctx, owner, j)
	}
	if err != nil {
		return err
	}
	if c.NotAfter == nil || !c.RenewalEnabled || !isIssuedNormal(c.EffectiveStatus(now)) || newer {
		return s.complete(ctx, owner, j)
	}
	if start := c.NotAfter.Add(-s.cfg.Lifecycle.RenewBefore); now.Before(start) {
		return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error { return tx.RetryJob(ctx, j.ID, owner, start, "") })
	}
	if busy {
		// Another issuance of the order is in progress (a reissue): try
		// again hourly until the window closes.
		if end := c.NotAfter.Add(-s.cfg.Lifecycle.RenewUntil); now.Before(end) {
			return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
				return tx.RetryJob(ctx, j.ID, owner, minTime(now.Add(time.Hour), end), "another issuance of the order is in progress")
			})
		}
		return s.complete(ctx, owner, j)
	}
	if end := s.subscriptionEnd(order); end != nil {
		// The renewal ends with the subscription at the latest; when that
		// adds nothing, there is nothing to renew (extend the
		// subscription first).
		if na := minTime(s.endOfDay(now.Add(s.cfg.Validity)), *end); !na.After(*c.NotAfter) {
			s.cfg.Logger.InfoContext(ctx, "renewal skipped: the subscription ends with the certificate", "certificateNo", c.No, "orderId", c.OrderID)
			return s.complete(ctx, owner, j)
		}
	}
	if c.OrderID == 0 {
		return s.renewInPlace(ctx, owner, j, c)
	}
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		certs, err := tx.OrderCertificates(ctx, c.MemberNo, c.OrderID)
		if err != nil {
			return err
		}
		renewals := 0
		for _, o := range certs {
			if o.IssueType == ncm.IssueRenewal {
				renewals++
			}
		}
		base := c.Name
		if i := strings.LastIndex(base, "-r"); i > 0 && c.IssueType == ncm.IssueRenewal {
			base = base[:i]
		}
		if len(base) > 20 {
			base = base[:20]
		}
		r := &ncm.Certificate{
			MemberNo: c.MemberNo, OrderID: c.OrderID, Name: base + "-r" + strconv.Itoa(renewals+1),
			Type: c.Type, Status: ncm.StatusOngoing, IssueType: ncm.IssueRenewal, DomainCode: c.DomainCode,
			OrganizationNo: c.OrganizationNo, CommonName: c.DNSNames[0], DNSNames: c.DNSNames,
			ValidationMethod: c.ValidationMethod, CSRPEM: c.CSRPEM, PrivateKeySealed: c.PrivateKeySealed,
			RenewalEnabled: true, RegistDate: now, UpdateDate: now,
		}
		if err := tx.CreateCertificate(ctx, r); err != nil {
			return err
		}
		if _, err := s.startValidation(ctx, tx, r, true); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, s.event(r, ncm.EventRenewalRequested)); err != nil {
			return err
		}
		s.cfg.Logger.InfoContext(ctx, "renewal requested", "certificateNo", c.No, "renewal", r.No, "orderId", c.OrderID)
		return tx.CompleteJob(ctx, j.ID, owner, now)
	})
}

// renewInPlace renews a certificate without an order (Cloud Basic): the CA
// issues it again for the same key under the same number.
//
// The CA certifies only domains whose validation can be reused (validated
// within ValidationReuse); otherwise nothing happens and the certificate
// runs out, as a Cloud Basic certificate whose DNS record was removed does.
func (s *Service) renewInPlace(ctx context.Context, owner string, j *ncm.Job, c *ncm.Certificate) error {
	now := s.Now()
	var stale string
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) error {
		for _, d := range c.DNSNames {
			v, err := s.validDomain(ctx, tx, c.MemberNo, strings.TrimPrefix(d, "*."), now)
			if err != nil {
				return err
			}
			if v == nil && stale == "" {
				stale = d
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if stale != "" {
		s.cfg.Logger.InfoContext(ctx, "renewal skipped: a domain's validation is too old to reuse", "certificateNo", c.No, "domain", stale)
		return s.complete(ctx, owner, j)
	}
	is, err := s.sign(ctx, c)
	if err != nil {
		return err
	}
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		cur, err := tx.CertificateByNo(ctx, c.No)
		if err != nil {
			return err
		}
		if !cur.UpdateDate.Equal(c.UpdateDate) {
			return fmt.Errorf("certificate %d changed during renewal", c.No)
		}
		cur.IssueType = ncm.IssueRenewal
		if err := s.storeIssued(ctx, tx, cur, is); err != nil {
			return err
		}
		// storeIssued moved this very job to the next window; keep it.
		return tx.RetryJob(ctx, j.ID, owner, cur.NotAfter.Add(-s.cfg.Lifecycle.RenewBefore), "")
	})
}

// ReissueRequest asks for a reissue of an issued Advanced certificate with a
// new CSR (ReissueCertificate).
type ReissueRequest struct {
	CSR              string
	CertificateName  string
	CommonName       string
	DNSNames         []string
	ValidationMethod string
}

// Reissue creates a certificate with issueType REISSUE in the order of
// certificate no, waiting for domain validation like a new request. NCP's
// preconditions apply: the certificate is Normal, more than a day from
// expiry, and no other issuance of the order is in progress.
//
// Errors: EINVALID naming the field; ENOTFOUND (1006) for a certificate the
// member does not have; ECONFLICT (CodeBadState) when a precondition
// fails; CodeNameTaken, CodeInvalidCSR, CodeCSRMismatch as for requests.
func (s *Service) Reissue(ctx context.Context, p *Principal, no int64, req ReissueRequest) (*ncm.Certificate, *ncm.Order, error) {
	if no <= 0 {
		return nil, nil, ncm.Invalid("certificateNo", "must be a positive integer")
	}
	if err := s.checkNewName("certificateName", req.CertificateName); err != nil {
		return nil, nil, err
	}
	names, csr, err := checkCSRRequest(req.ValidationMethod, req.CommonName, req.DNSNames, req.CSR)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	var cert *ncm.Certificate
	var order *ncm.Order
	allValid := false
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		orig, err := tx.Certificate(ctx, p.MemberNo, no)
		if err != nil {
			return err
		}
		if !orig.Type.IsAdvanced() || orig.OrderID == 0 {
			return badState(orig, "only Advanced certificates can be reissued")
		}
		if st := orig.EffectiveStatus(now); !isIssuedNormal(st) {
			return badState(orig, "only a Normal (issued, unexpired, unrevoked) certificate can be reissued")
		}
		if orig.NotAfter.Sub(now) < 24*time.Hour {
			return badState(orig, "it expires within a day; it can no longer be reissued")
		}
		certs, err := tx.OrderCertificates(ctx, p.MemberNo, orig.OrderID)
		if err != nil {
			return err
		}
		for _, o := range certs {
			if o.Status == ncm.StatusOngoing {
				return badState(orig, fmt.Sprintf("certificate %d of the same order is being issued; wait for it to finish", o.No))
			}
		}
		if order, err = tx.Order(ctx, p.MemberNo, orig.OrderID); err != nil {
			return err
		}
		cert = &ncm.Certificate{
			MemberNo: p.MemberNo, OrderID: orig.OrderID, Name: req.CertificateName, Type: orig.Type,
			Status: ncm.StatusOngoing, IssueType: ncm.IssueReissue, DomainCode: s.cfg.Zone,
			OrganizationNo: orig.OrganizationNo, CommonName: names[0], DNSNames: names,
			ValidationMethod: req.ValidationMethod, RenewalEnabled: orig.RenewalEnabled,
			CSRPEM:     string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr.Raw})),
			RegistDate: now, UpdateDate: now,
		}
		if err := tx.CreateCertificate(ctx, cert); err != nil {
			return err
		}
		if allValid, err = s.startValidation(ctx, tx, cert, false); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, s.event(cert, ncm.EventReissueRequested))
	})
	if err != nil {
		return nil, nil, err
	}
	if s.cfg.AutoValidate || allValid {
		if cert, err = s.issueValidated(ctx, cert.No); err != nil {
			return nil, nil, err
		}
	}
	return cert, order, nil
}

// Revoke types (api-reference §3.6).
var revokeTypes = []string{"affiliationChanged", "superseded", "cessationOfOperation", "unspecified"}

// Revoke revokes certificate no of the order, or, for no 0, every issued
// certificate of the order, and returns how many it revoked. Revoked
// certificates are status -5 with revokeDate set.
//
// Errors: EINVALID naming the field; CodeNoOrder for an order the member
// does not have; 1006 for a certificate not in the order; ECONFLICT
// (CodeBadState) when nothing is revocable.
func (s *Service) Revoke(ctx context.Context, p *Principal, orderID string, no int64, revokeType string) (int, error) {
	id, err := parseOrderID(orderID)
	if err != nil {
		return 0, err
	}
	if no < 0 {
		return 0, ncm.Invalid("certificateNo", "must be 0 (every certificate of the order) or a certificate number, got %d", no)
	}
	if !containsString(revokeTypes, revokeType) {
		return 0, ncm.Invalid("revokeType", "must be one of %s, got %q", strings.Join(revokeTypes, ", "), revokeType)
	}
	now := s.Now()
	n := 0
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		if _, err := tx.Order(ctx, p.MemberNo, id); err != nil {
			return err
		}
		certs, err := tx.OrderCertificates(ctx, p.MemberNo, id)
		if err != nil {
			return err
		}
		var targets []*ncm.Certificate
		for _, c := range certs {
			if no != 0 && c.No != no {
				continue
			}
			if no != 0 && !isIssuedNormal(c.EffectiveStatus(now)) {
				return badState(c, "only a Normal (issued, unexpired) certificate can be revoked")
			}
			if isIssuedNormal(c.EffectiveStatus(now)) {
				targets = append(targets, c)
			}
		}
		if no != 0 && len(targets) == 0 {
			return &ncm.Error{Kind: ncm.ENOTFOUND, Code: ncm.CodeNoCertificate, Field: "certificateNo",
				Message: fmt.Sprintf("No certificate exists with certificateNo %d in order %d.", no, id)}
		}
		if len(targets) == 0 {
			return ncm.Errorf(ncm.ECONFLICT, ncm.CodeBadState, "order %d holds no Normal certificate to revoke", id)
		}
		for _, c := range targets {
			c.Status, c.RevokeDate, c.UpdateDate = ncm.StatusRevoked, &now, now
			if err := tx.UpdateCertificate(ctx, c); err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, s.event(c, ncm.EventRevoked)); err != nil {
				return err
			}
		}
		n = len(targets)
		return nil
	})
	if err == nil {
		s.cfg.Logger.InfoContext(ctx, "revoked", "member", p.MemberNo, "orderId", id, "certificateNo", no, "count", n, "revokeType", revokeType)
	}
	return n, err
}

func containsString(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// parseOrderID reads an orderId (a decimal string on the wire).
func parseOrderID(v string) (int64, error) {
	// Digits only, as NCP writes order IDs: no sign, no spaces.
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 || !allDigits(v) {
		return 0, ncm.Invalid("orderId", "must be an order number such as \"900001\", got %q", v)
	}
	return id, nil
}

// SetRenewal turns automatic renewal of a certificate on ("Y") or off
// ("N"). Turning it on for an issued certificate schedules its renewal.
//
// Errors: EINVALID naming the field; 1006 for a certificate the member does
// not have; ECONFLICT (CodeBadState) for an imported certificate.
func (s *Service) SetRenewal(ctx context.Context, p *Principal, no int64, yn string) error {
	if no <= 0 {
		return ncm.Invalid("certificateNo", "is required and must be a positive integer")
	}
	if yn != "Y" && yn != "N" {
		return ncm.Invalid("renewalYn", "must be \"Y\" (renew automatically) or \"N\", got %q", yn)
	}
	now := s.Now()
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		c, err := tx.Certificate(ctx, p.MemberNo, no)
		if err != nil {
			return err
		}
		if c.Type == ncm.TypeExternal {
			return badState(c, "an imported certificate is renewed by uploading the new one (withExternal with certificateNo)")
		}
		c.RenewalEnabled = yn == "Y"
		c.UpdateDate = now
		if err := tx.UpdateCertificate(ctx, c); err != nil {
			return err
		}
		kind := ncm.EventRenewalOff
		if c.RenewalEnabled {
			kind = ncm.EventRenewalOn
			if c.NotAfter != nil {
				due := c.NotAfter.Add(-s.cfg.Lifecycle.RenewBefore)
				if due.Before(now) {
					due = now
				}
				if err := tx.EnqueueJob(ctx, &ncm.Job{Kind: ncm.JobRenew, Subject: c.No, DueAt: due, CreatedAt: now}); err != nil {
					return err
				}
			}
		}
		return tx.AppendEvent(ctx, s.event(c, kind))
	})
}

// ExtendableYears is how many years the order's subscription can still be
// extended by at now: 3 minus (the year the subscription ends - this
// year), 0 when that is negative, the subscription has not started or has
// ended (api-reference §2.4.6, §3.7). Years are counted in zone.
func ExtendableYears(o *ncm.Order, now time.Time, zone *time.Location) int {
	if o.SubscriptionEnd == nil || !now.Before(*o.SubscriptionEnd) {
		return 0
	}
	diff := o.SubscriptionEnd.In(zone).Year() - now.In(zone).Year()
	return max(0, 3-diff)
}

// SubscriptionExtend adds 1, 2 or 3 years to an order's subscription, as
// far as ExtendableYears allows.
//
// Errors: EINVALID naming the field; CodeNoOrder for an order the member
// does not have; ECONFLICT (CodeNotExtendable) when the period is more
// than the order can take now.
func (s *Service) SubscriptionExtend(ctx context.Context, p *Principal, orderID, period string) (*ncm.Order, error) {
	id, err := parseOrderID(orderID)
	if err != nil {
		return nil, err
	}
	if period == "" {
		return nil, ncm.Invalid("subscriptionPeriod", "is required: 1Y, 2Y or 3Y")
	}
	years, err := subscriptionYears(period)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var order *ncm.Order
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		o, err := tx.Order(ctx, p.MemberNo, id)
		if err != nil {
			return err
		}
		if !o.CertificateType.IsAdvanced() {
			return ncm.Errorf(ncm.ECONFLICT, ncm.CodeNotExtendable, "order %d is not an Advanced certificate order", id)
		}
		allowed := ExtendableYears(o, now, s.cfg.DisplayZone)
		switch {
		case o.SubscriptionEnd == nil:
			return ncm.Errorf(ncm.ECONFLICT, ncm.CodeNotExtendable, "order %d's subscription starts with its first issued certificate; it cannot be extended before", id)
		case !now.Before(*o.SubscriptionEnd):
			return ncm.Errorf(ncm.ECONFLICT, ncm.CodeNotExtendable, "order %d's subscription has ended; it can no longer be extended", id)
		case years > allowed:
			return ncm.Errorf(ncm.ECONFLICT, ncm.CodeNotExtendable,
				"order %d can be extended by at most %d year(s) now (its subscription ends %s); %s is too long",
				id, allowed, o.SubscriptionEnd.In(s.cfg.DisplayZone).Format("2006-01-02"), period)
		}
		end := o.SubscriptionEnd.AddDate(years, 0, 0)
		o.SubscriptionEnd, o.SubscriptionYears, o.UpdatedAt = &end, o.SubscriptionYears+years, now
		if err := tx.UpdateOrder(ctx, o); err != nil {
			return err
		}
		if err := tx.EnqueueJob(ctx, &ncm.Job{Kind: ncm.JobSubscriptionEnd, Subject: o.ID, DueAt: end, CreatedAt: now}); err != nil {
			return err
		}
		order = o
		return tx.AppendEvent(ctx, &ncm.Event{MemberNo: o.MemberNo, OrderID: o.ID, Kind: ncm.EventSubscriptionExtend, At: now})
	})
	return order, err
}
