package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpsig"
	"github.com/ncmhq/ncm/service"
)

// fakeClock is a clock tests move by hand. A following clock runs with the
// real time plus what it was advanced by (for tests that also run the CLI,
// which signs with the real time).
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	follow bool
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.follow {
		return time.Now().UTC().Add(c.now.Sub(time.Time{}))
	}
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// realTime makes the server's clock follow the real time.
func realTime(o *serveOptions) { o.clock = &fakeClock{follow: true} }

// testServer is `ncm serve` running in-process on 127.0.0.1:0 over a
// temporary data directory.
type testServer struct {
	t        *testing.T
	endpoint string
	dataDir  string
	dsn      string // the --db of the server: "" for SQLite in dataDir, else postgres://...
	memberNo string
	ak, sk   string
	clock    *fakeClock
}

var exportLine = regexp.MustCompile(`(?m)^export (NCLOUD_ACCESS_KEY_ID|NCLOUD_SECRET_ACCESS_KEY|NCM_ENDPOINT)=(\S+)$`)
var memberLine = regexp.MustCompile(`main account (\d+)`)

// startServer runs the server as `ncm serve` would, with a fake clock set to
// a fixed instant, and returns it once it listens. mods adjust the options.
func startServer(t *testing.T, mods ...func(*serveOptions)) *testServer {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 3, 1, 1, 15, 30, 0, time.UTC)}
	o := serveOptions{Addr: "127.0.0.1:0", LogFormat: "text", ShutdownTimeout: 30 * time.Second, clock: clock}
	o.storeOptions = storeOptions{DataDir: t.TempDir(), Zone: "PUB", DisplayTimezone: "Asia/Seoul"}
	useTestDatabase(t, &o.storeOptions)
	for _, m := range mods {
		m(&o)
	}
	clock = o.clock.(*fakeClock)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout bytes.Buffer
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- runServe(ctx, o, &stdout, io.Discard, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-errc:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start within 60s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("server stopped with: %v", err)
		}
	})
	ts := &testServer{t: t, endpoint: "http://" + addr, dataDir: o.DataDir, dsn: o.DB, clock: clock}
	for _, m := range exportLine.FindAllStringSubmatch(stdout.String(), -1) {
		switch m[1] {
		case "NCLOUD_ACCESS_KEY_ID":
			ts.ak = m[2]
		case "NCLOUD_SECRET_ACCESS_KEY":
			ts.sk = m[2]
		}
	}
	if m := memberLine.FindStringSubmatch(stdout.String()); m != nil {
		ts.memberNo = m[1]
	}
	if ts.ak == "" || ts.sk == "" || ts.memberNo == "" {
		t.Fatalf("serve did not print the member and export lines; stdout:\n%s", stdout.String())
	}
	return ts
}

// client returns an SDK client for the given key, on the server's clock.
func (ts *testServer) client(ak, sk string) *client.Client {
	ts.t.Helper()
	c, err := client.New(client.Config{Endpoint: ts.endpoint, AccessKey: ak, SecretKey: sk, Now: ts.clock.Now})
	if err != nil {
		ts.t.Fatalf("client.New: %v", err)
	}
	return c
}

// run runs the ncm command line and returns its exit code and output.
func (ts *testServer) run(args ...string) (int, string, string) {
	ts.t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// admin runs `ncm admin ARGS --data-dir DIR` and fails the test on error.
func (ts *testServer) admin(args ...string) string {
	ts.t.Helper()
	code, out, errs := ts.run(append(append([]string{"admin"}, args...), ts.storeFlags()...)...)
	if code != 0 {
		ts.t.Fatalf("ncm admin %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out
}

// newMember creates another account through the admin command and returns
// its member number and key.
func (ts *testServer) newMember() (memberNo, ak, sk string) {
	out := ts.admin("member", "create", "--name", "other")
	for _, m := range exportLine.FindAllStringSubmatch(out, -1) {
		switch m[1] {
		case "NCLOUD_ACCESS_KEY_ID":
			ak = m[2]
		case "NCLOUD_SECRET_ACCESS_KEY":
			sk = m[2]
		}
	}
	if m := regexp.MustCompile(`member (\d+)`).FindStringSubmatch(out); m != nil {
		memberNo = m[1]
	}
	if ak == "" || memberNo == "" {
		ts.t.Fatalf("member create printed no credentials:\n%s", out)
	}
	return memberNo, ak, sk
}

// createOrg creates an organization for the main member and returns its number.
func (ts *testServer) createOrg() string {
	out := ts.admin("org", "create", "--member", ts.memberNo, "--name-eng", "Example Corporation",
		"--country", "KR", "--state", "Sample-state", "--locality", "Sample-city")
	m := regexp.MustCompile(`organization (\d+) created`).FindStringSubmatch(out)
	if m == nil {
		ts.t.Fatalf("org create: %s", out)
	}
	return m[1]
}

// signedRequest builds a request signed with the server's main key at the
// server's clock.
func (ts *testServer) do(req *http.Request) *http.Response {
	ts.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	ts.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

var (
	keyOnce sync.Once
	rsaKeys []*rsa.PrivateKey
)

// mustRSAKey returns one of a few RSA 2048 keys generated once per test run.
func mustRSAKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys = append(rsaKeys, k)
		}
	})
	return rsaKeys[i%len(rsaKeys)]
}

func mustECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCSR(t testing.TB, key crypto.Signer, cn string, sans ...string) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn}, DNSNames: sans,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func mustKeyPEM(t testing.TB, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func sortStrings(s []string) { slices.Sort(s) }

func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// signHeaders signs req like the NCP docs' sample: the request target is
// the path with its query exactly as sent.
func signHeaders(req *http.Request, target, ak, sk string, now time.Time) {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	req.Header.Set("x-ncp-apigw-timestamp", ts)
	req.Header.Set("x-ncp-iam-access-key", ak)
	req.Header.Set("x-ncp-apigw-signature-v2", ncpsig.Sign(req.Method, target, ts, ak, sk))
}

// approve passes domain validation of a certificate the way
// `ncm admin dcv approve` does, but on the server's (fake) clock.
func (ts *testServer) approve(no int64) {
	ts.t.Helper()
	a, err := openApp(context.Background(), ts.storeOptions(), service.Config{Clock: ts.clock}, discardLogger())
	if err != nil {
		ts.t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.svc.ApproveValidation(context.Background(), no); err != nil {
		ts.t.Fatalf("approve %d: %v", no, err)
	}
}
