package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm/ncpsig"
)

// gatewayBody decodes a gateway error envelope.
type gatewayBody struct {
	Error struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
		Details   string `json:"details"`
	} `json:"error"`
}

func readGateway(t *testing.T, resp *http.Response) gatewayBody {
	t.Helper()
	var g gatewayBody
	if err := json.NewDecoder(resp.Body).Decode(&g); err != nil {
		t.Fatalf("body is not a gateway envelope: %v", err)
	}
	return g
}

// sendSigned sends a request with explicit signature parts, so each test can
// break exactly one of them.
type signParts struct {
	method, target string // what is sent
	signTarget     string // what is signed; default target
	ts, signTS     string // header timestamp and signed timestamp
	ak, sk         string
	header         string // signature header name
}

func (ts *testServer) sendSigned(t *testing.T, p signParts) *http.Response {
	t.Helper()
	if p.method == "" {
		p.method = http.MethodGet
	}
	if p.signTarget == "" {
		p.signTarget = p.target
	}
	if p.ts == "" {
		p.ts = strconv.FormatInt(ts.clock.Now().UnixMilli(), 10)
	}
	if p.signTS == "" {
		p.signTS = p.ts
	}
	if p.ak == "" {
		p.ak, p.sk = ts.ak, ts.sk
	}
	if p.header == "" {
		p.header = "x-ncp-apigw-signature-v2"
	}
	req, err := http.NewRequest(p.method, ts.endpoint+p.target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-ncp-apigw-timestamp", p.ts)
	req.Header.Set("x-ncp-iam-access-key", p.ak)
	req.Header.Set(p.header, ncpsig.Sign(p.method, p.signTarget, p.signTS, p.ak, p.sk))
	return ts.do(req)
}

func wantAuthFailed(t *testing.T, resp *http.Response, detailPart string) gatewayBody {
	t.Helper()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	if o := resp.Header.Get("x-ncp-apigw-response-origin"); o != "APIGW" {
		t.Errorf("origin %q, want APIGW", o)
	}
	if resp.Header.Get("x-ncp-trace-id") == "" {
		t.Error("no x-ncp-trace-id")
	}
	g := readGateway(t, resp)
	if g.Error.ErrorCode != "200" || g.Error.Message != "Authentication Failed" {
		t.Errorf("envelope %+v, want errorCode 200 Authentication Failed", g.Error)
	}
	if !strings.Contains(strings.ToLower(g.Error.Details), strings.ToLower(detailPart)) {
		t.Errorf("details %q, want it to mention %q", g.Error.Details, detailPart)
	}
	return g
}

func TestSignatureGateway(t *testing.T) {
	ts := startServer(t)
	const list = "/api/v2/certificate/getPaidCertificates"
	const withQuery = list + "?pageSize=10&page=1"

	okCases := map[string]signParts{
		"OK/HeaderV2":            {target: list},
		"OK/HeaderV1":            {target: list, header: "x-ncp-apigw-signature-v1"},
		"OK/QuerySigned":         {target: withQuery},
		"OK/BarePathSigned":      {target: withQuery, signTarget: list},
		"OK/UnknownQueryIgnored": {target: list + "?responseFormatType=json"},
	}
	for name, p := range okCases {
		t.Run(name, func(t *testing.T) {
			if resp := ts.sendSigned(t, p); resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d, want 200: %s", resp.StatusCode, b)
			}
		})
	}
	t.Run("ErrWrongSecret", func(t *testing.T) {
		wantAuthFailed(t, ts.sendSigned(t, signParts{target: list, ak: ts.ak, sk: "wrong"}), "signature")
	})
	t.Run("ErrUnknownKeyAnswersLikeWrongSecret", func(t *testing.T) {
		wrong := wantAuthFailed(t, ts.sendSigned(t, signParts{target: list, ak: ts.ak, sk: "wrong"}), "signature")
		unknown := wantAuthFailed(t, ts.sendSigned(t, signParts{target: list, ak: "NOSUCHKEY", sk: "whatever"}), "signature")
		if wrong != unknown {
			t.Fatalf("unknown key answers %+v, wrong secret %+v: they must not differ", unknown, wrong)
		}
	})
	t.Run("ErrMissingHeader", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, ts.endpoint+list, nil)
		wantAuthFailed(t, ts.do(req), "x-ncp-")
	})
	t.Run("ErrMethodSignedDiffers", func(t *testing.T) {
		p := signParts{target: list}
		p.method = http.MethodGet
		req, _ := http.NewRequest(http.MethodGet, ts.endpoint+list, nil)
		now := strconv.FormatInt(ts.clock.Now().UnixMilli(), 10)
		req.Header.Set("x-ncp-apigw-timestamp", now)
		req.Header.Set("x-ncp-iam-access-key", ts.ak)
		req.Header.Set("x-ncp-apigw-signature-v2", ncpsig.Sign("POST", list, now, ts.ak, ts.sk))
		wantAuthFailed(t, ts.do(req), "signature")
	})
}

