package ncpsig_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/ncpsig"
)

const (
	exampleKey    = "AKIDEXAMPLE0001"
	exampleSecret = "SECRETEXAMPLE0001"
	exampleTS     = "1700000000000"
)

var exampleNow = time.UnixMilli(1700000000000)

// Vectors of spec/api-reference.md §1.3.
func TestSign(t *testing.T) {
	tests := []struct {
		name, method, target, key, secret, want string
	}{
		{"ok/get-no-query", "GET", "/api/v1/certificates", exampleKey, exampleSecret, "Jz/0GGyPbDarabxQP45HCysth76FE4WHmt1HZ5UHfYo="},
		{"ok/delete-with-query", "DELETE", "/api/v1/certificate/30728?certificateName=zero-certi", exampleKey, exampleSecret, "8xuYwselO/H0wv0kM2KMBf83DKAXThWRIEa+tjyVMjM="},
		{"ok/get-paging", "GET", "/api/v2/domain/domains?page=1&pageSize=10", exampleKey, exampleSecret, "yvWfy4m+5weLxYA9d82FzA2cCNTOGWDmGktXZV7QeG0="},
		{"ok/post-third-party-vector", "POST", "/vserver/v2/createServerInstances?regionCode=KR", "AK_TEST", "SK_TEST", "xBcE26XFU55BMjppdPT7ZY3oDrqoOedfPyAn3Cq4lUw="},
		{"ok/lower-case-method", "get", "/api/v1/certificates", exampleKey, exampleSecret, "Jz/0GGyPbDarabxQP45HCysth76FE4WHmt1HZ5UHfYo="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ncpsig.Sign(tt.method, tt.target, exampleTS, tt.key, tt.secret); got != tt.want {
				t.Fatalf("Sign=%q, want %q", got, tt.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	h := ncpsig.Headers("GET", "/api/v1/certificates", exampleKey, exampleSecret, exampleNow)
	want := map[string]string{
		ncpapi.HeaderTimestamp:   exampleTS,
		ncpapi.HeaderAccessKey:   exampleKey,
		ncpapi.HeaderSignatureV2: "Jz/0GGyPbDarabxQP45HCysth76FE4WHmt1HZ5UHfYo=",
	}
	if len(h) != len(want) {
		t.Fatalf("Headers has %d entries, want %d: %v", len(h), len(want), h)
	}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("Headers[%s]=%q, want %q", k, h[k], v)
		}
	}
}

func TestFieldC23_SignRequestUsesOneTimestamp(t *testing.T) {
	r := httptest.NewRequest("GET", "https://example.test/api/v2/domain/domains?page=1&pageSize=10", nil)
	now := time.UnixMilli(1700000000999)
	ncpsig.SignRequest(r, exampleKey, exampleSecret, now)

	ts := r.Header.Get(ncpapi.HeaderTimestamp)
	if ts != "1700000000999" {
		t.Fatalf("timestamp header=%q, want %q", ts, "1700000000999")
	}
	if got, want := r.Header.Get(ncpapi.HeaderSignatureV2), ncpsig.Sign("GET", "/api/v2/domain/domains?page=1&pageSize=10", ts, exampleKey, exampleSecret); got != want {
		t.Fatalf("signature=%q, want the signature over the header's timestamp %q", got, want)
	}
	if got := r.Header.Get(ncpapi.HeaderAccessKey); got != exampleKey {
		t.Fatalf("access key header=%q, want %q", got, exampleKey)
	}
}

func TestFieldC23_HeaderTimestampDiffersFromSigned(t *testing.T) {
	sig := ncpsig.Sign("GET", "/api/v1/certificates", exampleTS, exampleKey, exampleSecret)
	c := ncpsig.Credentials{AccessKey: exampleKey, Timestamp: "1700000000001", Signature: sig}
	err := ncpsig.Verifier{}.Verify("GET", "/api/v1/certificates", c, exampleSecret)
	MustReason(t, err, ncpsig.ReasonSignatureMismatch)
}

func TestParseHeaders(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		h := http.Header{}
		h.Set(ncpapi.HeaderTimestamp, exampleTS)
		h.Set(ncpapi.HeaderAccessKey, exampleKey)
		h.Set(ncpapi.HeaderSignatureV2, "sig2")
		c, err := ncpsig.ParseHeaders(h)
		if err != nil {
			t.Fatal(err)
		}
		want := ncpsig.Credentials{AccessKey: exampleKey, Timestamp: exampleTS, Signature: "sig2"}
		if c != want {
			t.Fatalf("ParseHeaders=%+v, want %+v", c, want)
		}
	})
	t.Run("OK/v1-header", func(t *testing.T) {
		h := http.Header{}
		h.Set(ncpapi.HeaderTimestamp, exampleTS)
		h.Set(ncpapi.HeaderAccessKey, exampleKey)
		h.Set(ncpapi.HeaderSignatureV1, "sig1")
		c, err := ncpsig.ParseHeaders(h)
		if err != nil {
			t.Fatal(err)
		}
		if c.Signature != "sig1" {
			t.Fatalf("Signature=%q, want %q", c.Signature, "sig1")
		}
	})
	t.Run("OK/v2-wins-over-v1", func(t *testing.T) {
		h := http.Header{}
		h.Set(ncpapi.HeaderTimestamp, exampleTS)
		h.Set(ncpapi.HeaderAccessKey, exampleKey)
		h.Set(ncpapi.HeaderSignatureV1, "sig1")
		h.Set(ncpapi.HeaderSignatureV2, "sig2")
		c, err := ncpsig.ParseHeaders(h)
		if err != nil {
			t.Fatal(err)
		}
		if c.Signature != "sig2" {
			t.Fatalf("Signature=%q, want %q", c.Signature, "sig2")
		}
	})
	for _, name := range []string{ncpapi.HeaderTimestamp, ncpapi.HeaderAccessKey, ncpapi.HeaderSignatureV2} {
		t.Run("ErrMissing/"+name, func(t *testing.T) {
			h := http.Header{}
			h.Set(ncpapi.HeaderTimestamp, exampleTS)
			h.Set(ncpapi.HeaderAccessKey, exampleKey)
			h.Set(ncpapi.HeaderSignatureV2, "sig")
			h.Del(name)
			_, err := ncpsig.ParseHeaders(h)
			e := MustReason(t, err, ncpsig.ReasonMissingHeader)
			if !strings.Contains(e.Details, "missing header "+name) {
				t.Fatalf("details=%q, want it to name %s", e.Details, name)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	target := "/api/v1/certificate/30728?certificateName=zero-certi"
	good := ncpsig.Credentials{AccessKey: exampleKey, Timestamp: exampleTS, Signature: "8xuYwselO/H0wv0kM2KMBf83DKAXThWRIEa+tjyVMjM="}

	t.Run("OK", func(t *testing.T) {
		if err := (ncpsig.Verifier{Strict: true}).Verify("DELETE", target, good, exampleSecret); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		err := ncpsig.Verifier{}.Verify("DELETE", target, good, "SECRETEXAMPLE0002")
		MustReason(t, err, ncpsig.ReasonSignatureMismatch)
	})
	t.Run("ErrWrongMethod", func(t *testing.T) {
		err := ncpsig.Verifier{}.Verify("GET", target, good, exampleSecret)
		MustReason(t, err, ncpsig.ReasonSignatureMismatch)
	})
	t.Run("ErrUnknownKeyLooksLikeWrongSignature", func(t *testing.T) {
		wrong := ncpsig.Verifier{}.Verify("DELETE", target, good, "SECRETEXAMPLE0002")
		unknown := ncpsig.Verifier{}.Verify("DELETE", target, good, "dummy-secret-for-unknown-keys")
		a := MustReason(t, wrong, ncpsig.ReasonSignatureMismatch)
		b := MustReason(t, unknown, ncpsig.ReasonSignatureMismatch)
		if a.Details != b.Details {
			t.Fatalf("details differ:\n wrong secret: %q\n unknown key:  %q", a.Details, b.Details)
		}
	})
	t.Run("ErrIsUnauthorized", func(t *testing.T) {
		err := ncpsig.Verifier{}.Verify("DELETE", target, good, "x")
		if got := ncm.ErrorKind(err); got != ncm.EUNAUTHORIZED {
			t.Fatalf("ErrorKind=%q, want %q", got, ncm.EUNAUTHORIZED)
		}
	})
}

func TestFieldC25_PathWithoutQuery(t *testing.T) {
	target := "/api/v1/certificates?certificateName=web-cert&certificateNo=123"
	full := ncpsig.Credentials{AccessKey: exampleKey, Timestamp: exampleTS,
		Signature: ncpsig.Sign("GET", target, exampleTS, exampleKey, exampleSecret)}
	bare := ncpsig.Credentials{AccessKey: exampleKey, Timestamp: exampleTS,
		Signature: ncpsig.Sign("GET", "/api/v1/certificates", exampleTS, exampleKey, exampleSecret)}

	t.Run("OK/full-target-lenient", func(t *testing.T) {
		if err := (ncpsig.Verifier{}).Verify("GET", target, full, exampleSecret); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OK/full-target-strict", func(t *testing.T) {
		if err := (ncpsig.Verifier{Strict: true}).Verify("GET", target, full, exampleSecret); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OK/bare-path-lenient", func(t *testing.T) {
		if err := (ncpsig.Verifier{}).Verify("GET", target, bare, exampleSecret); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrBarePathStrict", func(t *testing.T) {
		err := ncpsig.Verifier{Strict: true}.Verify("GET", target, bare, exampleSecret)
		MustReason(t, err, ncpsig.ReasonSignatureMismatch)
	})
	t.Run("ErrQueryReordered", func(t *testing.T) {
		sent := "/api/v1/certificates?certificateNo=123&certificateName=web-cert"
		err := ncpsig.Verifier{}.Verify("GET", sent, full, exampleSecret)
		MustReason(t, err, ncpsig.ReasonSignatureMismatch)
	})
}

// TestFieldC25_QueryOrderOnTheWire signs with SignRequest, sends the request
// over a real connection and verifies what the server received: the query
// order chosen by the caller survives, unsorted.
func TestFieldC25_QueryOrderOnTheWire(t *testing.T) {
	const rawQuery = "pageSize=10&page=1&certificateName=b%20c%2Bd"
	var gotURI string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotURI = r.RequestURI
		c, err := ncpsig.ParseHeaders(r.Header)
		if err == nil {
			err = ncpsig.Verifier{Strict: true}.Verify(r.Method, r.RequestURI, c, exampleSecret)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
		}
	}))
	defer srv.Close()

	req, err := http.NewRequest("GET", srv.URL+"/api/v2/certificate/getPaidCertificates?"+rawQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	ncpsig.SignRequest(req, exampleKey, exampleSecret, time.Now())
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status=%d, want 200", resp.StatusCode)
	}
	if want := "/api/v2/certificate/getPaidCertificates?" + rawQuery; gotURI != want {
		t.Fatalf("server saw %q, want %q", gotURI, want)
	}
}

func TestFieldC27_SpaceEncoding(t *testing.T) {
	const path = "/api/v2/certificate/getPaidCertificates?certificateName="
	pct, plus := path+"a%20b%2Bc", path+"a+b%2Bc"
	tests := []struct {
		name, signed, sent string
		ok                 bool
	}{
		{"OK/percent-20", pct, pct, true},
		{"OK/plus", plus, plus, true},
		{"ErrSignedPercentSentPlus", pct, plus, false},
		{"ErrSignedPlusSentPercent", plus, pct, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ncpsig.Credentials{AccessKey: exampleKey, Timestamp: exampleTS,
				Signature: ncpsig.Sign("GET", tt.signed, exampleTS, exampleKey, exampleSecret)}
			err := ncpsig.Verifier{Strict: true}.Verify("GET", tt.sent, c, exampleSecret)
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			MustReason(t, err, ncpsig.ReasonSignatureMismatch)
		})
	}
}

