package httpapi_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/httpapi"
	"github.com/ncmhq/ncm/localca"
	"github.com/ncmhq/ncm/masterkey"
	"github.com/ncmhq/ncm/ncpsig"
	"github.com/ncmhq/ncm/service"
	"github.com/ncmhq/ncm/sqlstore"
)

// env is the API served in-process over a fresh SQLite database, the local
// CA and a master key, on the real clock, with two members A and B.
type env struct {
	tb    testing.TB
	url   string
	api   *httpapi.Server
	h     http.Handler // the API's handler, for in-process calls
	svc   *service.Service
	store *sqlstore.DB
	a, b  *service.Credentials
	log   *bytes.Buffer
	// clock is the gateway's clock (timestamp checks), movable by tests.
	clock *shiftClock
	// dsn opens the same database again (another node); key is the master
	// key sealing its secrets.
	dsn string
	key *masterkey.Key
}

// shiftClock is the real time moved by an offset.
type shiftClock struct{ off atomic.Int64 }

func (c *shiftClock) Now() time.Time { return time.Now().UTC().Add(time.Duration(c.off.Load())) }

// Advance moves the clock forward by d.
func (c *shiftClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// newEnv starts the API. mods adjust the httpapi.Server before it serves.
func newEnv(tb testing.TB, mods ...func(*httpapi.Server)) *env {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	store, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "ncm.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	key, err := masterkey.Generate()
	if err != nil {
		tb.Fatal(err)
	}
	clock := &shiftClock{}
	m, err := localca.Generate(clock.Now(), key, localca.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := store.Write(ctx, func(tx ncm.Tx) error { return tx.CreateCA(ctx, m) }); err != nil {
		tb.Fatal(err)
	}
	ca, err := localca.New(m, key, clock)
	if err != nil {
		tb.Fatal(err)
	}
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logBuf}, nil))
	svc := service.New(service.Config{Store: store, Issuer: ca, Sealer: key, Clock: clock, AutoValidate: true, Logger: logger})
	e := &env{tb: tb, svc: svc, store: store, log: &logBuf, clock: clock, dsn: "sqlite:" + filepath.Join(dir, "ncm.db"), key: key}
	if e.a, err = svc.CreateMember(ctx, "member A"); err != nil {
		tb.Fatal(err)
	}
	if e.b, err = svc.CreateMember(ctx, "member B"); err != nil {
		tb.Fatal(err)
	}
	e.api = &httpapi.Server{Service: svc, Logger: logger, Clock: clock}
	for _, mod := range mods {
		mod(e.api)
	}
	e.h = e.api.Handler()
	srv := httptest.NewServer(e.h)
	tb.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// lockedWriter serialises writes of concurrent requests to the log buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// signed builds a request to target signed with c's key at the current time.
func (e *env) signed(c *service.Credentials, method, target string, body []byte) *http.Request {
	e.tb.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+target, r)
	if err != nil {
		e.tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sign(req, target, c, time.Now())
	return req
}

func sign(req *http.Request, target string, c *service.Credentials, at time.Time) {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	req.Header.Set("x-ncp-apigw-timestamp", ts)
	req.Header.Set("x-ncp-iam-access-key", c.AccessKeyID)
	req.Header.Set("x-ncp-apigw-signature-v2", ncpsig.Sign(req.Method, target, ts, c.AccessKeyID, c.SecretKey))
}

// do sends req and returns the status, headers and body.
func (e *env) do(req *http.Request) (int, http.Header, []byte) {
	e.tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.tb.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, resp.Header, b
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testKey is one RSA key generated once per test binary.
func testKey(tb testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func csrPEM(tb testing.TB, key crypto.Signer, cn string) string {
	tb.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
	}, key)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func keyPEM(tb testing.TB, key crypto.Signer) string {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
