package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
)

func TestNew(t *testing.T) {
	t.Run("OK/default-endpoint", func(t *testing.T) {
		c, err := client.New(client.Config{AccessKey: "a", SecretKey: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Endpoint(); got != ncpapi.DefaultEndpoint {
			t.Fatalf("Endpoint=%q, want %q", got, ncpapi.DefaultEndpoint)
		}
	})
	t.Run("ErrNoSecret", func(t *testing.T) {
		_, err := client.New(client.Config{AccessKey: "a"})
		if ncm.ErrorKind(err) != ncm.EINVALID {
			t.Fatalf("err=%v, want EINVALID", err)
		}
	})
	t.Run("ErrBadEndpoint", func(t *testing.T) {
		_, err := client.New(client.Config{AccessKey: "a", SecretKey: "s", Endpoint: "certificatemanager.apigw.ntruss.com"})
		if err == nil || !strings.Contains(err.Error(), "must be an http(s) URL") {
			t.Fatalf("err=%v, want a message about the endpoint URL", err)
		}
	})
}

func TestListAdvancedCertificates(t *testing.T) {
	f := MustFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v2/certificate/getPaidCertificates" {
			t.Errorf("request %s %s, want GET /api/v2/certificate/getPaidCertificates", r.Method, r.URL.Path)
		}
		WriteJSON(w, 200, ncpapi.ListAdvancedCertificatesResponse{Result: OK, TotalCount: 1, Orders: []ncpapi.AdvancedOrder{
			{OrderID: "900001", Certificates: []ncpapi.AdvancedCertificate{{CertificateNo: 100001, CertificateName: "web"}}},
		}})
	})
	c := f.MustClient(t)
	got, err := c.ListAdvancedCertificates(context.Background(), client.ListAdvancedOptions{Page: 2, PageSize: 10, CertificateName: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Orders) != 1 || got.Orders[0].Certificates[0].CertificateNo != 100001 {
		t.Fatalf("orders=%+v, want one order with certificate 100001", got.Orders)
	}
	if q, want := f.Requests()[0].URL.RawQuery, "certificateName=web&page=2&pageSize=10"; q != want {
		t.Fatalf("query=%q, want %q", q, want)
	}
}

func TestFieldC22_FreshTimestampPerRequest(t *testing.T) {
	f := MustFake(t, func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, OK) })
	c := f.MustClient(t) // one long-lived client
	ctx := context.Background()
	if err := c.Do(ctx, "GET", "/api/v1/certificates", nil, nil, nil); err != nil {
		t.Fatalf("first request: %v", err)
	}
	f.Clock.Advance(10 * time.Minute)
	if err := c.Do(ctx, "GET", "/api/v1/certificates", nil, nil, nil); err != nil {
		t.Fatalf("request 10 minutes later: %v", err)
	}
	reqs := f.Requests()
	a, b := reqs[0].Header.Get(ncpapi.HeaderTimestamp), reqs[1].Header.Get(ncpapi.HeaderTimestamp)
	if a == b {
		t.Fatalf("both requests carry timestamp %s, want a fresh one each", a)
	}
}

func TestFieldC27_QueryEncoding(t *testing.T) {
	f := MustFake(t, func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, OK) })
	c := f.MustClient(t)
	q := url.Values{"certificateName": {"a b+c"}}
	if err := c.Do(context.Background(), "GET", "/api/v2/certificate/getPaidCertificates", q, nil, nil); err != nil {
		t.Fatalf("Do (the fake verifies the signature strictly): %v", err)
	}
	r := f.Requests()[0]
	if got, want := r.URL.RawQuery, "certificateName=a%20b%2Bc"; got != want {
		t.Fatalf("raw query=%q, want %q", got, want)
	}
	if got := r.URL.Query().Get("certificateName"); got != "a b+c" {
		t.Fatalf("decoded certificateName=%q, want %q", got, "a b+c")
	}
}

