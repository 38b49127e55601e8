package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
)

// testAdminToken is the --admin-token of emulator test servers.
const testAdminToken = "test-admin-token-0123456789"

// withEmulator starts the server with the control plane on.
func withEmulator(o *serveOptions) {
	o.Emulator = true
	o.AdminToken = testAdminToken
}

// control sends a control plane request with the given bearer token
// ("" sends no Authorization header) and returns the status and body.
func (ts *testServer) control(method, path, token string, body any) (int, []byte) {
	ts.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, ts.endpoint+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp := ts.do(req)
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// ctl runs `ncm admin ARGS` against the control plane and fails the test
// on error.
func (ts *testServer) ctl(args ...string) string {
	ts.t.Helper()
	code, out, errs := ts.run(ts.ctlArgs(args...)...)
	if code != 0 {
		ts.t.Fatalf("ncm admin %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out
}

func (ts *testServer) ctlArgs(args ...string) []string {
	return append(append([]string{"admin"}, args...), "--endpoint", ts.endpoint, "--admin-token", testAdminToken)
}

// requestDV requests a DV certificate through the SDK and returns its number.
func (ts *testServer) requestDV(c *client.Client, name, cn string) int64 {
	ts.t.Helper()
	pc, err := c.RequestAdvancedCertificate(context.Background(), ncpapi.AdvancedCertificateRequest{
		CSR: mustCSR(ts.t, mustECKey(ts.t), cn), CertificateType: "NCP_PAID_DV_01",
		CertificateName: name, CommonName: cn, ValidationMethod: "D",
	})
	if err != nil {
		ts.t.Fatalf("RequestAdvancedCertificate(%s): %v", name, err)
	}
	return pc.CertificateNo
}

// listedStatus returns the statusCode getPaidCertificates shows for no.
func listedStatus(t *testing.T, c *client.Client, no int64) string {
	t.Helper()
	resp, err := c.ListAdvancedCertificates(context.Background(), client.ListAdvancedOptions{})
	if err != nil {
		t.Fatalf("ListAdvancedCertificates: %v", err)
	}
	_, got := findCert(t, resp, no)
	return got.StatusCode
}

func TestControlPlaneOffWithoutEmulator(t *testing.T) {
	ts := startServer(t)
	status, raw := ts.control(http.MethodGet, "/_ncm/v1/clock", testAdminToken, nil)
	var g gatewayBody
	if err := json.Unmarshal(raw, &g); err != nil || status != http.StatusNotFound || g.Error.ErrorCode != "300" {
		t.Fatalf("GET /_ncm/v1/clock without --emulator = %d %s; want the gateway's 404 / 300", status, raw)
	}
	code, _, errs := ts.run(ts.ctlArgs("clock", "show")...)
	if code != exitError || !strings.Contains(errs, "without --emulator") {
		t.Fatalf("ncm admin clock show = exit %d, %q; want exit 1 saying the server runs without --emulator", code, errs)
	}
}

func TestControlPlaneAdminToken(t *testing.T) {
	ts := startServer(t, withEmulator)
	for name, token := range map[string]string{"ErrMissing": "", "ErrWrong": testAdminToken + "x", "ErrAccessKey": ts.ak} {
		t.Run(name, func(t *testing.T) {
			status, raw := ts.control(http.MethodGet, "/_ncm/v1/clock", token, nil)
			var e controlErrorBody
			if err := json.Unmarshal(raw, &e); err != nil || status != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
				t.Fatalf("GET clock = %d %s; want 401 with a JSON error of code unauthorized", status, raw)
			}
		})
	}
	t.Run("ErrSignedRequest", func(t *testing.T) {
		// An access key's signature is no admin credential.
		req, _ := http.NewRequest(http.MethodGet, ts.endpoint+"/_ncm/v1/clock", nil)
		signHeaders(req, "/_ncm/v1/clock", ts.ak, ts.sk, ts.clock.Now())
		if resp := ts.do(req); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("signed GET clock = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("ErrUnknownRouteNeedsTokenFirst", func(t *testing.T) {
		if status, _ := ts.control(http.MethodGet, "/_ncm/v1/nothing", "", nil); status != http.StatusUnauthorized {
			t.Fatalf("unknown route without token = %d, want 401", status)
		}
		if status, _ := ts.control(http.MethodGet, "/_ncm/v1/nothing", testAdminToken, nil); status != http.StatusNotFound {
			t.Fatalf("unknown route with token = %d, want 404", status)
		}
	})
	t.Run("ErrCLIWrongToken", func(t *testing.T) {
		code, _, errs := ts.run("admin", "clock", "show", "--endpoint", ts.endpoint, "--admin-token", "wrong-token-but-long-enough")
		if code != exitError || !strings.Contains(errs, "wrong admin token") {
			t.Fatalf("ncm admin clock show (wrong token) = exit %d, %q", code, errs)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if status, raw := ts.control(http.MethodGet, "/_ncm/v1/clock", testAdminToken, nil); status != http.StatusOK {
			t.Fatalf("GET clock = %d %s, want 200", status, raw)
		}
	})
}

// controlErrorBody decodes the control plane's error answer.
type controlErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

var adminTokenLine = regexp.MustCompile(`(?m)^export NCM_ADMIN_TOKEN=(\S+)$`)

// startNode runs `ncm serve` with o until the test ends (or stop is
// called) and returns its endpoint and what it printed. Unlike startServer
// it accepts a database that has its main account already, as a second node
// or a restart sees it.
func startNode(t *testing.T, o serveOptions) (endpoint string, stdout *bytes.Buffer, stop func()) {
	t.Helper()
	o.Addr, o.LogFormat, o.ShutdownTimeout = "127.0.0.1:0", "text", 5*time.Second
	ctx, cancel := context.WithCancel(context.Background())
	stdout = new(bytes.Buffer)
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- runServe(ctx, o, stdout, io.Discard, ready) }()
	select {
	case addr := <-ready:
		endpoint = "http://" + addr
	case err := <-errc:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("serve stopped with %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return endpoint, stdout, stop
}

// TestControlPlaneTokenGeneratedOnce starts `ncm serve --emulator` twice on
// one data directory without --admin-token.
func TestControlPlaneTokenGeneratedOnce(t *testing.T) {
	o := serveOptions{Addr: "127.0.0.1:0"}
	o.storeOptions = storeOptions{DataDir: t.TempDir(), Zone: "PUB", DisplayTimezone: "Asia/Seoul"}
	useTestDatabase(t, &o.storeOptions)
	o.Emulator = true
	var token string
	for start := range 2 {
		endpoint, stdout, stop := startNode(t, o)
		m := adminTokenLine.FindStringSubmatch(stdout.String())
		switch {
		case start == 0 && m == nil:
			t.Fatalf("first start printed no admin token:\n%s", stdout.String())
		case start == 0:
			token = m[1]
		case m != nil:
			t.Fatalf("second start printed an admin token again: %s", m[1])
		}
		ts := &testServer{t: t, endpoint: endpoint}
		if status, raw := ts.control(http.MethodGet, "/_ncm/v1/clock", token, nil); status != http.StatusOK {
			t.Errorf("start %d: GET clock with the printed token = %d %s", start+1, status, raw)
		}
		stop()
	}
}

// TestControlPlaneSharedByNodes runs two nodes on one database: the clock,
// the faults and the reset of one are those of the other.
func TestControlPlaneSharedByNodes(t *testing.T) {
	a := startServer(t, withEmulator)
	o := serveOptions{storeOptions: a.storeOptions(), clock: a.clock}
	o.Emulator = true // no --admin-token: the stored one applies
	endpoint, _, _ := startNode(t, o)
	b := &testServer{t: t, endpoint: endpoint, dataDir: a.dataDir, dsn: a.dsn, memberNo: a.memberNo, ak: a.ak, sk: a.sk, clock: a.clock}
	ca, cb := a.client(a.ak, a.sk), b.client(b.ak, b.sk)
	ctx := context.Background()

	t.Run("Clock", func(t *testing.T) {
		a.ctl("clock", "advance", "10d")
		var v struct {
			Now string `json:"now"`
		}
		status, raw := b.control(http.MethodGet, "/_ncm/v1/clock", testAdminToken, nil)
		if err := json.Unmarshal(raw, &v); err != nil || status != http.StatusOK {
			t.Fatalf("GET clock on b = %d %s", status, raw)
		}
		if want := a.clock.Now().Add(10 * 24 * time.Hour).Format(time.RFC3339); v.Now != want {
			t.Fatalf("b's clock = %s, want a's %s", v.Now, want)
		}
	})
	t.Run("Faults", func(t *testing.T) {
		b.ctl("fault", "add", "GET /api/v2/certificate/getPaidCertificates", "--count", "2", "--status", "504")
		for i, c := range []*client.Client{ca, cb} {
			_, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusGatewayTimeout || ae.GatewayCode != "510" {
				t.Fatalf("request %d: %v; want HTTP 504 gateway error 510", i+1, err)
			}
		}
		for i, c := range []*client.Client{ca, cb} {
			if _, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{}); err != nil {
				t.Fatalf("request %d after the fault's 2: %v", i+3, err)
			}
		}
	})
	t.Run("Reset", func(t *testing.T) {
		a.requestDV(ca, "shared-cert", "shared.example.com")
		b.ctl("reset", "--yes")
		resp, err := ca.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
		if err != nil || resp.TotalCount != 0 {
			t.Fatalf("a's list after b's reset = %+v, %v; want empty", resp, err)
		}
	})
}

// TestControlClockExpiresCertificate moves the shared clock past an issued
// certificate's notAfter and sees it listed as Expired (-2).
func TestControlClockExpiresCertificate(t *testing.T) {
	ts := startServer(t, withEmulator)
	c := ts.client(ts.ak, ts.sk)
	no := ts.requestDV(c, "clock-cert", "clock.example.com")

	out := ts.ctl("validation", "pass", fmt.Sprint(no))
	if !strings.Contains(out, "status Normal") {
		t.Fatalf("validation pass printed %q, want the issued status", out)
	}
	if got := listedStatus(t, c, no); got != "2" {
		t.Fatalf("after validation: statusCode %q, want 2 (issued, no key)", got)
	}

	out = ts.ctl("clock", "advance", "400d")
	want := ts.clock.Now().Add(400 * 24 * time.Hour)
	if !strings.Contains(out, want.Format(time.RFC3339)) || !strings.Contains(out, "due jobs ran") {
		t.Fatalf("clock advance printed %q, want the new time %s and the expiry job run", out, want.Format(time.RFC3339))
	}
	if got := listedStatus(t, c, no); got != "-2" {
		t.Fatalf("400 days later: statusCode %q, want -2 (Expired)", got)
	}

	t.Run("DateHeaderFollows", func(t *testing.T) {
		resp := rawGet(t, ts, "/api/v2/certificate/getPaidCertificates")
		got, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil || !got.Equal(want.Truncate(time.Second)) {
			t.Fatalf("Date = %q, want %s", resp.Header.Get("Date"), want.Format(http.TimeFormat))
		}
	})
	t.Run("AdminCommandsReadTheSameClock", func(t *testing.T) {
		a, err := openApp(context.Background(), ts.storeOptions(), service.Config{Clock: ts.clock}, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if got := a.clock.Now(); !got.Equal(want) {
			t.Fatalf("ncm admin's clock = %v, want the server's %v", got, want)
		}
	})
	t.Run("SetFreezeShow", func(t *testing.T) {
		ts.ctl("clock", "set", "2030-01-02T03:04:05Z")
		ts.ctl("clock", "freeze")
		out := ts.ctl("clock", "show")
		if !strings.Contains(out, "2030-01-02T03:04:05Z (frozen") {
			t.Fatalf("clock show = %q, want 2030-01-02T03:04:05Z, frozen", out)
		}
		status, raw := ts.control(http.MethodPost, "/_ncm/v1/clock", testAdminToken, map[string]any{"advance": "-1d"})
		if status != http.StatusBadRequest || !strings.Contains(string(raw), `"field":"advance"`) {
			t.Fatalf("advance -1d = %d %s, want 400 naming advance", status, raw)
		}
		status, raw = ts.control(http.MethodPost, "/_ncm/v1/clock", testAdminToken, map[string]any{"advnace": "1d"})
		if status != http.StatusBadRequest {
			t.Fatalf("misspelt field = %d %s, want 400", status, raw)
		}
	})
}

// TestControlFaults injects faults and sees the SDK get the error exactly N
// times, then success.
func TestControlFaults(t *testing.T) {
	ts := startServer(t, withEmulator)
	c := ts.client(ts.ak, ts.sk)
	ctx := context.Background()

	t.Run("GatewayStatus", func(t *testing.T) {
		out := ts.ctl("fault", "add", "GET /api/v2/certificate/getPaidCertificates", "--count", "2", "--status", "503")
		if !strings.Contains(out, "the next 2 requests") {
			t.Fatalf("fault add printed %q", out)
		}
		for i := range 2 {
			_, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusServiceUnavailable || ae.GatewayCode != "500" || ae.GatewayMessage != "Endpoint Error" {
				t.Fatalf("request %d: %v; want HTTP 503, gateway error 500 Endpoint Error", i+1, err)
			}
		}
		if _, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{}); err != nil {
			t.Fatalf("request 3: %v, want success", err)
		}
	})
	t.Run("BusinessCode", func(t *testing.T) {
		status, raw := ts.control(http.MethodPost, "/_ncm/v1/faults", testAdminToken, map[string]any{
			"route": "GET /api/v2/certificate/getPaidCertificates", "returnCode": "1006", "message": "No certificate exists."})
		if status != http.StatusOK {
			t.Fatalf("POST faults = %d %s", status, raw)
		}
		_, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusOK || ae.ReturnCode != "1006" || ae.ReturnMessage != "No certificate exists." {
			t.Fatalf("request: %v; want HTTP 200 returnCode 1006", err)
		}
		if _, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{}); err != nil {
			t.Fatalf("next request: %v, want success", err)
		}
	})
	t.Run("ConcurrentRequestsConsumeExactly", func(t *testing.T) {
		ts.ctl("fault", "add", "GET /api/v2/certificate/getPaidCertificates", "--count", "3", "--status", "500")
		// A transport of its own, closed at the end: concurrent requests
		// dial connections that may end up unused, and the server's
		// shutdown would wait for those.
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		c, err := client.New(client.Config{Endpoint: ts.endpoint, AccessKey: ts.ak, SecretKey: ts.sk,
			Now: ts.clock.Now, HTTPClient: &http.Client{Transport: tr}})
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			failed int
		)
		for range 12 {
			wg.Go(func() {
				_, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
				var ae *client.APIError
				switch {
				case errors.As(err, &ae) && ae.HTTPStatus == http.StatusInternalServerError:
					mu.Lock()
					failed++
					mu.Unlock()
				case err != nil:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if failed != 3 {
			t.Fatalf("%d of 12 concurrent requests failed, want exactly 3", failed)
		}
	})
	t.Run("OtherRoutesUntouched", func(t *testing.T) {
		ts.ctl("fault", "add", "POST /api/v2/certificate/registPrivateKey", "--status", "429")
		if _, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{}); err != nil {
			t.Fatalf("getPaidCertificates with a fault on registPrivateKey: %v", err)
		}
		out := ts.ctl("fault", "list")
		if !strings.Contains(out, "POST /api/v2/certificate/registPrivateKey\t1 left") {
			t.Fatalf("fault list = %q, want the registPrivateKey fault with 1 left", out)
		}
		if out := ts.ctl("fault", "clear"); !strings.Contains(out, "1 faults cleared") {
			t.Fatalf("fault clear = %q", out)
		}
		if out := ts.ctl("fault", "list"); !strings.Contains(out, "no faults") {
			t.Fatalf("fault list after clear = %q", out)
		}
	})
	t.Run("LatencyOnly", func(t *testing.T) {
		ts.ctl("fault", "add", "*", "--latency", "20ms")
		if _, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{}); err != nil {
			t.Fatalf("slowed request: %v, want success", err)
		}
		if out := ts.ctl("fault", "list"); !strings.Contains(out, "no faults") {
			t.Fatalf("fault list after the slowed request = %q, want it consumed", out)
		}
	})
	t.Run("ErrUnknownRoute", func(t *testing.T) {
		status, raw := ts.control(http.MethodPost, "/_ncm/v1/faults", testAdminToken, map[string]any{"route": "GET /api/v2/nothing", "status": 503})
		var e controlErrorBody
		if json.Unmarshal(raw, &e); status != http.StatusBadRequest || e.Error.Field != "route" {
			t.Fatalf("POST faults (unknown route) = %d %s; want 400 naming route", status, raw)
		}
		if out := ts.ctl("fault", "list"); !strings.Contains(out, "no faults") {
			t.Fatalf("a refused fault was stored: %q", out)
		}
	})
}

// TestControlReset empties the state while the printed key keeps working.
func TestControlReset(t *testing.T) {
	ts := startServer(t, withEmulator)
	c := ts.client(ts.ak, ts.sk)
	ctx := context.Background()
	ts.requestDV(c, "before-reset", "reset.example.com")
	// A paged listing fills the server's cache of the member's order list.
	if resp, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{Page: 1, PageSize: 100}); err != nil || len(resp.Orders) != 1 {
		t.Fatalf("paged list before reset: %v, %v", resp, err)
	}
	_, otherAK, otherSK := ts.newMember()
	ts.ctl("clock", "advance", "30d")
	ts.ctl("fault", "add", "POST /api/v2/certificate/registPrivateKey", "--status", "503")

	if code, _, errs := ts.run(ts.ctlArgs("reset")...); code != exitUsage || !strings.Contains(errs, "--yes") {
		t.Fatalf("reset without --yes = exit %d, %q; want 2 asking for --yes", code, errs)
	}
	out := ts.ctl("reset", "--yes")
	if !strings.Contains(out, "main account "+ts.memberNo) {
		t.Fatalf("reset printed %q, want the kept main account %s", out, ts.memberNo)
	}

	resp, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
	if err != nil {
		t.Fatalf("the printed key after reset: %v", err)
	}
	if resp.TotalCount != 0 || len(resp.Orders) != 0 {
		t.Fatalf("after reset: totalCount %d, %d orders; want an empty list", resp.TotalCount, len(resp.Orders))
	}
	_, err = ts.client(otherAK, otherSK).ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusUnauthorized {
		t.Fatalf("another member's key after reset: %v, want 401", err)
	}
	if out := ts.ctl("fault", "list"); !strings.Contains(out, "no faults") {
		t.Fatalf("faults after reset: %q", out)
	}
	if out := ts.ctl("clock", "show"); !strings.Contains(out, "offset 0s") {
		t.Fatalf("clock after reset: %q, want the real time", out)
	}
	// A name used before the reset is free again, and numbers go on.
	if no := ts.requestDV(c, "before-reset", "reset.example.com"); no != 100002 {
		t.Fatalf("first certificate after reset = %d, want 100002 (numbers are never reused)", no)
	}
	// The paged listing shows the new order, not the cached one from before
	// the reset (a reset must never bring back an order list's version).
	resp, err = c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{Page: 1, PageSize: 100})
	if err != nil || resp.TotalCount != 1 || len(resp.Orders) != 1 || resp.Orders[0].Certificates[0].CertificateNo != 100002 {
		t.Fatalf("paged list after reset and a new request = %+v, %v; want just certificate 100002", resp, err)
	}
}

// TestControlValidation settles domain validation through the control plane.
func TestControlValidation(t *testing.T) {
	ts := startServer(t, withEmulator)
	c := ts.client(ts.ak, ts.sk)

	t.Run("Fail", func(t *testing.T) {
		no := ts.requestDV(c, "fail-cert", "fail.example.com")
		out := ts.ctl("validation", "fail", fmt.Sprint(no), "--domain", "fail.example.com")
		if !strings.Contains(out, "status Validation failed (-3)") {
			t.Fatalf("validation fail printed %q", out)
		}
		if got := listedStatus(t, c, no); got != "-3" {
			t.Fatalf("statusCode %q, want -3", got)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		no := ts.requestDV(c, "slow-cert", "slow.example.com")
		status, raw := ts.control(http.MethodPost, fmt.Sprintf("/_ncm/v1/certificates/%d/validation", no), testAdminToken, map[string]any{"outcome": "timeout"})
		if status != http.StatusOK || !strings.Contains(string(raw), `"statusCode":"-4"`) {
			t.Fatalf("POST validation timeout = %d %s; want 200 with statusCode -4", status, raw)
		}
	})
	t.Run("ErrUnknownCertificate", func(t *testing.T) {
		code, _, errs := ts.run(ts.ctlArgs("validation", "pass", "999999")...)
		if code != exitError || errs == "" {
			t.Fatalf("validation pass 999999 = exit %d, %q; want 1 with a message", code, errs)
		}
	})
	t.Run("ErrClockOutOfRange", func(t *testing.T) {
		for _, v := range []string{"0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"} {
			status, raw := ts.control(http.MethodPost, "/_ncm/v1/clock", testAdminToken, map[string]any{"set": v})
			if status != http.StatusBadRequest || !strings.Contains(string(raw), `"field":"set"`) {
				t.Fatalf("set %s = %d %s; want 400 naming set (not a silently clamped clock)", v, status, raw)
			}
		}
	})
	t.Run("ErrOutcome", func(t *testing.T) {
		status, raw := ts.control(http.MethodPost, "/_ncm/v1/certificates/100001/validation", testAdminToken, map[string]any{"outcome": "maybe"})
		if status != http.StatusBadRequest || !strings.Contains(string(raw), `"field":"outcome"`) {
			t.Fatalf("outcome maybe = %d %s; want 400 naming outcome", status, raw)
		}
	})
}

// TestControlCLIRefusesNCP never sends the admin token to NCP's endpoint.
func TestControlCLIRefusesNCP(t *testing.T) {
	ts := &testServer{t: t}
	code, _, errs := ts.run("admin", "clock", "show", "--endpoint", "https://certificatemanager.apigw.ntruss.com", "--admin-token", testAdminToken)
	if code != exitUsage || !strings.Contains(errs, "NCP itself") {
		t.Fatalf("clock show against NCP = exit %d, %q; want 2 refusing", code, errs)
	}
}
