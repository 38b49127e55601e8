package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/ncmhq/ncm/ncpapi"
)

// TestBadQueriesAndBodies: inputs found by probing a running server, each a
// kind of fault closed for every route at once (the handler adapter, the
// decoder, the route check), never a 500.
func TestBadQueriesAndBodies(t *testing.T) {
	ts := startServer(t)
	c := ts.client(ts.ak, ts.sk)
	if _, err := c.RequestAdvancedCertificate(t.Context(), ncpapi.AdvancedCertificateRequest{
		CSR: mustCSR(t, mustECKey(t), "q.example.com"), CertificateType: "NCP_PAID_DV_01",
		CertificateName: "query-cert", CommonName: "q.example.com", ValidationMethod: "D",
	}); err != nil {
		t.Fatal(err)
	}
	wantBadRequest := func(t *testing.T, resp *http.Response, field string) {
		t.Helper()
		var body struct{ ReturnCode, ReturnMessage string }
		json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != http.StatusBadRequest || body.ReturnCode != "2000" || !strings.Contains(body.ReturnMessage, field) {
			t.Fatalf("status %d %+v; want 400 / 2000 naming %q", resp.StatusCode, body, field)
		}
	}
	lists := []string{"/api/v2/certificate/getPaidCertificates", "/api/v2/certificate/orders",
		"/api/v2/certificate/certificates", "/api/v2/certificate/getCertificates", "/api/v2/domain/domains"}
	for _, path := range lists {
		t.Run("HugePaging"+path, func(t *testing.T) {
			// page × pageSize used to overflow: a panic (500) on one list,
			// page 1 instead of an empty page on the others.
			wantBadRequest(t, rawGet(t, ts, path+"?page=9223372036854775807&pageSize=2"), "page")
			wantBadRequest(t, rawGet(t, ts, path+"?page=1&pageSize=4611686018427387904"), "pageSize")
			resp := rawGet(t, ts, path+"?page=2147483647&pageSize=2147483647")
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || bytes.Contains(b, []byte("query-cert")) {
				t.Fatalf("largest allowed page: status %d %s; want 200 and an empty page", resp.StatusCode, b)
			}
		})
	}
	t.Run("MalformedQueryEncoding", func(t *testing.T) {
		wantBadRequest(t, rawGet(t, ts, "/api/v2/certificate/getPaidCertificates?page=%zz"), "query")
	})
	t.Run("RepeatedParameter", func(t *testing.T) {
		wantBadRequest(t, rawGet(t, ts, "/api/v2/certificate/getPaidCertificates?page=1&page=2"), "page")
		req, _ := http.NewRequest(http.MethodDelete, ts.endpoint+"/api/v2/certificate/deleteCertificate/100001?certificateName=query-cert&certificateName=zzz", nil)
		signHeaders(req, "/api/v2/certificate/deleteCertificate/100001?certificateName=query-cert&certificateName=zzz", ts.ak, ts.sk, ts.clock.Now())
		wantBadRequest(t, ts.do(req), "certificateName")
		r, err := c.ListAdvancedCertificates(t.Context(), listAll())
		if err != nil || r.TotalCount != 1 {
			t.Fatalf("a refused delete changed the list: %v %v", r, err)
		}
	})
	t.Run("SignedPathNumber", func(t *testing.T) {
		resp := ts.sendSigned(t, signParts{target: "/api/v2/certificate/orders/+900001"})
		wantBadRequest(t, resp, "orderId")
	})
	t.Run("BodyNotAnObject", func(t *testing.T) {
		for _, body := range []string{"null", "[]", `"x"`, "42"} {
			const target = "/api/v2/certificate/registPrivateKey"
			req, _ := http.NewRequest(http.MethodPost, ts.endpoint+target, strings.NewReader(body))
			signHeaders(req, target, ts.ak, ts.sk, ts.clock.Now())
			wantBadRequest(t, ts.do(req), "body")
		}
	})
	t.Run("UncleanPath", func(t *testing.T) {
		for _, target := range []string{"/api/v2/certificate/./getPaidCertificates", "//api/v2/certificate/getPaidCertificates",
			"/api/v2/certificate/x/../getPaidCertificates"} {
			req, _ := http.NewRequest(http.MethodGet, ts.endpoint+"/", nil)
			req.URL.Opaque = target // sent as written, not cleaned by the client
			signHeaders(req, target, ts.ak, ts.sk, ts.clock.Now())
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: status %d, want the 404 envelope (no redirect)", target, resp.StatusCode)
			}
		}
	})
	t.Run("FreeTextFields", func(t *testing.T) {
		for field, body := range map[string]map[string]any{
			"alias":        {"validationMode": "DNS01", "certificateTypeCode": "NPD_01", "validityDays": 90, "alias": "a\u0000b\u202e"},
			"contactEmail": {"validationMode": "DNS01", "certificateTypeCode": "NPD_01", "validityDays": 90, "alias": "ok", "contactEmail": strings.Repeat("x", 300) + "@example.com"},
		} {
			var out map[string]any
			err := c.Do(t.Context(), http.MethodPost, "/api/v2/acme/account", nil, body, &out)
			if err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("%s: %v; want a 400 naming %s", field, err, field)
			}
		}
		var list struct{ TotalCount int }
		if err := c.Do(t.Context(), http.MethodGet, "/api/v2/acme/accounts", nil, nil, &list); err != nil || list.TotalCount != 0 {
			t.Fatalf("refused EAB credentials were stored: %+v %v", list, err)
		}
	})
	t.Run("IPAddressAsDomain", func(t *testing.T) {
		for _, name := range []string{"10.0.0.1", "999.999.999.999", "host.123"} {
			_, err := c.RequestAdvancedCertificate(t.Context(), ncpapi.AdvancedCertificateRequest{
				CSR: mustCSR(t, mustECKey(t), "ok.example.com"), CertificateType: "NCP_PAID_DV_01",
				CertificateName: "ip-cert", CommonName: "ok.example.com", DNSName: []string{name}, ValidationMethod: "D",
			})
			if err == nil || !strings.Contains(err.Error(), "dnsName") {
				t.Errorf("dnsName %q: %v; want a 2000 naming dnsName", name, err)
			}
		}
	})
}

// TestCLIUsageErrors: a mistyped subcommand or an operator command run away
// from the data directory is a usage error (exit 2) that says what to do,
// and creates nothing.
func TestCLIUsageErrors(t *testing.T) {
	ts := &testServer{t: t}
	for _, args := range [][]string{{"paid", "lst"}, {"admin", "foo"}, {"admin", "dcv", "foo"}, {"cert"}} {
		if code, _, errs := ts.run(args...); code != exitUsage || errs == "" {
			t.Errorf("ncm %v: exit %d, stderr %q; want 2 with a message", args, code, errs)
		}
	}
	dir := t.TempDir() + "/nowhere"
	code, _, errs := ts.run("admin", "dcv", "approve", "100001", "--data-dir", dir)
	if code != exitUsage || !strings.Contains(errs, "no ncm database") {
		t.Fatalf("admin on a missing data dir: exit %d, %q; want 2 and 'no ncm database'", code, errs)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("admin created %s", dir)
	}
}
