package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/httpapi"
	"github.com/ncmhq/ncm/service"
	"github.com/ncmhq/ncm/sqlstore"
)

const listPath = "/api/v2/certificate/getPaidCertificates"

type gatewayEnvelope struct {
	Error struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
		Details   string `json:"details"`
	} `json:"error"`
}

func mustGateway(t *testing.T, body []byte) gatewayEnvelope {
	t.Helper()
	var g gatewayEnvelope
	if err := json.Unmarshal(body, &g); err != nil || g.Error.ErrorCode == "" {
		t.Fatalf("answer is not a gateway error envelope (%v): %s", err, body)
	}
	return g
}

func TestRateLimitPerAccessKey(t *testing.T) {
	e := newEnv(t, func(s *httpapi.Server) { s.RateLimit = 0.5; s.RateBurst = 3 })

	for i := range 3 {
		if st, _, body := e.do(e.signed(e.a, "GET", listPath, nil)); st != http.StatusOK {
			t.Fatalf("request %d within the burst: status %d, want 200: %s", i+1, st, body)
		}
	}
	st, h, body := e.do(e.signed(e.a, "GET", listPath, nil))
	if st != http.StatusTooManyRequests {
		t.Fatalf("request beyond the burst: status %d, want 429: %s", st, body)
	}
	g := mustGateway(t, body)
	if g.Error.ErrorCode != "420" || g.Error.Message != "Rate Limited" {
		t.Errorf("envelope %+v, want errorCode 420 Rate Limited", g.Error)
	}
	if !strings.Contains(g.Error.Details, e.a.AccessKeyID) {
		t.Errorf("details %q do not name the access key", g.Error.Details)
	}
	if o := h.Get("x-ncp-apigw-response-origin"); o != "APIGW" {
		t.Errorf("origin %q, want APIGW", o)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q, want a positive number of seconds", h.Get("Retry-After"))
	}

	t.Run("other keys keep their own budget", func(t *testing.T) {
		if st, _, body := e.do(e.signed(e.b, "GET", listPath, nil)); st != http.StatusOK {
			t.Fatalf("member B: status %d, want 200: %s", st, body)
		}
	})
	t.Run("a refused request does not use up a token", func(t *testing.T) {
		// 0.5/s: the next token comes within 2 s; refusals in between
		// must not push it further away.
		for range 5 {
			e.do(e.signed(e.a, "GET", listPath, nil))
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			st, _, _ := e.do(e.signed(e.a, "GET", listPath, nil))
			if st == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no token came back within 5 s at 0.5 requests/s")
			}
			time.Sleep(250 * time.Millisecond)
		}
	})
}

func TestRateLimitOff(t *testing.T) {
	e := newEnv(t) // RateLimit 0
	for i := range 30 {
		if st, _, body := e.do(e.signed(e.a, "GET", listPath, nil)); st != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200 with no rate limit: %s", i+1, st, body)
		}
	}
}

func TestReplayAfterWindowRefused(t *testing.T) {
	e := newEnv(t)
	req := e.signed(e.a, "GET", listPath, nil)
	if st, _, body := e.do(req); st != http.StatusOK {
		t.Fatalf("original: status %d: %s", st, body)
	}
	e.clock.Advance(5*time.Minute + time.Second)
	replay := e.signed(e.a, "GET", listPath, nil)
	replay.Header = req.Header.Clone() // the captured headers, as sent
	st, _, body := e.do(replay)
	if st != http.StatusUnauthorized {
		t.Fatalf("replay after 5 min: status %d, want 401: %s", st, body)
	}
	if g := mustGateway(t, body); g.Error.ErrorCode != "200" || !strings.Contains(strings.ToLower(g.Error.Details), "timestamp") {
		t.Errorf("envelope %+v, want errorCode 200 naming the timestamp", g.Error)
	}
}

func TestReplayInsideWindow(t *testing.T) {
	t.Run("accepted by default, as NCP does", func(t *testing.T) {
		e := newEnv(t)
		req := e.signed(e.a, "GET", listPath, nil)
		for i := range 2 {
			r := req.Clone(context.Background())
			if st, _, body := e.do(r); st != http.StatusOK {
				t.Fatalf("send %d: status %d, want 200: %s", i+1, st, body)
			}
		}
	})
	t.Run("refused with --reject-replays, on every node of the database", func(t *testing.T) {
		e := newEnv(t, func(s *httpapi.Server) { s.RejectReplays = true })
		req := e.signed(e.a, "GET", listPath, nil)
		if st, _, body := e.do(req.Clone(context.Background())); st != http.StatusOK {
			t.Fatalf("first send: status %d, want 200: %s", st, body)
		}
		st, _, body := e.do(req.Clone(context.Background()))
		if st != http.StatusUnauthorized {
			t.Fatalf("replay: status %d, want 401: %s", st, body)
		}
		if g := mustGateway(t, body); g.Error.ErrorCode != "200" || !strings.Contains(g.Error.Details, "replayed") {
			t.Errorf("envelope %+v, want errorCode 200 saying it was replayed", g.Error)
		}

		// A second node, with its own connections to the same database,
		// remembers it too.
		store2, err := sqlstore.Open(context.Background(), e.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer store2.Close()
		svc2 := service.New(service.Config{Store: store2, Sealer: e.key, Logger: e.api.Logger})
		node2 := httptest.NewServer((&httpapi.Server{Service: svc2, Clock: e.clock, Logger: e.api.Logger, RejectReplays: true}).Handler())
		defer node2.Close()
		r2 := req.Clone(context.Background())
		r2.URL.Host, r2.Host = strings.TrimPrefix(node2.URL, "http://"), ""
		if st, _, body := e.do(r2); st != http.StatusUnauthorized || !strings.Contains(mustGateway(t, body).Error.Details, "replayed") {
			t.Fatalf("replay to another node: status %d, want 401 saying it was replayed: %s", st, body)
		}

		// A request signed anew is accepted (timestamps have millisecond
		// resolution, so wait for the next one).
		time.Sleep(2 * time.Millisecond)
		if st, _, body := e.do(e.signed(e.a, "GET", listPath, nil)); st != http.StatusOK {
			t.Fatalf("fresh request: status %d, want 200: %s", st, body)
		}
	})
}

func TestNonceMemoryIsPruned(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now()
	err := e.store.Write(ctx, func(tx ncm.Tx) error {
		for i, exp := range []time.Time{now.Add(-time.Minute), now.Add(-time.Second), now.Add(time.Minute)} {
			if fresh, err := tx.RememberNonce(ctx, "n"+strconv.Itoa(i), exp); err != nil || !fresh {
				t.Fatalf("RememberNonce n%d = %v, %v; want fresh", i, fresh, err)
			}
		}
		if fresh, err := tx.RememberNonce(ctx, "n2", now.Add(time.Hour)); err != nil || fresh {
			t.Fatalf("RememberNonce(n2 again) = %v, %v; want a replay", fresh, err)
		}
		n, err := tx.PruneNonces(ctx, now)
		if err != nil || n != 2 {
			t.Fatalf("PruneNonces = %d, %v; want 2 expired forgotten", n, err)
		}
		if fresh, err := tx.RememberNonce(ctx, "n2", now.Add(time.Hour)); err != nil || fresh {
			t.Fatalf("unexpired n2 was pruned (fresh=%v, err=%v)", fresh, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
