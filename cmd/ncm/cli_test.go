package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ncmhq/ncm/ncpapi"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCLIAdvancedOVEndToEnd drives the same OV flow as the SDK test through
// the command line (Main with buffers), against the real server.
func TestCLIAdvancedOVEndToEnd(t *testing.T) {
	ts := startServer(t, realTime)
	t.Setenv("NCLOUD_ACCESS_KEY_ID", ts.ak)
	t.Setenv("NCLOUD_SECRET_ACCESS_KEY", ts.sk)
	t.Setenv("NCM_ENDPOINT", ts.endpoint)

	// The organization's member defaults to the owner of NCLOUD_ACCESS_KEY_ID.
	out := ts.admin("org", "create", "--name-eng", "Example Corporation", "--country", "KR",
		"--state", "Sample-state", "--locality", "Sample-city")
	orgNo := regexp.MustCompile(`organization (\d+) created for member ` + ts.memberNo).FindStringSubmatch(out)
	if orgNo == nil {
		t.Fatalf("org create: %s", out)
	}
	key := mustRSAKey(t, 2)
	csr := writeFile(t, "web.csr", mustCSR(t, key, "www.example.com"))
	code, out, errs := ts.run("paid", "request", "--csr", csr, "--type", "OV", "--org", orgNo[1],
		"--name", "web-cert", "--cn", "www.example.com", "--dns", "example.com,api.example.com")
	if code != 0 {
		t.Fatalf("paid request: exit %d: %s", code, errs)
	}
	m := regexp.MustCompile(`certificateNo (\d+) in order (\d+): Ongoing`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("paid request printed %q", out)
	}
	no := m[1]
	if out := ts.admin("dcv", "approve", no); !strings.Contains(out, "issued") {
		t.Fatalf("dcv approve printed %q", out)
	}
	code, _, errs = ts.run("key", "register", no, writeFile(t, "wrong.key", mustKeyPEM(t, mustRSAKey(t, 0))))
	if code != 1 || !strings.Contains(errs, "26040") {
		t.Fatalf("key register (wrong key): exit %d, stderr %q; want 1 and 26040", code, errs)
	}
	if code, _, errs = ts.run("key", "register", no, writeFile(t, "web.key", mustKeyPEM(t, key))); code != 0 {
		t.Fatalf("key register: exit %d: %s", code, errs)
	}

	code, out, errs = ts.run("paid", "list", "--json")
	if code != 0 {
		t.Fatalf("paid list --json: exit %d: %s", code, errs)
	}
	var resp ncpapi.ListAdvancedCertificatesResponse
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("paid list --json is not the API's JSON: %v\n%s", err, out)
	}
	c := resp.Orders[0].Certificates[0]
	stored := ts.storedCertificate(c.CertificateNo)
	if c.StatusCode != "1" || c.SerialNumber != stored.SerialNumber || c.DNSName != "www.example.com,example.com,api.example.com" ||
		c.SubjectDN != "cn=www.example.com,o=Example Corporation,l=Sample-city,s=Sample-state,c=KR" {
		t.Fatalf("listed %+v", c)
	}
	code, out, _ = ts.run("paid", "list")
	if code != 0 || !strings.Contains(out, "web-cert") || !strings.Contains(out, "Normal (1)") {
		t.Fatalf("paid list table: exit %d\n%s", code, out)
	}

	t.Run("SignForCurl", func(t *testing.T) {
		const target = "/api/v2/certificate/getPaidCertificates?certificateName=web-cert"
		code, out, errs := ts.run("sign", "GET", target)
		if code != 0 {
			t.Fatalf("sign: exit %d: %s", code, errs)
		}
		req, _ := http.NewRequest(http.MethodGet, ts.endpoint+target, nil)
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			k, v, ok := strings.Cut(line, ": ")
			if !ok || !strings.HasPrefix(k, "x-ncp-") {
				t.Fatalf("sign printed %q", line)
			}
			req.Header.Set(k, v)
		}
		if resp := ts.do(req); resp.StatusCode != http.StatusOK {
			t.Fatalf("request signed by ncm sign: status %d", resp.StatusCode)
		}
	})
}

func TestCLIHelpfulErrors(t *testing.T) {
	t.Run("MissingCredentials", func(t *testing.T) {
		for _, v := range []string{"NCLOUD_ACCESS_KEY_ID", "NCLOUD_SECRET_ACCESS_KEY", "NCLOUD_ACCESS_KEY", "NCLOUD_SECRET_KEY"} {
			t.Setenv(v, "")
			os.Unsetenv(v)
		}
		t.Setenv("HOME", t.TempDir())
		ts := &testServer{t: t}
		code, _, errs := ts.run("paid", "list")
		if code != 1 || !strings.Contains(errs, "NCLOUD_ACCESS_KEY_ID") {
			t.Fatalf("exit %d, stderr %q; want 1 and a hint naming NCLOUD_ACCESS_KEY_ID", code, errs)
		}
	})
	t.Run("WrongEndpoint", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close() // nothing listens there any more
		t.Setenv("NCLOUD_ACCESS_KEY_ID", "AK")
		t.Setenv("NCLOUD_SECRET_ACCESS_KEY", "SK")
		t.Setenv("NCM_ENDPOINT", srv.URL)
		ts := &testServer{t: t}
		code, _, errs := ts.run("paid", "list")
		if code != 1 || !strings.Contains(errs, "NCM_ENDPOINT") {
			t.Fatalf("exit %d, stderr %q; want 1 and a hint naming NCM_ENDPOINT", code, errs)
		}
	})
}

// TestFieldC39_OneBadDateDoesNotAbortTheList: a list whose third item has a
// date without zone is printed whole; the bad date is reported and the exit
// code is 3.
func TestFieldC39_OneBadDateDoesNotAbortTheList(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"returnCode":"0","returnMessage":"Success","totalCount":1,"orders":[{"orderId":"900001","certificates":[
{"certificateNo":100001,"certificateName":"kst","statusCode":"1","statusName":"Normal","registDate":"2026-03-01 10:15:30(UTC+09:00)","updateDate":"2026-03-01 10:15:30(UTC+09:00)","notAfter":"2027-03-01 23:59:59(UTC+09:00)"},
{"certificateNo":100002,"certificateName":"utc","statusCode":"1","statusName":"Normal","registDate":"2026-03-01 01:15:30(UTC+00:00)","updateDate":"2026-03-01 01:15:30(UTC+00:00)","notAfter":"2027-03-01 14:59:59(UTC+00:00)"},
{"certificateNo":100003,"certificateName":"broken","statusCode":"1","statusName":"Normal","registDate":"2026-03-01 10:15:30(UTC+09:00)","updateDate":"2026-03-01 10:15:30(UTC+09:00)","notAfter":"March 1st"}]}]}`))
	}))
	defer srv.Close()
	t.Setenv("NCLOUD_ACCESS_KEY_ID", "AK")
	t.Setenv("NCLOUD_SECRET_ACCESS_KEY", "SK")
	t.Setenv("NCM_ENDPOINT", srv.URL)
	ts := &testServer{t: t}
	code, out, errs := ts.run("paid", "list")
	if code != 3 {
		t.Fatalf("exit %d, want 3 (list printed with warnings); stderr %s", code, errs)
	}
	for _, name := range []string{"kst", "utc", "broken"} {
		if !strings.Contains(out, name) {
			t.Errorf("list lacks %q:\n%s", name, out)
		}
	}
	if !strings.Contains(errs, "100003") || !strings.Contains(errs, "notAfter") || strings.Contains(errs, "100001") {
		t.Errorf("warnings %q should name only certificate 100003's notAfter", errs)
	}
}