// TestFieldC22_StaleTimestampAndLongLivedClient: a timestamp captured once
// fails after 5 minutes with a message about the clock, not the signature;
// the SDK takes a new timestamp per request and keeps working.
func TestFieldC22_StaleTimestampAndLongLivedClient(t *testing.T) {
	ts := startServer(t)
	target := "/api/v2/certificate/getPaidCertificates"
	for name, off := range map[string]time.Duration{"Behind": -6 * time.Minute, "Ahead": 6 * time.Minute} {
		t.Run("Err"+name, func(t *testing.T) {
			stamp := strconv.FormatInt(ts.clock.Now().Add(off).UnixMilli(), 10)
			resp := ts.sendSigned(t, signParts{target: target, ts: stamp})
			g := wantAuthFailed(t, resp, strings.ToLower(name))
			if strings.Contains(strings.ToLower(g.Error.Details), "signature") {
				t.Errorf("details %q blame the signature for a clock problem", g.Error.Details)
			}
			if resp.Header.Get("Date") == "" {
				t.Error("no Date header to diagnose the skew with")
			}
		})
	}
	t.Run("OK/LongLivedClient", func(t *testing.T) {
		c := ts.client(ts.ak, ts.sk)
		ctx := context.Background()
		if _, err := c.ListAdvancedCertificates(ctx, listAll()); err != nil {
			t.Fatal(err)
		}
		ts.clock.Advance(10 * time.Minute)
		if _, err := c.ListAdvancedCertificates(ctx, listAll()); err != nil {
			t.Fatalf("after 10 minutes: %v", err)
		}
	})
}

// TestFieldC23_HeaderTimestampDiffers: signed with T, sent with T+1ms.
func TestFieldC23_HeaderTimestampDiffers(t *testing.T) {
	ts := startServer(t)
	now := ts.clock.Now().UnixMilli()
	resp := ts.sendSigned(t, signParts{target: "/api/v2/certificate/getPaidCertificates",
		ts: strconv.FormatInt(now+1, 10), signTS: strconv.FormatInt(now, 10)})
	wantAuthFailed(t, resp, "signature")
}

// TestFieldC25_QueryOrBarePath: the docs sign the path with its query, NCP's
// Go SDK signs the bare path; both pass by default, --strict-signature
// accepts only the first, and the query is never re-sorted.
func TestFieldC25_QueryOrBarePath(t *testing.T) {
	const path = "/api/v2/certificate/getPaidCertificates"
	const target = path + "?certificateName=web-cert&pageSize=5"
	for _, strict := range []bool{false, true} {
		ts := startServer(t, func(o *serveOptions) { o.StrictSignature = strict })
		if resp := ts.sendSigned(t, signParts{target: target}); resp.StatusCode != http.StatusOK {
			t.Errorf("strict=%v: query signed: status %d, want 200", strict, resp.StatusCode)
		}
		resp := ts.sendSigned(t, signParts{target: target, signTarget: path})
		if want := map[bool]int{false: 200, true: 401}[strict]; resp.StatusCode != want {
			t.Errorf("strict=%v: bare path signed: status %d, want %d", strict, resp.StatusCode, want)
		}
		resorted := path + "?pageSize=5&certificateName=web-cert"
		if resp := ts.sendSigned(t, signParts{target: target, signTarget: resorted}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("strict=%v: re-sorted query signed: status %d, want 401", strict, resp.StatusCode)
		}
	}
}

