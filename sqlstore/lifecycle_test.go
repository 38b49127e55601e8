package sqlstore_test

// Conformance tests of ncm.LifecycleTx (lifecycle.go), run against SQLite
// and, with NCM_TEST_POSTGRES_DSN, PostgreSQL.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
)

func TestLifecycleStore(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			open := func(t *testing.T) ncm.Store { return MustOpen(t, b.newDSN(t)) }
			t.Run("Jobs", func(t *testing.T) { testJobs(t, open(t)) })
			t.Run("JobsConcurrentClaims", func(t *testing.T) { testConcurrentClaims(t, open(t)) })
			t.Run("DCV", func(t *testing.T) { testDCV(t, open(t)) })
			t.Run("Domains", func(t *testing.T) { testDomains(t, open(t)) })
			t.Run("EabAccounts", func(t *testing.T) { testEab(t, open(t)) })
			t.Run("RecentEvents", func(t *testing.T) { testRecentEvents(t, open(t)) })
			t.Run("ListOrders", func(t *testing.T) { testListOrders(t, open(t)) })
		})
	}
}

func claim(t *testing.T, s ncm.Store, owner string, now time.Time, limit int) []*ncm.Job {
	t.Helper()
	var jobs []*ncm.Job
	MustWrite(t, s, func(tx ncm.Tx) (err error) {
		jobs, err = tx.ClaimJobs(context.Background(), owner, now, now.Add(time.Minute), limit)
		return err
	})
	return jobs
}

func testJobs(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	enqueue := func(kind string, subject int64, due time.Time) int64 {
		j := &ncm.Job{Kind: kind, Subject: subject, DueAt: due, CreatedAt: t0}
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.EnqueueJob(ctx, j) })
		return j.ID
	}
	a := enqueue(ncm.JobExpire, 1, t0.Add(time.Hour))
	b := enqueue(ncm.JobRenew, 1, t0.Add(2*time.Hour))

	t.Run("EnqueueTwiceMovesTheJob", func(t *testing.T) {
		if again := enqueue(ncm.JobExpire, 1, t0.Add(30*time.Minute)); again != a {
			t.Fatalf("second EnqueueJob got ID %d, want the pending job %d", again, a)
		}
		MustRead(t, s, func(tx ncm.Tx) error {
			jobs, err := tx.Jobs(ctx, ncm.JobExpire, 1)
			if err != nil {
				return err
			}
			if len(jobs) != 1 || !jobs[0].DueAt.Equal(t0.Add(30*time.Minute)) {
				t.Fatalf("jobs = %+v, want one, due at %v", jobs, t0.Add(30*time.Minute))
			}
			return nil
		})
	})
	t.Run("NotDueNotClaimed", func(t *testing.T) {
		if got := claim(t, s, "w1", t0, 10); len(got) != 0 {
			t.Fatalf("claimed %d jobs before they were due", len(got))
		}
	})
	t.Run("ClaimLeases", func(t *testing.T) {
		got := claim(t, s, "w1", t0.Add(90*time.Minute), 10)
		if len(got) != 1 || got[0].ID != a || got[0].LeaseOwner != "w1" || got[0].Attempts != 1 {
			t.Fatalf("claimed %+v, want job %d leased to w1, attempt 1", got, a)
		}
		if again := claim(t, s, "w2", t0.Add(90*time.Minute), 10); len(again) != 0 {
			t.Fatalf("w2 claimed %+v while w1 holds the lease", again)
		}
	})
	t.Run("ErrCompleteByOtherOwner", func(t *testing.T) {
		err := s.Write(ctx, func(tx ncm.Tx) error { return tx.CompleteJob(ctx, a, "w2", t0) })
		wantErr(t, err, ncm.ECONFLICT, "")
	})
	t.Run("LeaseExpiresAndMovesOn", func(t *testing.T) {
		// w1 died: after its lease (a minute) w2 takes the job over, and
		// w1's late completion is refused, so the job is done once.
		got := claim(t, s, "w2", t0.Add(92*time.Minute), 10)
		if len(got) != 1 || got[0].ID != a || got[0].Attempts != 2 {
			t.Fatalf("after the lease ended w2 claimed %+v, want job %d, attempt 2", got, a)
		}
		err := s.Write(ctx, func(tx ncm.Tx) error { return tx.CompleteJob(ctx, a, "w1", t0) })
		wantErr(t, err, ncm.ECONFLICT, "")
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.CompleteJob(ctx, a, "w2", t0.Add(93*time.Minute)) })
		if again := claim(t, s, "w3", t0.Add(200*time.Minute), 10); len(again) != 1 || again[0].ID != b {
			t.Fatalf("after completion claimed %+v, want only job %d", again, b)
		}
	})
	t.Run("RetryReschedules", func(t *testing.T) {
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.RetryJob(ctx, b, "w3", t0.Add(300*time.Minute), "DNS not ready") })
		if got := claim(t, s, "w4", t0.Add(299*time.Minute), 10); len(got) != 0 {
			t.Fatalf("claimed %+v before the retry was due", got)
		}
		got := claim(t, s, "w4", t0.Add(300*time.Minute), 10)
		if len(got) != 1 || got[0].LastError != "DNS not ready" || got[0].Attempts != 2 {
			t.Fatalf("retried job = %+v, want last error kept, attempt 2", got)
		}
	})
	t.Run("DoneJobDoesNotBlockANewOne", func(t *testing.T) {
		if id := enqueue(ncm.JobExpire, 1, t0.Add(time.Hour)); id == a {
			t.Fatalf("EnqueueJob reused the finished job %d", a)
		}
	})
}