func TestFieldC22_TimestampWindow(t *testing.T) {
	now := exampleNow
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	tests := []struct {
		name   string
		ts     string
		reason ncpsig.Reason // 0 = accepted
		detail string
	}{
		{"OK/now", ms(0), 0, ""},
		{"OK/4m59s-behind", ms(-4*time.Minute - 59*time.Second), 0, ""},
		{"OK/5m-ahead", ms(5 * time.Minute), 0, ""},
		{"ErrStale/6m-behind", ms(-6 * time.Minute), ncpsig.ReasonStale, "timestamp is 6m0s behind the server clock"},
		{"ErrStale/6m-ahead", ms(6 * time.Minute), ncpsig.ReasonStale, "timestamp is 6m0s ahead of the server clock"},
		{"ErrStale/7m12s-behind", ms(-7*time.Minute - 12*time.Second), ncpsig.ReasonStale, "timestamp is 7m12s behind the server clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ncpsig.Verifier{}.CheckTimestamp(tt.ts, now)
			if tt.reason == 0 {
				if err != nil {
					t.Fatalf("CheckTimestamp(%s): %v", tt.ts, err)
				}
				return
			}
			e := MustReason(t, err, tt.reason)
			if !strings.Contains(e.Details, tt.detail) {
				t.Fatalf("details=%q, want it to contain %q", e.Details, tt.detail)
			}
		})
	}
	t.Run("OK/custom-window", func(t *testing.T) {
		v := ncpsig.Verifier{Window: 10 * time.Minute}
		if err := v.CheckTimestamp(ms(-6*time.Minute), now); err != nil {
			t.Fatalf("CheckTimestamp with a 10m window: %v", err)
		}
	})
}

