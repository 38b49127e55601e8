package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBodySizeLimit: a body over the limit is refused with the gateway's
// 413 envelope, whether Content-Length announces it or it arrives chunked
// with no length, and nothing is read past the limit.
func TestBodySizeLimit(t *testing.T) {
	ts := startServer(t)
	const target = "/api/v2/certificate/registPrivateKey"
	big := `{"certificateNo":1,"privateKey":"` + strings.Repeat("A", 2<<20) + `"}`
	for _, tc := range []struct {
		name    string
		body    io.Reader
		chunked bool
	}{
		{"announced by Content-Length", strings.NewReader(big), false},
		{"chunked, no Content-Length", io.MultiReader(strings.NewReader(big)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, ts.endpoint+target, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.chunked {
				req.ContentLength = -1 // unknown: net/http sends it chunked
			}
			req.Header.Set("Content-Type", "application/json")
			signHeaders(req, target, ts.ak, ts.sk, ts.clock.Now())
			resp := ts.do(req)
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", resp.StatusCode)
			}
			g := readGateway(t, resp)
			if g.Error.ErrorCode != "430" || g.Error.Message != "Request Entity Too Large" || !strings.Contains(g.Error.Details, "1048576") {
				t.Errorf("envelope %+v, want errorCode 430 Request Entity Too Large naming the limit", g.Error)
			}
		})
	}
	t.Run("just under the limit is read", func(t *testing.T) {
		body := `{"certificateNo":"x","privateKey":"` + strings.Repeat("A", 1<<19) + `"}`
		req, _ := http.NewRequest(http.MethodPost, ts.endpoint+target, strings.NewReader(body))
		signHeaders(req, target, ts.ak, ts.sk, ts.clock.Now())
		resp := ts.do(req)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400 (the body was read and its field refused)", resp.StatusCode)
		}
	})
}

// TestHeaderSizeLimit: a header block over --max-header-bytes is answered
// 431 by net/http before any handler runs.
func TestHeaderSizeLimit(t *testing.T) {
	ts := startServer(t, func(o *serveOptions) { o.MaxHeaderBytes = 4096 })
	const target = "/api/v2/certificate/getPaidCertificates"
	req, _ := http.NewRequest(http.MethodGet, ts.endpoint+target, nil)
	signHeaders(req, target, ts.ak, ts.sk, ts.clock.Now())
	req.Header.Set("X-Padding", strings.Repeat("p", 16<<10))
	resp := ts.do(req)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "Request Header Fields Too Large") {
		t.Errorf("body %q does not say what was too large", b)
	}

	t.Run("a normal request passes", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, ts.endpoint+target, nil)
		signHeaders(req, target, ts.ak, ts.sk, ts.clock.Now())
		if resp := ts.do(req); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
	})
}

// TestSlowClientCutOff: a client that starts a request and then stalls
// (slowloris) has its connection closed once --read-header-timeout (or
// --read-timeout, for a stalled body) has passed, instead of holding it.
func TestSlowClientCutOff(t *testing.T) {
	ts := startServer(t, func(o *serveOptions) {
		o.ReadHeaderTimeout = 200 * time.Millisecond
		o.ReadTimeout = 400 * time.Millisecond
	})
	addr := strings.TrimPrefix(ts.endpoint, "http://")
	for _, tc := range []struct{ name, sent string }{
		{"headers never finished", "GET /api/v2/certificate/getPaidCertificates HTTP/1.1\r\nHost: x\r\nX-Slow: "},
		{"body never finished", "POST /api/v2/certificate/registPrivateKey HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.sent); err != nil {
				t.Fatal(err)
			}
			// Wait for the server to act; the deadline only bounds the test
			// if the server never does.
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			rest, err := io.ReadAll(bufio.NewReader(conn))
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server still held the stalled connection after 20 s (read %q)", rest)
			}
			// Either closed silently or after a short answer (net/http may
			// answer a stalled body with nothing and a header with 408).
			if len(rest) > 0 && !bytes.HasPrefix(rest, []byte("HTTP/1.1 4")) {
				t.Errorf("the server answered the stalled request with %q", rest)
			}
		})
	}
}