// testConcurrentClaims has several workers claim from one queue at once and
// wants every job claimed by exactly one of them.
func testConcurrentClaims(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	const n = 60
	MustWrite(t, s, func(tx ncm.Tx) error {
		for i := range n {
			if err := tx.EnqueueJob(ctx, &ncm.Job{Kind: ncm.JobExpire, Subject: int64(i + 1), DueAt: t0, CreatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("w%d", w)
			for {
				var jobs []*ncm.Job
				err := s.Write(ctx, func(tx ncm.Tx) (err error) {
					jobs, err = tx.ClaimJobs(ctx, owner, t0, t0.Add(time.Hour), 5)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					if prev, dup := seen[j.ID]; dup {
						errs <- fmt.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
					}
					seen[j.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != n {
		t.Fatalf("%d jobs claimed, want %d", len(seen), n)
	}
}

func testDCV(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	member := MustMember(t, s)
	var c *ncm.Certificate
	MustWrite(t, s, func(tx ncm.Tx) error {
		c = MustCertificate(t, tx, advanced(member, MustOrder(t, tx, member), "dcv-cert"))
		for _, d := range []string{"a.example.com", "*.b.example.com"} {
			if err := tx.CreateDCV(ctx, &ncm.DCV{MemberNo: member, CertificateNo: c.No, Domain: d, Method: "D",
				RecordName: "_dnsauth." + d, RecordValue: "v-" + d, Status: ncm.DCVPending, Deadline: t0.Add(72 * time.Hour),
				CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	var list []*ncm.DCV
	MustRead(t, s, func(tx ncm.Tx) (err error) { list, err = tx.DCVs(ctx, c.No); return err })
	if len(list) != 2 || list[0].Domain != "a.example.com" || list[1].Deadline != t0.Add(72*time.Hour) {
		t.Fatalf("DCVs = %+v", list)
	}
	d := list[0]
	now := t0.Add(time.Minute)
	d.Status, d.Attempts, d.LastCheck, d.Reused, d.UpdatedAt = ncm.DCVSuccess, 3, &now, true, now
	MustWrite(t, s, func(tx ncm.Tx) error { return tx.UpdateDCV(ctx, d) })
	MustRead(t, s, func(tx ncm.Tx) (err error) { list, err = tx.DCVs(ctx, c.No); return err })
	if got := list[0]; got.Status != ncm.DCVSuccess || got.Attempts != 3 || !got.Reused || got.LastCheck == nil || !got.LastCheck.Equal(now) {
		t.Fatalf("after UpdateDCV: %+v", got)
	}
}

func testDomains(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	mk := func(member, addr, typ, state string) *ncm.Domain {
		return &ncm.Domain{MemberNo: member, Address: addr, DCVType: typ, IssueType: "CONSOLE", RecordName: "_dnsauth." + addr,
			RecordValue: "v", ValidState: state, CreatedAt: t0, UpdatedAt: t0}
	}
	d1 := mk(a, "one.example.com", ncm.DomainPTXT, ncm.DomainPending)
	MustWrite(t, s, func(tx ncm.Tx) error {
		for _, d := range []*ncm.Domain{d1, mk(a, "one.example.com", ncm.DomainTXT, ncm.DomainValid), mk(a, "two.example.com", ncm.DomainPTXT, ncm.DomainValid), mk(b, "one.example.com", ncm.DomainPTXT, ncm.DomainValid)} {
			if err := tx.CreateDomain(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if d1.ID != 501 {
		t.Errorf("first dmnId = %d, want 501", d1.ID)
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		err := s.Write(ctx, func(tx ncm.Tx) error {
			return tx.CreateDomain(ctx, mk(a, "one.example.com", ncm.DomainPTXT, ncm.DomainPending))
		})
		wantErr(t, err, ncm.ECONFLICT, ncm.CodeDomainTaken)
	})
	t.Run("ListFiltersAndPages", func(t *testing.T) {
		MustRead(t, s, func(tx ncm.Tx) error {
			list, total, err := tx.ListDomains(ctx, a, ncm.DomainFilter{Address: "one.example.com"})
			if err != nil || total != 2 || len(list) != 2 {
				t.Fatalf("by address: %d of %d, %v; want 2 of 2", len(list), total, err)
			}
			list, total, err = tx.ListDomains(ctx, a, ncm.DomainFilter{ValidState: ncm.DomainValid, Page: 2, PageSize: 1})
			if err != nil || total != 2 || len(list) != 1 || list[0].Address != "two.example.com" {
				t.Fatalf("valid, page 2 of size 1: %+v of %d, %v", list, total, err)
			}
			return nil
		})
	})
	t.Run("ErrOtherMember", func(t *testing.T) {
		err := s.Read(ctx, func(tx ncm.Tx) error { _, err := tx.Domain(ctx, b, d1.ID); return err })
		wantErr(t, err, ncm.ENOTFOUND, ncm.CodeNothingFound)
		err = s.Write(ctx, func(tx ncm.Tx) error { return tx.DeleteDomain(ctx, b, d1.ID) })
		wantErr(t, err, ncm.ENOTFOUND, ncm.CodeNothingFound)
	})
	t.Run("UpdateAndDelete", func(t *testing.T) {
		exp := t0.Add(397 * 24 * time.Hour)
		d1.ValidState, d1.ValidatedAt, d1.ExpiresAt = ncm.DomainValid, &t0, &exp
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.UpdateDomain(ctx, d1) })
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.DomainByAddress(ctx, a, "one.example.com", ncm.DomainPTXT)
			if err != nil || got.ValidState != ncm.DomainValid || !got.ExpiresAt.Equal(exp) {
				t.Fatalf("DomainByAddress = %+v, %v", got, err)
			}
			return nil
		})
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.DeleteDomain(ctx, a, d1.ID) })
		err := s.Read(ctx, func(tx ncm.Tx) error { _, err := tx.DomainByID(ctx, d1.ID); return err })
		wantErr(t, err, ncm.ENOTFOUND, ncm.CodeNothingFound)
	})
}

func testEab(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	acc := &ncm.EabAccount{MemberNo: a, Status: "pending", ValidationMode: "PRE", CertificateTypeCode: "NPD_01",
		ValidityDays: 90, Alias: "ci", KeyID: "kid_1", HMACKeySealed: []byte{1, 2, 3}, CreatedAt: t0, UpdatedAt: t0}
	MustWrite(t, s, func(tx ncm.Tx) error { return tx.CreateEabAccount(ctx, acc) })
	if acc.ID != 50001 {
		t.Errorf("first accountId = %d, want 50001", acc.ID)
	}
	acc.Status, acc.Used = "deactivated", true
	MustWrite(t, s, func(tx ncm.Tx) error { return tx.UpdateEabAccount(ctx, acc) })
	MustRead(t, s, func(tx ncm.Tx) error {
		list, err := tx.ListEabAccounts(ctx, a)
		if err != nil || len(list) != 1 || list[0].Status != "deactivated" || !list[0].Used || string(list[0].HMACKeySealed) != "\x01\x02\x03" {
			t.Fatalf("ListEabAccounts = %+v, %v", list, err)
		}
		if others, err := tx.ListEabAccounts(ctx, b); err != nil || len(others) != 0 {
			t.Fatalf("other member's list = %+v, %v; want empty", others, err)
		}
		_, err = tx.EabAccount(ctx, b, acc.ID)
		wantErr(t, err, ncm.ENOTFOUND, ncm.CodeNothingFound)
		return nil
	})
}

func testRecentEvents(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	MustWrite(t, s, func(tx ncm.Tx) error {
		for i, m := range []string{a, a, b, a} {
			if err := tx.AppendEvent(ctx, &ncm.Event{MemberNo: m, CertificateNo: int64(100001 + i), Kind: ncm.EventIssued,
				Status: ncm.StatusNormal, At: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
				return err
			}
		}
		return nil
	})
	MustRead(t, s, func(tx ncm.Tx) error {
		// (from, to]: the event at from is out, the one at to is in.
		got, err := tx.RecentEvents(ctx, a, t0, t0.Add(3*time.Minute))
		if err != nil || len(got) != 2 || got[0].CertificateNo != 100002 || got[1].CertificateNo != 100004 {
			t.Fatalf("RecentEvents = %+v, %v; want certificates 100002 and 100004", got, err)
		}
		return nil
	})
}

func testListOrders(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	var ids []int64
	MustWrite(t, s, func(tx ncm.Tx) error {
		for range 3 {
			id := MustOrder(t, tx, a)
			ids = append(ids, id)
			MustCertificate(t, tx, advanced(a, id, fmt.Sprintf("o%d", id)))
		}
		MustOrder(t, tx, b)
		return nil
	})
	MustRead(t, s, func(tx ncm.Tx) error {
		page, err := tx.ListOrders(ctx, a, 2, 2)
		if err != nil || page.Total != 3 || len(page.Orders) != 1 || page.Orders[0].ID != ids[2] {
			t.Fatalf("ListOrders page 2 of 2 = %+v, %v; want order %d of 3", page, err, ids[2])
		}
		all, err := tx.ListOrders(ctx, a, 0, 0)
		if err != nil || len(all.Orders) != 3 {
			t.Fatalf("ListOrders all = %+v, %v", all, err)
		}
		certs, err := tx.OrderCertificates(ctx, a, ids[0])
		if err != nil || len(certs) != 1 || certs[0].OrderID != ids[0] {
			t.Fatalf("OrderCertificates = %+v, %v", certs, err)
		}
		if certs, err := tx.OrderCertificates(ctx, b, ids[0]); err != nil || len(certs) != 0 {
			t.Fatalf("other member's OrderCertificates = %+v, %v; want none", certs, err)
		}
		o, err := tx.OrderByID(ctx, ids[1])
		if err != nil || o.MemberNo != a {
			t.Fatalf("OrderByID = %+v, %v", o, err)
		}
		return nil
	})
}
