package service

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
)

// WorkerID names this process as a job lease owner: host, process ID and
// a random suffix, so two processes on one host never share leases.
func WorkerID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), randomToken()[:6])
}

// RunWorker runs due jobs every interval until ctx ends. Every node runs
// one; the leases in the job table keep them from doing anything twice.
func (s *Service) RunWorker(ctx context.Context, owner string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RunDueJobs(ctx, owner, 50); err != nil && ctx.Err() == nil {
			s.cfg.Logger.ErrorContext(ctx, "worker", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// maxRounds bounds how often RunDueJobs claims again within one call (a
// job's effect can make other jobs due at once).
const maxRounds = 20

// RunDueJobs runs the jobs due at the service clock's now, up to limit per
// claim, claiming again while jobs were found, and returns how many ran.
// Each job's effect and its completion commit in one transaction, so a job
// is done exactly once even when a node dies mid-way: its lease ends and
// another node runs it. A job that fails is retried later with backoff.
func (s *Service) RunDueJobs(ctx context.Context, owner string, limit int) (int, error) {
	if limit <= 0 {
		limit = 50
	}
	ran := 0
	for range maxRounds {
		now := s.Now()
		var jobs []*ncm.Job
		err := s.cfg.Store.Write(ctx, func(tx ncm.Tx) (err error) {
			jobs, err = tx.ClaimJobs(ctx, owner, now, now.Add(s.cfg.Lifecycle.Lease), limit)
			return err
		})
		if err != nil {
			return ran, err
		}
		if len(jobs) == 0 {
			return ran, nil
		}
		for _, j := range jobs {
			if ctx.Err() != nil {
				return ran, ctx.Err()
			}
			ran++
			if err := s.runJob(ctx, owner, j); err != nil {
				if ncm.ErrorKind(err) == ncm.ECONFLICT && strings.Contains(err.Error(), "no longer leased") {
					continue // another node took it over; it will finish it
				}
				s.cfg.Logger.WarnContext(ctx, "job failed; will retry", "job", j.ID, "kind", j.Kind, "subject", j.Subject, "attempt", j.Attempts, "err", err)
				due := s.Now().Add(backoff(s.cfg.Lifecycle.DCVRetry, j.Attempts))
				if rerr := s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
					return tx.RetryJob(ctx, j.ID, owner, due, err.Error())
				}); rerr != nil && ncm.ErrorKind(rerr) != ncm.ECONFLICT {
					return ran, rerr
				}
			}
		}
	}
	return ran, nil
}

// backoff is the wait before attempt n+1: first, doubled each time, at most
// an hour.
func backoff(first time.Duration, attempts int) time.Duration {
	d := first
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// runJob does one claimed job. Handlers commit their effect together with
// CompleteJob (or RetryJob for "not yet"); an error means "failed, retry".
func (s *Service) runJob(ctx context.Context, owner string, j *ncm.Job) error {
	switch j.Kind {
	case ncm.JobDCVCheck:
		return s.jobDCVCheck(ctx, owner, j)
	case ncm.JobDomainCheck:
		return s.jobDomainCheck(ctx, owner, j)
	case ncm.JobExpire:
		return s.jobExpire(ctx, owner, j)
	case ncm.JobRenew:
		return s.jobRenew(ctx, owner, j)
	case ncm.JobSubscriptionEnd:
		return s.jobSubscriptionEnd(ctx, owner, j)
	}
	// An unknown kind comes from a newer node: leave it to that one.
	return fmt.Errorf("unknown job kind %q", j.Kind)
}

// complete finishes a job that has nothing (more) to do.
func (s *Service) complete(ctx context.Context, owner string, j *ncm.Job) error {
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error { return tx.CompleteJob(ctx, j.ID, owner, s.Now()) })
}

// lookupTXT reports whether value is among the TXT records at name. A
// resolver error counts as "not found yet" and is returned for the log.
func (s *Service) lookupTXT(ctx context.Context, name, value string) (bool, error) {
	r := s.cfg.Lifecycle.Resolver
	if r == nil {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	txts, err := r.LookupTXT(ctx, name)
	for _, t := range txts {
		if strings.TrimSpace(t) == value {
			return true, nil
		}
	}
	return false, err
}

// jobDCVCheck checks the TXT records of an Ongoing certificate's pending
// domains. When all are found the CA issues; past the deadline the request
// times out; otherwise the check runs again after a backoff.
func (s *Service) jobDCVCheck(ctx context.Context, owner string, j *ncm.Job) error {
	var cert *ncm.Certificate
	var dcvs []*ncm.DCV
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		if cert, err = tx.CertificateByNo(ctx, j.Subject); err != nil {
			return err
		}
		dcvs, err = tx.DCVs(ctx, j.Subject)
		return err
	})
	if ncm.ErrorKind(err) == ncm.ENOTFOUND {
		return s.complete(ctx, owner, j)
	}
	if err != nil {
		return err
	}
	if cert.Status != ncm.StatusOngoing {
		return s.complete(ctx, owner, j) // settled meanwhile (control plane, operator)
	}
	if s.cfg.AutoValidate {
		// The request passes validation itself, in a second transaction;
		// a node that died between the two leaves the certificate Ongoing,
		// and this job finishes what the request started. Passing is
		// idempotent: a certificate issued meanwhile is left alone.
		if err := s.SetValidation(ctx, cert.No, "", ncm.DCVPass); err != nil && ncm.ErrorKind(err) != ncm.ECONFLICT {
			return err
		}
		return s.complete(ctx, owner, j)
	}
	now := s.Now()
	pending, deadline := 0, time.Time{}
	var lastErr error
	for _, d := range dcvs {
		if d.Status != ncm.DCVPending {
			continue
		}
		found, err := s.lookupTXT(ctx, d.RecordName, d.RecordValue)
		if err != nil {
			lastErr = err
		}
		d.Attempts++
		d.LastCheck, d.UpdatedAt = &now, now
		if found {
			d.Status = ncm.DCVSuccess
			continue
		}
		pending++
		if deadline.IsZero() || d.Deadline.Before(deadline) {
			deadline = d.Deadline
		}
	}
	outcome := ncm.DCVOutcome("")
	var is *issuance
	switch {
	case pending == 0:
		outcome = ncm.DCVPass
		if is, err = s.sign(ctx, cert); err != nil {
			return err
		}
	case !now.Before(deadline):
		outcome = ncm.DCVTimeout
		for _, d := range dcvs {
			if d.Status == ncm.DCVPending {
				d.Status = ncm.DCVTimedOut
			}
		}
	}
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		c, err := tx.CertificateByNo(ctx, j.Subject)
		if err != nil {
			return err
		}
		if c.Status != ncm.StatusOngoing || !c.UpdateDate.Equal(cert.UpdateDate) {
			return tx.CompleteJob(ctx, j.ID, owner, now)
		}
		if err := s.settle(ctx, tx, c, dcvs, outcome, is, ""); err != nil {
			return err
		}
		if outcome == "" {
			msg := fmt.Sprintf("%d domain(s) without their TXT record yet", pending)
			if lastErr != nil {
				msg += ": " + lastErr.Error()
			}
			next := now.Add(backoff(s.cfg.Lifecycle.DCVRetry, j.Attempts))
			return tx.RetryJob(ctx, j.ID, owner, minTime(next, deadline), msg)
		}
		return tx.CompleteJob(ctx, j.ID, owner, now)
	})
}

