package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ncmhq/ncm"
)

// TestNumbersUniqueAcrossNodes: many writers on two handles of one database
// (two nodes) take order, certificate and event numbers at once, half of
// them in the opposite order (event first), as different operations do.
// None fails (no deadlock reaches the caller), every committed number is
// unique, and because numbers come from the counters table inside the
// writing transaction, rolled-back writes give theirs back: the committed
// numbers are exactly the first N, with no gap.
func TestNumbersUniqueAcrossNodes(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.newDSN(t)
			nodes := []ncm.Store{MustOpen(t, dsn), MustOpen(t, dsn)}
			member := MustMember(t, nodes[0])
			testNumbersUniqueAcrossNodes(t, nodes, member)
		})
	}
}

func testNumbersUniqueAcrossNodes(t *testing.T, nodes []ncm.Store, member string) {
	const writers, perWriter = 12, 12
	ctx := context.Background()
	errRollBack := errors.New("roll back on purpose")
	type taken struct{ order, cert, event int64 }
	var (
		mu        sync.Mutex
		committed []taken
		failures  []error
		wg        sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				var got taken
				// Every third write takes its numbers and rolls back.
				rollBack := i%3 == 2
				err := nodes[(w+i)%len(nodes)].Write(ctx, func(tx ncm.Tx) error {
					e := &ncm.Event{MemberNo: member, Kind: ncm.EventRequested, At: t0}
					if w%2 == 1 {
						if err := tx.AppendEvent(ctx, e); err != nil {
							return err
						}
					}
					o := &ncm.Order{MemberNo: member, CertificateType: ncm.TypePaidDV, SubscriptionYears: 1, CreatedAt: t0, UpdatedAt: t0}
					if err := tx.CreateOrder(ctx, o); err != nil {
						return err
					}
					c := advanced(member, o.ID, fmt.Sprintf("w%02d-%02d", w, i))
					if err := tx.CreateCertificate(ctx, c); err != nil {
						return err
					}
					if w%2 == 0 {
						if err := tx.AppendEvent(ctx, e); err != nil {
							return err
						}
					}
					got = taken{o.ID, c.No, e.ID}
					if rollBack {
						return errRollBack
					}
					return nil
				})
				mu.Lock()
				switch {
				case rollBack && errors.Is(err, errRollBack):
				case err != nil:
					failures = append(failures, err)
				default:
					committed = append(committed, got)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range failures {
		t.Errorf("concurrent Write: %v", err)
	}
	wantN := writers * perWriter * 2 / 3
	if len(committed) != wantN {
		t.Fatalf("%d writes committed, want %d", len(committed), wantN)
	}
	var orders, certs, events []int64
	for _, c := range committed {
		orders = append(orders, c.order)
		certs = append(certs, c.cert)
		events = append(events, c.event)
	}
	for _, k := range []struct {
		name  string
		got   []int64
		first int64
	}{{"orderId", orders, 900001}, {"certificateNo", certs, 100001}, {"event", events, 1}} {
		slices.Sort(k.got)
		for i, n := range k.got {
			if want := k.first + int64(i); n != want {
				t.Fatalf("%s: the %d-th smallest committed number is %d, want %d (a duplicate or a gap); all: %v",
					k.name, i+1, n, want, k.got)
			}
		}
	}
	// What the store holds agrees with what the writers were told.
	for _, c := range committed {
		MustRead(t, nodes[1], func(tx ncm.Tx) error {
			got, err := tx.CertificateByNo(ctx, c.cert)
			if err == nil && got.OrderID != c.order {
				t.Errorf("certificate %d is in order %d, want %d", c.cert, got.OrderID, c.order)
			}
			return err
		})
	}
}

// TestReadDecideWriteIsExclusive: writers on two handles (two nodes) all
// read one Ongoing certificate, and each that still sees it Ongoing issues
// it. Exactly one may: a single-row read inside a Write transaction locks
// its row, so the others wait and then see the winner's result. (Without
// the lock, PostgreSQL's READ COMMITTED lets several read Ongoing and
// "issue" the same certificate twice.)
func TestReadDecideWriteIsExclusive(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.newDSN(t)
			nodes := []ncm.Store{MustOpen(t, dsn), MustOpen(t, dsn)}
			member := MustMember(t, nodes[0])
			ctx := context.Background()
			var certNo int64
			if err := nodes[0].Write(ctx, func(tx ncm.Tx) error {
				o := &ncm.Order{MemberNo: member, CertificateType: ncm.TypePaidDV, SubscriptionYears: 1, CreatedAt: t0, UpdatedAt: t0}
				if err := tx.CreateOrder(ctx, o); err != nil {
					return err
				}
				c := advanced(member, o.ID, "race-cert")
				c.Status = ncm.StatusOngoing
				if err := tx.CreateCertificate(ctx, c); err != nil {
					return err
				}
				certNo = c.No
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			var (
				mu      sync.Mutex
				winners int
				wg      sync.WaitGroup
			)
			for w := range 8 {
				wg.Go(func() {
					won := false
					err := nodes[w%2].Write(ctx, func(tx ncm.Tx) error {
						won = false
						c, err := tx.CertificateByNo(ctx, certNo)
						if err != nil || c.Status != ncm.StatusOngoing {
							return err
						}
						c.Status = ncm.StatusNormalNoKey
						c.SerialNumber = fmt.Sprintf("W%d", w)
						won = true
						return tx.UpdateCertificate(ctx, c)
					})
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
					}
					mu.Lock()
					if won {
						winners++
					}
					mu.Unlock()
				})
			}
			wg.Wait()
			if winners != 1 {
				t.Fatalf("%d writers issued the certificate, want exactly 1", winners)
			}
		})
	}
}

