package main

import (
	"context"
	"crypto"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/ncpapi"
)

// acked records the writes the server acknowledged (HTTP 200, returnCode 0).
type acked struct {
	mu         sync.Mutex
	certs      map[string]int64 // certificate name -> number
	registered map[int64]bool   // certificate number -> key registered (or imported with it)
	imports    int
}

// TestCrashSafety runs `ncm serve` as a process under concurrent paid
// requests, key registrations and lists, kills it with SIGKILL at random
// moments (5 times), restarts it on the same data directory each time, and
// then checks the database: integrity_check ok, every order with its
// certificate, every certificate complete, no number used twice or handed
// out again, and every acknowledged write present.
func TestCrashSafety(t *testing.T) {
	if e2eOnPostgres {
		t.Skip("SQLite crash test: it ran in the SQLite pass (PRAGMA integrity_check is SQLite's)")
	}
	bin := buildNCM(t)
	dataDir := t.TempDir()
	args := []string{"--auto-validate", "--rate-limit", "0", "--shutdown-timeout", "1s",
		"--worker-interval", "100ms", "--dns-resolver", "none"}
	a := &acked{certs: map[string]int64{}, registered: map[int64]bool{}}
	var ak, sk string
	keys := []crypto.Signer{mustRSAKey(t, 0), mustRSAKey(t, 1), mustECKey(t)}
	root := testpki.NewCA(t, "Crash Root")
	inter := root.Intermediate(t, "Crash Intermediate")
	chainPEM := testpki.CertPEM(inter.Cert, root.Cert)
	const rounds, workers = 5, 4
	seq := 0
	for round := range rounds + 1 {
		p := startProc(t, bin, dataDir, args...)
		if round == 0 {
			_, ak, sk = p.credentials()
		}
		if round == rounds {
			// Final start: the server comes up on the crashed database
			// and lists every acknowledged certificate.
			checkListed(t, p.endpoint, ak, sk, a)
			waitJobsSettled(t, filepath.Join(dataDir, "ncm.db"), p.cmd.Process.Pid)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			if err := p.stop(ctx); err != nil {
				t.Errorf("final stop: %v", err)
			}
			cancel()
			break
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			seq++
			go func(w, seq int) {
				defer wg.Done()
				c, err := client.New(client.Config{Endpoint: p.endpoint, AccessKey: ak, SecretKey: sk,
					HTTPClient: &http.Client{Timeout: 10 * time.Second}})
				if err != nil {
					t.Error(err)
					return
				}
				for i := 0; ctx.Err() == nil; i++ {
					key := keys[(w+i)%len(keys)]
					name := fmt.Sprintf("r%dw%di%d", round, w, i)
					if w == workers-1 && i%2 == 1 {
						// An import: certificate, chain and key in one write.
						got, _, err := c.RegisterExternalCertificate(ctx, ncpapi.RegisterExternalCertificateRequest{
							CertificateName: name, PrivateKey: mustKeyPEM(t, key),
							CertificateBody:  testpki.CertPEM(inter.Leaf(t, key, testpki.LeafOptions{CommonName: name + ".example.com"})),
							CertificateChain: chainPEM,
						})
						if err == nil {
							a.mu.Lock()
							a.certs[name] = got.CertificateNo
							a.registered[got.CertificateNo] = true
							a.imports++
							a.mu.Unlock()
						}
						continue
					}
					cn := name + ".example.com"
					pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
						CSR: mustCSR(t, key, cn, cn), CertificateType: "NCP_PAID_DV_01", CertificateName: name,
						CommonName: cn, ValidationMethod: "D",
					})
					if err != nil {
						continue // killed mid-request: not acknowledged
					}
					a.mu.Lock()
					a.certs[name] = pc.CertificateNo
					a.mu.Unlock()
					if i%2 == 0 {
						if err := c.RegisterPrivateKey(ctx, pc.CertificateNo, mustKeyPEM(t, key)); err == nil {
							a.mu.Lock()
							a.registered[pc.CertificateNo] = true
							a.mu.Unlock()
						}
					} else {
						_, _ = c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{PageSize: 5})
					}
				}
			}(w, seq)
		}
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		p.kill()
		cancel()
		wg.Wait()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	t.Logf("%d rounds killed with SIGKILL; %d certificates (%d of them imports) and %d keys acknowledged", rounds, len(a.certs), a.imports, len(a.registered))
	if a.imports == 0 {
		t.Error("no import was acknowledged: the test did not exercise intake")
	}
	if len(a.certs) == 0 {
		t.Fatal("no request was acknowledged: the test exercised nothing")
	}
	checkDatabase(t, filepath.Join(dataDir, "ncm.db"), a)
}

// checkListed wants every acknowledged certificate in the API's list of
// every certificate held.
func checkListed(t *testing.T, endpoint, ak, sk string, a *acked) {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: endpoint, AccessKey: ak, SecretKey: sk})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[int64]string{}
	// Every certificate held, Advanced and imported: GET .../certificates.
	for cert, err := range c.AllCertificates(context.Background(), client.ListOptions{}, false) {
		if err != nil {
			t.Fatal(err)
		}
		listed[cert.CertificateNo] = cert.CertificateName
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for name, no := range a.certs {
		if listed[no] != name {
			t.Errorf("acknowledged certificate %s (%d) is not listed after the crashes (listed as %q)", name, no, listed[no])
		}
	}
}