func TestEncodeQuery(t *testing.T) {
	q := url.Values{"pageSize": {"10"}, "page": {"1"}, "name": {"a b", "c+d&e=f"}}
	if got, want := client.EncodeQuery(q), "name=a%20b&name=c%2Bd%26e%3Df&page=1&pageSize=10"; got != want {
		t.Fatalf("EncodeQuery=%q, want %q", got, want)
	}
	if got := client.EncodeQuery(nil); got != "" {
		t.Fatalf("EncodeQuery(nil)=%q, want empty", got)
	}
}

func TestDo(t *testing.T) {
	t.Run("ErrReturnCodeWithHTTP200", func(t *testing.T) {
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, 200, ncpapi.RowsResult{Result: ncpapi.Result{ReturnCode: "1006", ReturnMessage: "No certificate exists."}})
		})
		var out ncpapi.RowsResult
		err := f.MustClient(t).Do(context.Background(), "DELETE", "/api/v2/certificate/deleteCertificate/5", nil, nil, &out)
		e := MustAPIError(t, err)
		if e.HTTPStatus != 200 || e.ReturnCode != "1006" || e.ReturnMessage != "No certificate exists." {
			t.Fatalf("APIError=%+v, want HTTP 200, returnCode 1006", e)
		}
		if got := ncm.ErrorKind(err); got != ncm.ENOTFOUND {
			t.Fatalf("ErrorKind=%q, want %q", got, ncm.ENOTFOUND)
		}
		if got := ncm.ErrorCode(err); got != "1006" {
			t.Fatalf("ErrorCode=%q, want %q", got, "1006")
		}
	})
	t.Run("OK/post-sends-json", func(t *testing.T) {
		var body map[string]any
		var contentType string
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) {
			contentType = r.Header.Get("Content-Type")
			_ = json.NewDecoder(r.Body).Decode(&body)
			WriteJSON(w, 200, OK)
		})
		if err := f.MustClient(t).Do(context.Background(), "POST", "/api/v2/certificate/exportCertificate/5", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if contentType != "application/json" || body == nil {
			t.Fatalf("Content-Type=%q body=%v, want application/json and {}", contentType, body)
		}
	})
	t.Run("OK/endpoint-with-path-prefix", func(t *testing.T) {
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, OK) })
		c := f.MustClient(t, func(cfg *client.Config) { cfg.Endpoint = f.URL + "/ncm/" })
		if err := c.Do(context.Background(), "GET", "/api/v1/certificates", url.Values{"x": {"1"}}, nil, nil); err != nil {
			t.Fatal(err)
		}
		if got, want := f.Requests()[0].RequestURI, "/ncm/api/v1/certificates?x=1"; got != want {
			t.Fatalf("RequestURI=%q, want %q", got, want)
		}
	})
	t.Run("ErrNotJSON", func(t *testing.T) {
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>hello</html>") })
		err := f.MustClient(t).Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "check NCM_ENDPOINT (now: "+f.URL+")") {
			t.Fatalf("err=%v, want a hint about NCM_ENDPOINT", err)
		}
	})
	t.Run("ErrNoReturnCode", func(t *testing.T) {
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"ok"}`) })
		err := f.MustClient(t).Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil)
		e := MustAPIError(t, err)
		if !strings.Contains(e.Error(), "NCM_ENDPOINT") {
			t.Fatalf("err=%v, want a hint about NCM_ENDPOINT", err)
		}
	})
	t.Run("ErrNotAPath", func(t *testing.T) {
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, OK) })
		err := f.MustClient(t).Do(context.Background(), "GET", "api/v1/certificates", nil, nil, nil)
		if ncm.ErrorKind(err) != ncm.EINVALID {
			t.Fatalf("err=%v, want EINVALID", err)
		}
		if n := len(f.Requests()); n != 0 {
			t.Fatalf("%d requests sent, want none", n)
		}
	})
}

func TestRaw(t *testing.T) {
	f := MustFake(t, func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, OK) })
	const target = "/api/v2/domain/domains?pageSize=10&page=1&x=a+b"
	resp, err := f.MustClient(t).Raw(context.Background(), "GET", target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status=%d, want 200 (the fake verifies the signature over the target as sent)", resp.StatusCode)
	}
	if got := f.Requests()[0].RequestURI; got != target {
		t.Fatalf("RequestURI=%q, want %q", got, target)
	}
}

func TestAPIError(t *testing.T) {
	gateway := func(status int, code, msg, details string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, status, ncpapi.GatewayError{Error: ncpapi.GatewayErrorDetail{ErrorCode: code, Message: msg, Details: details}})
		}
	}
	tests := []struct {
		name    string
		key     string // access key; "" = the right one
		clock   time.Duration
		path    string
		handler http.HandlerFunc
		status  int
		kind    string
		hint    string
	}{
		{name: "ErrStaleTimestamp", clock: -7 * time.Minute, status: 401, kind: ncm.EUNAUTHORIZED,
			hint: "check this machine's clock"},
		{name: "ErrUnknownKey", key: "AKUNKNOWN", status: 401, kind: ncm.EUNAUTHORIZED,
			hint: "check NCLOUD_ACCESS_KEY_ID/NCLOUD_SECRET_ACCESS_KEY"},
		{name: "ErrPermissionDenied", handler: gateway(401, "210", "Permission Denied", ""), status: 401, kind: ncm.EFORBIDDEN,
			hint: "not allowed"},
		{name: "ErrRouteNotFound", handler: gateway(404, "300", "Not Found Exception", ""), status: 404, kind: ncm.EINTERNAL,
			hint: "check NCM_ENDPOINT (now: "},
		{name: "ErrSubAccount403", path: "/api/v2/certificate/getPaidCertificates",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) }, status: 403, kind: ncm.EFORBIDDEN,
			hint: "API 2.0 needs a main-account access key"},
		{name: "ErrValidation400", handler: func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, 400, ncpapi.Result{ReturnCode: "2000", ReturnMessage: "pageSize: must be a number"})
		}, status: 400, kind: ncm.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustFake(t, tt.handler)
			c := f.MustClient(t, func(cfg *client.Config) {
				if tt.key != "" {
					cfg.AccessKey = tt.key
				}
				cfg.ClockOffset = tt.clock
			})
			path := tt.path
			if path == "" {
				path = "/api/v1/certificates"
			}
			err := c.Do(context.Background(), "GET", path, nil, nil, nil)
			e := MustAPIError(t, err)
			if e.HTTPStatus != tt.status {
				t.Fatalf("HTTPStatus=%d, want %d (%v)", e.HTTPStatus, tt.status, e)
			}
			if e.TraceID != "trace-1" {
				t.Fatalf("TraceID=%q, want %q", e.TraceID, "trace-1")
			}
			if got := ncm.ErrorKind(err); got != tt.kind {
				t.Fatalf("ErrorKind=%q, want %q", got, tt.kind)
			}
			if !strings.Contains(e.Error(), tt.hint) {
				t.Fatalf("Error()=%q, want it to contain %q", e.Error(), tt.hint)
			}
		})
	}
	t.Run("GatewayEnvelopeParsed", func(t *testing.T) {
		f := MustFake(t, nil)
		c := f.MustClient(t, func(cfg *client.Config) { cfg.ClockOffset = -7*time.Minute - 12*time.Second })
		e := MustAPIError(t, c.Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil))
		if e.GatewayCode != "200" || e.GatewayMessage != "Authentication Failed" {
			t.Fatalf("gateway code/message=%q/%q, want 200/Authentication Failed", e.GatewayCode, e.GatewayMessage)
		}
		if !strings.Contains(e.Details, "timestamp is 7m12s behind the server clock") {
			t.Fatalf("Details=%q, want the server's timestamp details", e.Details)
		}
	})
}

func TestConnectionRefused(t *testing.T) {
	f := MustFake(t, nil)
	f.Close()
	err := f.MustClient(t).Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err=%v, want connection refused", err)
	}
	if !strings.Contains(err.Error(), "check NCM_ENDPOINT (now: "+f.URL+")") {
		t.Fatalf("err=%v, want a hint about NCM_ENDPOINT", err)
	}
}

func TestRetryAfter(t *testing.T) {
	limited := func(times int, retryAfter string) http.HandlerFunc {
		n := 0
		return func(w http.ResponseWriter, r *http.Request) {
			n++
			if n <= times {
				w.Header().Set("Retry-After", retryAfter)
				WriteJSON(w, 429, ncpapi.GatewayError{Error: ncpapi.GatewayErrorDetail{ErrorCode: "420", Message: "Rate Limited"}})
				return
			}
			WriteJSON(w, 200, OK)
		}
	}
	t.Run("OK/after-three-429", func(t *testing.T) {
		f := MustFake(t, limited(3, "0"))
		if err := f.MustClient(t).Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if n := len(f.Requests()); n != 4 {
			t.Fatalf("%d requests, want 4", n)
		}
	})
	t.Run("ErrFour429", func(t *testing.T) {
		f := MustFake(t, limited(4, "0"))
		e := MustAPIError(t, f.MustClient(t).Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil))
		if e.HTTPStatus != 429 || e.GatewayCode != "420" {
			t.Fatalf("APIError=%+v, want HTTP 429 errorCode 420", e)
		}
		if n := len(f.Requests()); n != 4 {
			t.Fatalf("%d requests, want 4", n)
		}
	})
	t.Run("ErrContextCancelledWhileWaiting", func(t *testing.T) {
		f := MustFake(t, limited(1, "30"))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		err := f.MustClient(t).Do(ctx, "GET", "/api/v1/certificates", nil, nil, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err=%v, want context.DeadlineExceeded", err)
		}
	})
}

func TestFieldC30_ClockSkewCorrection(t *testing.T) {
	t.Run("OK/corrects-once-and-keeps-offset", func(t *testing.T) {
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, OK) })
		behind := func() time.Time { return f.Clock.Now().Add(-10 * time.Minute) }
		c := f.MustClient(t, func(cfg *client.Config) { cfg.Now = behind; cfg.CorrectClockSkew = true })
		if err := c.Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil); err != nil {
			t.Fatalf("Do with skew correction: %v", err)
		}
		if got := c.ClockOffset(); got != 10*time.Minute {
			t.Fatalf("ClockOffset=%s, want 10m0s", got)
		}
		if err := c.Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil); err != nil {
			t.Fatalf("second Do: %v", err)
		}
		if n := len(f.Requests()); n != 3 {
			t.Fatalf("%d requests, want 3 (401, retry, then one straight through)", n)
		}
	})
	t.Run("ErrCorrectionOff", func(t *testing.T) {
		f := MustFake(t, nil)
		c := f.MustClient(t, func(cfg *client.Config) { cfg.Now = func() time.Time { return f.Clock.Now().Add(-10 * time.Minute) } })
		e := MustAPIError(t, c.Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil))
		if !strings.Contains(e.Error(), "check this machine's clock") {
			t.Fatalf("Error()=%q, want the clock hint", e.Error())
		}
	})
	t.Run("ErrWrongSecretNotRetried", func(t *testing.T) {
		f := MustFake(t, nil)
		c := f.MustClient(t, func(cfg *client.Config) { cfg.SecretKey = "wrong"; cfg.CorrectClockSkew = true })
		MustAPIError(t, c.Do(context.Background(), "GET", "/api/v1/certificates", nil, nil, nil))
		if n := len(f.Requests()); n != 1 {
			t.Fatalf("%d requests, want 1: a signature mismatch is not a clock problem", n)
		}
	})
}

// MustAPIError asserts that err is (or wraps) an *client.APIError.
func MustAPIError(tb testing.TB, err error) *client.APIError {
	tb.Helper()
	var e *client.APIError
	if !errors.As(err, &e) {
		tb.Fatalf("err=%v, want *client.APIError", err)
	}
	return e
}