func TestFieldC30_TimestampFormat(t *testing.T) {
	tests := []struct{ name, ts, detail string }{
		{"ErrSeconds", "1700000000", "looks like seconds; x-ncp-apigw-timestamp must be epoch milliseconds"},
		{"ErrMicroseconds", "1700000000000000", "looks like microseconds"},
		{"ErrNanoseconds", "1700000000000000000", "looks like nanoseconds"},
		{"ErrLeadingSpace", " 1700000000000", "must be a decimal epoch-milliseconds value"},
		{"ErrTrailingSpace", "1700000000000 ", "must be a decimal epoch-milliseconds value"},
		{"ErrNonNumeric", "17000000000zz", "must be a decimal epoch-milliseconds value"},
		{"ErrNegative", "-1700000000000", "must be a decimal epoch-milliseconds value"},
		{"ErrEmpty", "", "must be a decimal epoch-milliseconds value"},
		{"ErrOtherLength", "17000000000", "is not epoch milliseconds"},
		{"ErrOverflow", "99999999999999999999999", "is not epoch milliseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ncpsig.Verifier{}.CheckTimestamp(tt.ts, exampleNow)
			e := MustReason(t, err, ncpsig.ReasonBadTimestamp)
			if !strings.Contains(e.Details, tt.detail) {
				t.Fatalf("details=%q, want it to contain %q", e.Details, tt.detail)
			}
		})
	}
}

// MustReason asserts that err is an *ncpsig.Error with the given reason and
// returns it.
func MustReason(tb testing.TB, err error, want ncpsig.Reason) *ncpsig.Error {
	tb.Helper()
	var e *ncpsig.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err=%v, want *ncpsig.Error with reason %v", err, want)
	}
	if e.Reason != want {
		tb.Fatalf("reason=%v (%s), want %v", e.Reason, e.Details, want)
	}
	return e
}