// checkDatabase inspects the SQLite file after the crashes.
func checkDatabase(t *testing.T, path string, a *acked) {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	one := func(q string, dst ...any) {
		t.Helper()
		if err := db.QueryRow(q).Scan(dst...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var integrity string
	one(`PRAGMA integrity_check`, &integrity)
	if integrity != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, want ok", integrity)
	}
	var n int
	one(`SELECT COUNT(*) FROM cert_order o WHERE NOT EXISTS (SELECT 1 FROM certificate c WHERE c.order_id = o.id)`, &n)
	if n != 0 {
		t.Errorf("%d orders have no certificate", n)
	}
	one(`SELECT COUNT(*) FROM certificate WHERE order_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cert_order o WHERE o.id = order_id)`, &n)
	if n != 0 {
		t.Errorf("%d certificates point at a missing order", n)
	}
	// Every certificate is complete for its status: issued ones (Normal,
	// Normal without key) have PEM, chain, serial, fingerprint and
	// notAfter; Ongoing ones (killed between the request's transaction and
	// the auto-validation's) have none of them.
	one(`SELECT COUNT(*) FROM certificate WHERE status IN (1, 2)
		AND (certificate_pem = '' OR chain_pem = '' OR serial_number = '' OR fingerprint = '' OR not_after IS NULL)`, &n)
	if n != 0 {
		t.Errorf("%d issued certificates are incomplete (no PEM, chain, serial, fingerprint or notAfter)", n)
	}
	one(`SELECT COUNT(*) FROM certificate WHERE status = 0 AND (certificate_pem <> '' OR serial_number <> '' OR private_key_sealed IS NOT NULL)`, &n)
	if n != 0 {
		t.Errorf("%d Ongoing certificates hold parts of an issued one", n)
	}
	one(`SELECT COUNT(*) FROM certificate WHERE status NOT IN (0, 1, 2)`, &n)
	if n != 0 {
		t.Errorf("%d certificates are in a status this scenario never produces", n)
	}
	one(`SELECT COUNT(*) FROM certificate WHERE status = 0`, &n)
	t.Logf("%d certificates were left Ongoing by a kill between request and auto-validation (never acknowledged)", n)
	one(`SELECT COUNT(*) FROM certificate WHERE status = 1 AND private_key_sealed IS NULL`, &n)
	if n != 0 {
		t.Errorf("%d certificates are Normal without their private key", n)
	}
	one(`SELECT COUNT(*) FROM (SELECT serial_number FROM certificate WHERE serial_number <> '' GROUP BY serial_number HAVING COUNT(*) > 1)`, &n)
	if n != 0 {
		t.Errorf("%d serial numbers were used twice", n)
	}
	one(`SELECT COUNT(*) FROM (SELECT order_id FROM certificate WHERE order_id IS NOT NULL GROUP BY order_id HAVING COUNT(*) > 1)`, &n)
	if n != 0 {
		t.Errorf("%d orders hold more than one certificate", n)
	}
	// Numbers are never handed out again: each counter is past every number
	// stored.
	var bad int
	one(`SELECT (SELECT next_value FROM counters WHERE name = 'certificate') <= COALESCE((SELECT MAX(no) FROM certificate), 0)
		OR (SELECT next_value FROM counters WHERE name = 'order') <= COALESCE((SELECT MAX(id) FROM cert_order), 0)`, &bad)
	if bad != 0 {
		t.Error("a counter is not past the largest stored number: a number would be used twice")
	}
	for name, no := range a.certs {
		var got int64
		var hasKey bool
		err := db.QueryRow(`SELECT no, private_key_sealed IS NOT NULL FROM certificate WHERE name = ?`, name).Scan(&got, &hasKey)
		if err != nil {
			t.Errorf("acknowledged certificate %s (%d): %v", name, no, err)
			continue
		}
		if got != no {
			t.Errorf("acknowledged certificate %s has number %d, was acknowledged as %d", name, got, no)
		}
		if a.registered[no] && !hasKey {
			t.Errorf("acknowledged key registration of certificate %d is lost", no)
		}
	}
}

// waitJobsSettled waits, while the restarted server's worker runs, until
// every domain validation job that is due for a certificate no longer
// Ongoing is finished, except those still leased by a killed process: a
// lease outlives its owner until it expires (Lifecycle.Lease), and only then
// does another worker take the job over. Those must have a lease ending
// within leaseMax. Then it wants no job done twice. (Jobs of certificates
// still Ongoing wait for DNS until their deadline, by design.)
func waitJobsSettled(t *testing.T, path string, live int) {
	t.Helper()
	const leaseMax = 5 * time.Minute
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	liveOwner := fmt.Sprintf("%%/%d/%%", live)
	deadline := time.Now().Add(30 * time.Second)
	for {
		now := time.Now().UnixMicro()
		var open, orphaned int
		// A job the worker looked at while its certificate was still
		// Ongoing is due again later (back-off): only due ones count.
		err := db.QueryRow(`SELECT COUNT(*), COUNT(CASE WHEN j.lease_until > ? AND j.lease_owner NOT LIKE ? AND j.lease_until <= ? THEN 1 END)
			FROM job j JOIN certificate c ON c.no = j.subject
			WHERE j.kind = 'dcv-check' AND j.done_at IS NULL AND c.status <> 0 AND j.due_at <= ?`,
			now, liveOwner, now+leaseMax.Microseconds(), now).Scan(&open, &orphaned)
		if err != nil {
			t.Fatal(err)
		}
		if open == orphaned {
			t.Logf("validation jobs settled after the restart; %d still leased by killed processes until their leases expire", orphaned)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d due validation jobs of settled certificates are unfinished 30 s after the restart (%d of them leased by killed processes)", open, orphaned)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var dup int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT kind, subject FROM job WHERE kind = 'dcv-check' AND done_at IS NOT NULL
		GROUP BY kind, subject HAVING COUNT(*) > 1)`).Scan(&dup); err != nil {
		t.Fatal(err)
	}
	if dup != 0 {
		t.Errorf("%d validation jobs were done more than once", dup)
	}
}
