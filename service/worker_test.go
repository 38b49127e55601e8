package service_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/localca"
	"github.com/ncmhq/ncm/masterkey"
	"github.com/ncmhq/ncm/service"
	"github.com/ncmhq/ncm/sqlstore"
)

// clock is a clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newService returns a service over a fresh SQLite store and local CA, and
// the store.
func newService(t *testing.T, clk *clock) (*service.Service, ncm.Store) {
	t.Helper()
	cfg := newServiceConfig(t, clk)
	return service.New(cfg), cfg.Store
}

// newServiceConfig returns the configuration newService uses, for tests
// that need two services over one store.
func newServiceConfig(t *testing.T, clk *clock) service.Config {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "ncm.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key, err := masterkey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	m, err := localca.Generate(clk.Now(), key, localca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Write(ctx, func(tx ncm.Tx) error { return tx.CreateCA(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	ca, err := localca.New(m, key, clk)
	if err != nil {
		t.Fatal(err)
	}
	return service.Config{Store: store, Issuer: ca, Sealer: key, Clock: clk, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func csrPEM(t *testing.T, cn string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// TestRunDueJobsExactlyOnce issues certificates, moves the clock past their
// expiry, and has several workers (as on several nodes) run the due jobs at
// once: every certificate's expiry is recorded exactly once.
func TestRunDueJobsExactlyOnce(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	svc, store := newService(t, clk)
	creds, err := svc.CreateMember(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	p := &service.Principal{MemberNo: creds.MemberNo, KeyKind: ncm.KeyMain}
	const n = 12
	var nos []int64
	for i := range n {
		cn := fmt.Sprintf("w%d.example.com", i)
		c, _, err := svc.RequestAdvanced(ctx, p, service.AdvancedRequest{CSR: csrPEM(t, cn), CertificateType: ncm.TypePaidDV,
			CertificateName: fmt.Sprintf("cert-%d", i), CommonName: cn, ValidationMethod: ncm.ValidationDNS})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ApproveValidation(ctx, c.No); err != nil {
			t.Fatal(err)
		}
		nos = append(nos, c.No)
	}
	clk.Advance(400 * 24 * time.Hour)

	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.RunDueJobs(ctx, fmt.Sprintf("node-%d", w), 3); err != nil {
				t.Errorf("node-%d: %v", w, err)
			}
		}()
	}
	wg.Wait()

	var events []*ncm.Event
	if err := store.Read(ctx, func(tx ncm.Tx) (err error) {
		events, err = tx.RecentEvents(ctx, creds.MemberNo, time.Time{}, clk.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	expired := map[int64]int{}
	for _, e := range events {
		if e.Kind == ncm.EventExpired {
			expired[e.CertificateNo]++
		}
	}
	for _, no := range nos {
		if expired[no] != 1 {
			t.Errorf("certificate %d: %d expiry events, want exactly 1", no, expired[no])
		}
	}
	if ran, err := svc.RunDueJobs(ctx, "late-node", 10); err != nil || ran != 0 {
		t.Errorf("after all ran, another node ran %d jobs (%v); want 0", ran, err)
	}
}

// TestDeadWorkerLeaseExpires claims a job as a worker that then dies: the
// job waits for the lease, then another worker runs it.
func TestDeadWorkerLeaseExpires(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	svc, store := newService(t, clk)
	creds, err := svc.CreateMember(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	p := &service.Principal{MemberNo: creds.MemberNo, KeyKind: ncm.KeyMain}
	c, _, err := svc.RequestAdvanced(ctx, p, service.AdvancedRequest{CSR: csrPEM(t, "dead.example.com"), CertificateType: ncm.TypePaidDV,
		CertificateName: "dead-cert", CommonName: "dead.example.com", ValidationMethod: ncm.ValidationDNS})
	if err != nil {
		t.Fatal(err)
	}
	// The "dead" node claims the validation check and never finishes it.
	if err := store.Write(ctx, func(tx ncm.Tx) error {
		jobs, err := tx.ClaimJobs(ctx, "dead-node", clk.Now(), clk.Now().Add(2*time.Minute), 10)
		if len(jobs) != 1 {
			t.Fatalf("claimed %d jobs, want the one validation check", len(jobs))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if ran, _ := svc.RunDueJobs(ctx, "live-node", 10); ran != 0 {
		t.Fatalf("live node ran %d jobs while the lease held, want 0", ran)
	}
	clk.Advance(3 * time.Minute)
	if ran, err := svc.RunDueJobs(ctx, "live-node", 10); err != nil || ran != 1 {
		t.Fatalf("after the lease ended the live node ran %d jobs (%v), want 1", ran, err)
	}
	var jobs []*ncm.Job
	store.Read(ctx, func(tx ncm.Tx) (err error) { jobs, err = tx.Jobs(ctx, ncm.JobDCVCheck, c.No); return err })
	if len(jobs) != 1 || jobs[0].Attempts != 2 || jobs[0].LeaseOwner != "" {
		t.Fatalf("job after takeover: %+v; want attempt 2, lease released for the next check", jobs)
	}
}

// TestAutoValidateJobFinishesInterruptedRequest: with --auto-validate a
// request passes validation in a second transaction; a node that dies
// between the two leaves the certificate Ongoing. Its validation job then
// issues it instead of waiting for DNS until the deadline.
func TestAutoValidateJobFinishesInterruptedRequest(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	cfg := newServiceConfig(t, clk)
	interrupted := service.New(cfg) // stands for the node that died before auto-validating
	cfg.AutoValidate = true
	auto := service.New(cfg)
	creds, err := auto.CreateMember(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	p := &service.Principal{MemberNo: creds.MemberNo, KeyKind: ncm.KeyMain}
	c, _, err := interrupted.RequestAdvanced(ctx, p, service.AdvancedRequest{CSR: csrPEM(t, "auto.example.com"),
		CertificateType: ncm.TypePaidDV, CertificateName: "auto-cert", CommonName: "auto.example.com", ValidationMethod: ncm.ValidationDNS})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != ncm.StatusOngoing {
		t.Fatalf("status %v before the job, want Ongoing", c.Status)
	}
	clk.Advance(2 * time.Hour) // every back-off of the validation job is due
	if _, err := auto.RunDueJobs(ctx, "survivor", 10); err != nil {
		t.Fatal(err)
	}
	var got *ncm.Certificate
	if err := cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		got, err = tx.CertificateByNo(ctx, c.No)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Status != ncm.StatusNormalNoKey || got.SerialNumber == "" {
		t.Fatalf("after the job: status %v serial %q, want issued (2)", got.Status, got.SerialNumber)
	}
}
