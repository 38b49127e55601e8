package main

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
)

// soakDuration is how long TestSoak runs: 10 s in the ordinary suite,
// NCM_SOAK (a Go duration, e.g. 5m) for a real soak.
func soakDuration(t *testing.T) time.Duration {
	v := os.Getenv("NCM_SOAK")
	if v == "" {
		return 10 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("NCM_SOAK=%q: %v", v, err)
	}
	return d
}

// rssKiB reads the resident set size of a process from /proc (0 when it
// cannot: the caller reports that).
func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// TestSoak runs mixed reads and writes (paid requests, key registrations,
// paged lists) against `ncm serve` for soakDuration with 4 clients, wants
// zero errors, and wants the server's memory flat: its RSS at the end no
// more than 1.5 times (plus 32 MiB) what it was after the warm-up.
func TestSoak(t *testing.T) {
	if e2eOnPostgres {
		t.Skip("the soak ran in the SQLite pass")
	}
	d := soakDuration(t)
	p := startProc(t, buildNCM(t), t.TempDir(), "--auto-validate", "--rate-limit", "0")
	_, ak, sk := p.credentials()
	keys := []crypto.Signer{mustRSAKey(t, 0), mustECKey(t)}
	csrs := map[int]string{}
	for i, k := range keys {
		csrs[i] = mustCSR(t, k, "soak.example.com", "soak.example.com")
	}
	var ops, errs atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var warmRSS atomic.Int64
	warm := time.AfterFunc(d/5, func() { warmRSS.Store(rssKiB(p.cmd.Process.Pid)) })
	defer warm.Stop()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := client.New(client.Config{Endpoint: p.endpoint, AccessKey: ak, SecretKey: sk})
			if err != nil {
				fail(err)
				return
			}
			for i := 0; ; i++ {
				k := (w + i) % len(keys)
				pc, err := c.RequestAdvancedCertificate(context.Background(), ncpapi.AdvancedCertificateRequest{
					CSR: csrs[k], CertificateType: "NCP_PAID_DV_01", CertificateName: fmt.Sprintf("s%dx%d", w, i),
					CommonName: "soak.example.com", ValidationMethod: "D",
				})
				ops.Add(1)
				if err != nil {
					fail(err)
				} else if i%3 == 0 {
					ops.Add(1)
					if err := c.RegisterPrivateKey(context.Background(), pc.CertificateNo, mustKeyPEM(t, keys[k])); err != nil {
						fail(err)
					}
				}
				for range 3 {
					ops.Add(1)
					if _, err := c.ListAdvancedCertificates(context.Background(), client.ListAdvancedOptions{Page: 1 + i%5, PageSize: 20}); err != nil {
						fail(err)
					}
				}
				if ctx.Err() != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	endRSS, startRSS := rssKiB(p.cmd.Process.Pid), warmRSS.Load()
	t.Logf("soak %s: %d operations, %d errors; server RSS %d KiB after warm-up, %d KiB at the end", d, ops.Load(), errs.Load(), startRSS, endRSS)
	if errs.Load() != 0 {
		t.Errorf("%d of %d operations failed; first: %v", errs.Load(), ops.Load(), firstErr.Load())
	}
	if startRSS == 0 || endRSS == 0 {
		t.Fatalf("could not read the server's RSS from /proc (after warm-up %d, end %d)", startRSS, endRSS)
	}
	if endRSS > startRSS*3/2+32<<10 {
		t.Errorf("server memory grew from %d KiB to %d KiB during the soak", startRSS, endRSS)
	}
}

// TestSIGTERMFinishesInFlight: SIGTERM while a request is in flight (its
// body still arriving) lets that request finish and answer, then the
// process exits 0.
func TestSIGTERMFinishesInFlight(t *testing.T) {
	if e2eOnPostgres {
		t.Skip("ran in the SQLite pass")
	}
	p := startProc(t, buildNCM(t), t.TempDir(), "--auto-validate", "--shutdown-timeout", "20s")
	_, ak, sk := p.credentials()
	key := mustECKey(t)
	body, _ := json.Marshal(ncpapi.AdvancedCertificateRequest{
		CSR: mustCSR(t, key, "slow.example.com", "slow.example.com"), CertificateType: "NCP_PAID_DV_01",
		CertificateName: "slow", CommonName: "slow.example.com", ValidationMethod: "D",
	})
	const target = "/api/v2/certificate/requestPaidCertificateIssuance"
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, p.endpoint+target, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	signHeaders(req, target, ak, sk, time.Now())
	type result struct {
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() { resp, err := http.DefaultClient.Do(req); done <- result{resp, err} }()

	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	// The handler is now reading the body. Ask the server to stop and
	// wait until it says it is finishing what is in flight.
	time.Sleep(100 * time.Millisecond) // let the server start reading it
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, "shutting down")
	select {
	case <-p.done:
		t.Fatalf("the server exited with a request in flight (%v)", p.err)
	default:
	}
	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-done
	if r.err != nil {
		t.Fatalf("the in-flight request failed: %v", r.err)
	}
	defer r.resp.Body.Close()
	var out ncpapi.AdvancedCertificateResponse
	if err := json.NewDecoder(r.resp.Body).Decode(&out); err != nil || r.resp.StatusCode != http.StatusOK || out.ReturnCode != "0" {
		t.Fatalf("the in-flight request answered %d %+v (%v), want 200 returnCode 0", r.resp.StatusCode, out.Result, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.stop(ctx); err != nil {
		t.Fatalf("exit status after SIGTERM: %v, want 0\nstderr:\n%s", err, p.stderr.String())
	}
}

// waitFor waits until the server's log holds text.
func waitFor(t *testing.T, p *proc, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.stderr.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("the server never logged %q:\n%s", text, p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