// TestFieldC30_TimestampUnits: seconds, microseconds, spaces, non-numeric.
func TestFieldC30_TimestampUnits(t *testing.T) {
	ts := startServer(t)
	now := ts.clock.Now()
	cases := map[string]struct{ stamp, detail string }{
		"ErrSeconds":      {strconv.FormatInt(now.Unix(), 10), "seconds"},
		"ErrMicroseconds": {strconv.FormatInt(now.UnixMicro(), 10), "milliseconds"},
		// Leading and trailing spaces never arrive: HTTP strips them from
		// header values (RFC 9110 OWS). Spaces inside do.
		"ErrSpaces":     {strconv.FormatInt(now.UnixMilli(), 10)[:6] + " " + strconv.FormatInt(now.UnixMilli(), 10)[6:], "milliseconds"},
		"ErrNonNumeric": {"yesterday", "milliseconds"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			wantAuthFailed(t, ts.sendSigned(t, signParts{target: "/api/v2/certificate/getPaidCertificates", ts: c.stamp}), c.detail)
		})
	}
}

func TestGatewayEnvelopes(t *testing.T) {
	ts := startServer(t)
	t.Run("UnknownRoute", func(t *testing.T) {
		resp := ts.sendSigned(t, signParts{target: "/api/v2/certificate/noSuchThing"})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
		if g := readGateway(t, resp); g.Error.ErrorCode != "300" || g.Error.Message != "Not Found Exception" {
			t.Fatalf("envelope %+v, want 300 Not Found Exception", g.Error)
		}
	})
	t.Run("WrongMethod", func(t *testing.T) {
		resp := ts.sendSigned(t, signParts{method: http.MethodDelete, target: "/api/v2/certificate/getPaidCertificates"})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
	})
	t.Run("BodyTooLarge", func(t *testing.T) {
		const target = "/api/v2/certificate/registPrivateKey"
		req, _ := http.NewRequest(http.MethodPost, ts.endpoint+target, bytes.NewReader(make([]byte, 2<<20)))
		signHeaders(req, target, ts.ak, ts.sk, ts.clock.Now())
		resp := ts.do(req)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
		if g := readGateway(t, resp); g.Error.ErrorCode != "430" {
			t.Fatalf("envelope %+v, want errorCode 430", g.Error)
		}
	})
	t.Run("BadPaging", func(t *testing.T) {
		for _, q := range []string{"page=abc", "pageSize=-1", "page=1.5"} {
			resp := rawGet(t, ts, "/api/v2/certificate/getPaidCertificates?"+q)
			var body struct{ ReturnCode, ReturnMessage string }
			json.NewDecoder(resp.Body).Decode(&body)
			param := strings.SplitN(q, "=", 2)[0]
			if resp.StatusCode != http.StatusBadRequest || body.ReturnCode != "2000" || !strings.Contains(body.ReturnMessage, param) {
				t.Errorf("%s: status %d %+v, want 400 / 2000 naming %q", q, resp.StatusCode, body, param)
			}
		}
	})
	t.Run("SubAccountKeyOnV2", func(t *testing.T) {
		out := ts.admin("key", "create", "--member", ts.memberNo, "--sub")
		var ak, sk string
		for _, m := range exportLine.FindAllStringSubmatch(out, -1) {
			if m[1] == "NCLOUD_ACCESS_KEY_ID" {
				ak = m[2]
			} else {
				sk = m[2]
			}
		}
		resp := ts.sendSigned(t, signParts{target: "/api/v2/certificate/getPaidCertificates", ak: ak, sk: sk})
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusForbidden || len(b) != 0 || resp.Header.Get("x-ncp-apigw-response-origin") != "ENDPOINT" {
			t.Fatalf("status %d body %q origin %q; want 403, empty, ENDPOINT", resp.StatusCode, b, resp.Header.Get("x-ncp-apigw-response-origin"))
		}
	})
}