// TestDuplicateCheckIsExclusive: on two nodes at once, one uploads a
// certificate as new (create, then check the fingerprint is not taken) and
// the other as a renewal of an existing certificate (check, then update the
// fingerprint). At most one of them may end with the fingerprint: the
// look-up inside a Write queues behind every other intake.
func TestDuplicateCheckIsExclusive(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.newDSN(t)
			nodes := []ncm.Store{MustOpen(t, dsn), MustOpen(t, dsn)}
			member := MustMember(t, nodes[0])
			ctx := context.Background()
			errDuplicate := errors.New("duplicate")
			for round := range 10 {
				fp := fmt.Sprintf("fp-%02d", round)
				var target int64
				MustWrite(t, nodes[0], func(tx ncm.Tx) error {
					c := external(member, fmt.Sprintf("old-%02d", round), fmt.Sprintf("old-fp-%02d", round))
					if err := tx.CreateCertificate(ctx, c); err != nil {
						return err
					}
					target = c.No
					return nil
				})
				var wg sync.WaitGroup
				wg.Go(func() { // a new import of fp
					err := nodes[0].Write(ctx, func(tx ncm.Tx) error {
						c := external(member, fmt.Sprintf("new-%02d", round), fp)
						if err := tx.CreateCertificate(ctx, c); err != nil {
							return err
						}
						if other, err := tx.CertificateByFingerprint(ctx, member, fp); err == nil && other.No != c.No {
							return errDuplicate
						}
						return nil
					})
					if err != nil && !errors.Is(err, errDuplicate) {
						t.Errorf("import: %v", err)
					}
				})
				wg.Go(func() { // a renewal registration of target with fp
					err := nodes[1].Write(ctx, func(tx ncm.Tx) error {
						c, err := tx.CertificateByNo(ctx, target)
						if err != nil {
							return err
						}
						if other, err := tx.CertificateByFingerprint(ctx, member, fp); err == nil && other.No != c.No {
							return errDuplicate
						}
						c.Fingerprint = fp
						return tx.UpdateCertificate(ctx, c)
					})
					if err != nil && !errors.Is(err, errDuplicate) {
						t.Errorf("renewal: %v", err)
					}
				})
				wg.Wait()
				var n int
				MustRead(t, nodes[0], func(tx ncm.Tx) error {
					page, err := tx.ListCertificates(ctx, member, ncm.CertificateFilter{})
					for _, c := range page.Certificates {
						if c.Fingerprint == fp {
							n++
						}
					}
					return err
				})
				if n != 1 {
					t.Fatalf("round %d: %d certificates hold fingerprint %s, want exactly 1", round, n, fp)
				}
			}
		})
	}
}
