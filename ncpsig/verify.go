package ncpsig

import (
	"crypto/hmac"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
)

// DefaultWindow is how far a request timestamp may be from the server clock,
// in either direction (NCP: "more than 5 minutes" is rejected).
const DefaultWindow = 5 * time.Minute

// Reason says why a request failed authentication. The server chooses the
// 401 details text from it; every Reason answers HTTP 401, errorCode 200.
type Reason int

// Reasons. An unknown access key and a wrong signature share
// ReasonSignatureMismatch, so the answer never tells whether a key exists.
const (
	ReasonMissingHeader     Reason = iota + 1 // a required x-ncp-* header is absent
	ReasonBadTimestamp                        // the timestamp is not epoch milliseconds
	ReasonStale                               // the timestamp is outside the window
	ReasonSignatureMismatch                   // wrong signature, secret or access key
)

// String returns a short name for logs.
func (r Reason) String() string {
	switch r {
	case ReasonMissingHeader:
		return "missing_header"
	case ReasonBadTimestamp:
		return "bad_timestamp"
	case ReasonStale:
		return "stale_timestamp"
	case ReasonSignatureMismatch:
		return "signature_mismatch"
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Error is an authentication failure. Details is safe to send to the caller
// (the 401 envelope's "details"): it says what to fix and never whether the
// access key exists.
type Error struct {
	Reason  Reason
	Details string
}

// Error implements the error interface.
func (e *Error) Error() string { return "authentication failed: " + e.Details }

// Unwrap exposes the failure as an ncm.EUNAUTHORIZED error, so
// ncm.ErrorKind and ncm.ErrorMessage work on it.
func (e *Error) Unwrap() error {
	return &ncm.Error{Kind: ncm.EUNAUTHORIZED, Message: e.Details}
}

func fail(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Details: fmt.Sprintf(format, args...)}
}

// Credentials are the authentication headers of one request, as sent.
type Credentials struct {
	AccessKey string
	Timestamp string
	Signature string
}

// ParseHeaders reads the three authentication headers. The signature may come
// in x-ncp-apigw-signature-v2 or, as NCP's generated SDKs send it,
// x-ncp-apigw-signature-v1 (same algorithm); v2 wins when both are present.
// Returns ReasonMissingHeader naming every absent header.
func ParseHeaders(h http.Header) (Credentials, error) {
	c := Credentials{
		AccessKey: h.Get(ncpapi.HeaderAccessKey),
		Timestamp: h.Get(ncpapi.HeaderTimestamp),
		Signature: h.Get(ncpapi.HeaderSignatureV2),
	}
	if c.Signature == "" {
		c.Signature = h.Get(ncpapi.HeaderSignatureV1)
	}
	var missing []string
	if c.Timestamp == "" {
		missing = append(missing, ncpapi.HeaderTimestamp)
	}
	if c.AccessKey == "" {
		missing = append(missing, ncpapi.HeaderAccessKey)
	}
	if c.Signature == "" {
		missing = append(missing, ncpapi.HeaderSignatureV2)
	}
	if len(missing) > 0 {
		return c, fail(ReasonMissingHeader, "missing header %s; every request needs %s, %s and %s",
			strings.Join(missing, ", "), ncpapi.HeaderTimestamp, ncpapi.HeaderAccessKey, ncpapi.HeaderSignatureV2)
	}
	return c, nil
}

// Verifier checks signed requests. The zero value is ready to use.
type Verifier struct {
	// Window is the largest accepted difference between the request
	// timestamp and the server clock, either way. Zero means DefaultWindow.
	Window time.Duration
	// Strict accepts only the signature over the full request target. When
	// false, the signature over the path without the query is accepted too,
	// because NCP's own Go SDK signs the path before it appends the query
	// (field case C25). ncm serve --strict-signature sets it.
	Strict bool
}

// CheckTimestamp checks that ts is decimal epoch milliseconds within the
// window around now. Returns ReasonBadTimestamp for a value that is not
// milliseconds (seconds, microseconds, spaces, signs, letters) and
// ReasonStale, saying by how much and which way, for one outside the window.
func (v Verifier) CheckTimestamp(ts string, now time.Time) error {
	if ts == "" || strings.TrimLeft(ts, "0123456789") != "" {
		return fail(ReasonBadTimestamp, "%s %s must be a decimal epoch-milliseconds value (digits only, e.g. %d)",
			ncpapi.HeaderTimestamp, quote(ts), now.UnixMilli())
	}
	// Epoch milliseconds have 13 digits from 2001 to 2286; the common slips
	// give 10 (seconds), 16 (microseconds) or 19 (nanoseconds) digits
	// (field case C30).
	switch len(ts) {
	case 10:
		return fail(ReasonBadTimestamp, "%s %s looks like seconds; %s must be epoch milliseconds (e.g. %d)",
			ncpapi.HeaderTimestamp, quote(ts), ncpapi.HeaderTimestamp, now.UnixMilli())
	case 16:
		return fail(ReasonBadTimestamp, "%s %s looks like microseconds; %s must be epoch milliseconds (e.g. %d)",
			ncpapi.HeaderTimestamp, quote(ts), ncpapi.HeaderTimestamp, now.UnixMilli())
	case 19:
		return fail(ReasonBadTimestamp, "%s %s looks like nanoseconds; %s must be epoch milliseconds (e.g. %d)",
			ncpapi.HeaderTimestamp, quote(ts), ncpapi.HeaderTimestamp, now.UnixMilli())
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) != 13 {
		return fail(ReasonBadTimestamp, "%s %s is not epoch milliseconds (13 digits, e.g. %d)",
			ncpapi.HeaderTimestamp, quote(ts), now.UnixMilli())
	}
	window := v.Window
	if window <= 0 {
		window = DefaultWindow
	}
	skew := time.UnixMilli(ms).Sub(now)
	if skew >= -window && skew <= window {
		return nil
	}
	direction, off := "ahead of", skew
	if skew < 0 {
		direction, off = "behind", -skew
	}
	return fail(ReasonStale, "timestamp is %s %s the server clock (server time %s, allowed difference %s); check the client machine's clock",
		off.Round(time.Second), direction, now.UTC().Format(time.RFC3339), window)
}

// Verify checks the signature of a request whose credentials passed
// ParseHeaders and CheckTimestamp. requestURI is the request target exactly
// as received: on the server, r.RequestURI (not a re-encoded r.URL). The MAC
// over the full target is tried first, then (unless Strict) the MAC over the
// path alone. Comparison is constant-time and both MACs are always computed,
// so the time taken does not depend on which one matched.
//
// For an unknown access key call Verify with any dummy secret: the result,
// ReasonSignatureMismatch, and its details are the same as for a wrong
// signature.
func (v Verifier) Verify(method, requestURI string, c Credentials, secretKey string) error {
	sig := []byte(c.Signature)
	ok := hmac.Equal(sig, []byte(Sign(method, requestURI, c.Timestamp, c.AccessKey, secretKey)))
	if !v.Strict {
		path, _, _ := strings.Cut(requestURI, "?")
		ok = hmac.Equal(sig, []byte(Sign(method, path, c.Timestamp, c.AccessKey, secretKey))) || ok
	}
	if ok {
		return nil
	}
	return fail(ReasonSignatureMismatch, "signature does not match: sign the method, a space, the request target "+
		"exactly as sent (path?query), a newline, the %s value, a newline and the %s value "+
		"with HMAC-SHA256 under the secret key, then Base64 with padding", ncpapi.HeaderTimestamp, ncpapi.HeaderAccessKey)
}

// quote renders a caller-supplied value for a message, cut short so a huge
// header cannot blow up the answer.
func quote(s string) string {
	const limit = 32
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}