// jobDomainCheck checks the TXT record of a registered domain.
func (s *Service) jobDomainCheck(ctx context.Context, owner string, j *ncm.Job) error {
	var dom *ncm.Domain
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) error {
		ds, err := tx.DomainByID(ctx, j.Subject)
		dom = ds
		return err
	})
	if ncm.ErrorKind(err) == ncm.ENOTFOUND {
		return s.complete(ctx, owner, j) // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if dom.ValidState != ncm.DomainPending {
		return s.complete(ctx, owner, j)
	}
	now := s.Now()
	found, lerr := s.lookupTXT(ctx, dom.RecordName, dom.RecordValue)
	deadline := dom.CreatedAt.Add(s.cfg.Lifecycle.DCVDeadline)
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		switch {
		case found:
			exp := now.Add(s.cfg.Lifecycle.ValidationReuse)
			dom.ValidState, dom.ValidatedAt, dom.ExpiresAt = ncm.DomainValid, &now, &exp
		case !now.Before(deadline):
			dom.ValidState = ncm.DomainInvalid
		default:
			msg := "TXT record not found yet"
			if lerr != nil {
				msg += ": " + lerr.Error()
			}
			return tx.RetryJob(ctx, j.ID, owner, minTime(now.Add(backoff(s.cfg.Lifecycle.DCVRetry, j.Attempts)), deadline), msg)
		}
		dom.UpdatedAt = now
		if err := tx.UpdateDomain(ctx, dom); err != nil {
			return err
		}
		return tx.CompleteJob(ctx, j.ID, owner, now)
	})
}

// jobExpire records that a certificate reached its notAfter. (Reads show
// it expired already; this makes it an event, for recentChanges.)
func (s *Service) jobExpire(ctx context.Context, owner string, j *ncm.Job) error {
	now := s.Now()
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		c, err := tx.CertificateByNo(ctx, j.Subject)
		if ncm.ErrorKind(err) == ncm.ENOTFOUND {
			return tx.CompleteJob(ctx, j.ID, owner, now)
		}
		if err != nil {
			return err
		}
		if c.NotAfter != nil && now.Before(*c.NotAfter) { // renewed in place: not yet
			return tx.RetryJob(ctx, j.ID, owner, *c.NotAfter, "")
		}
		if c.EffectiveStatus(now) == ncm.StatusExpired && c.Status != ncm.StatusExpired {
			c.Status, c.UpdateDate = ncm.StatusExpired, now
			if err := tx.UpdateCertificate(ctx, c); err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, s.event(c, ncm.EventExpired)); err != nil {
				return err
			}
		}
		return tx.CompleteJob(ctx, j.ID, owner, now)
	})
}

// jobSubscriptionEnd records the end of an order's subscription.
func (s *Service) jobSubscriptionEnd(ctx context.Context, owner string, j *ncm.Job) error {
	now := s.Now()
	return s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		o, err := tx.OrderByID(ctx, j.Subject)
		if ncm.ErrorKind(err) == ncm.ENOTFOUND {
			return tx.CompleteJob(ctx, j.ID, owner, now)
		}
		if err != nil {
			return err
		}
		if o.SubscriptionEnd != nil && now.Before(*o.SubscriptionEnd) { // extended meanwhile
			return tx.RetryJob(ctx, j.ID, owner, *o.SubscriptionEnd, "")
		}
		if err := tx.AppendEvent(ctx, &ncm.Event{MemberNo: o.MemberNo, OrderID: o.ID, Kind: ncm.EventSubscriptionEnded, At: now}); err != nil {
			return err
		}
		return tx.CompleteJob(ctx, j.ID, owner, now)
	})
}
