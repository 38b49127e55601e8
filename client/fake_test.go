package client_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/ncpsig"
)

const (
	testKey    = "AKTEST000000001"
	testSecret = "SKTEST000000001"
)

// Clock is a settable clock shared by a fake server and a client.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 1, 1, 15, 30, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// Fake is an httptest server that checks signatures as the real server does
// (ncpsig, strict) against its own clock, then calls Handler.
type Fake struct {
	*httptest.Server
	Clock   *Clock
	Handler http.HandlerFunc

	mu       sync.Mutex
	requests []*http.Request
}

// MustFake starts a Fake with handler h; it stops when the test ends.
func MustFake(tb testing.TB, h http.HandlerFunc) *Fake {
	tb.Helper()
	f := &Fake{Clock: NewClock(), Handler: h}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.Close)
	return f
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Clone(r.Context()))
	f.mu.Unlock()
	w.Header().Set(ncpapi.HeaderTraceID, "trace-1")
	w.Header().Set("Date", f.Clock.Now().Format(http.TimeFormat))
	v := ncpsig.Verifier{Strict: true}
	c, err := ncpsig.ParseHeaders(r.Header)
	if err == nil {
		err = v.CheckTimestamp(c.Timestamp, f.Clock.Now())
	}
	if err == nil {
		secret := testSecret
		if c.AccessKey != testKey {
			secret = "dummy"
		}
		err = v.Verify(r.Method, r.RequestURI, c, secret)
	}
	if err != nil {
		e := err.(*ncpsig.Error)
		WriteJSON(w, http.StatusUnauthorized, ncpapi.GatewayError{Error: ncpapi.GatewayErrorDetail{
			ErrorCode: "200", Message: "Authentication Failed", Details: e.Details}})
		return
	}
	f.Handler(w, r)
}

// Requests returns the requests the fake received, in order.
func (f *Fake) Requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.requests...)
}

// MustClient returns a client for f using f's clock.
func (f *Fake) MustClient(tb testing.TB, mods ...func(*client.Config)) *client.Client {
	tb.Helper()
	cfg := client.Config{Endpoint: f.URL, AccessKey: testKey, SecretKey: testSecret, Now: f.Clock.Now}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := client.New(cfg)
	if err != nil {
		tb.Fatalf("client.New: %v", err)
	}
	return c
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ncpapi.ContentTypeJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// OK is the success envelope.
var OK = ncpapi.Result{ReturnCode: "0", ReturnMessage: "Success"}
