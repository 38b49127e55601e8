// Package ncpsig implements the NCP API gateway signature v2, the one scheme
// every Certificate Manager request is authenticated with. The server
// (verification) and the client (signing) both use this package, so the two
// sides cannot drift apart.
//
// The string to sign is
//
//	METHOD + " " + requestTarget + "\n" + timestamp + "\n" + accessKey
//
// where requestTarget is the path plus "?" and the raw query exactly as sent
// (no sorting, no re-encoding), timestamp is the epoch-milliseconds value of
// the x-ncp-apigw-timestamp header and accessKey the x-ncp-iam-access-key
// header. The MAC is HMAC-SHA256 keyed with the secret key, in standard Base64
// with padding. The request body is not signed. See spec/api-reference.md
// §1.3 and spec/compat.md "Authentication".
package ncpsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm/ncpapi"
)

// StringToSign returns the message that Sign authenticates. It is exported so
// tools can show it when a signature does not match.
func StringToSign(method, requestTarget, timestamp, accessKey string) string {
	return strings.ToUpper(method) + " " + requestTarget + "\n" + timestamp + "\n" + accessKey
}

// Sign returns the signature v2 of a request: standard Base64 (with padding)
// of HMAC-SHA256(secretKey, StringToSign(...)). method is upper-cased;
// requestTarget is used byte for byte.
func Sign(method, requestTarget, timestamp, accessKey, secretKey string) string {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(StringToSign(method, requestTarget, timestamp, accessKey)))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Timestamp formats now as the x-ncp-apigw-timestamp value: decimal epoch
// milliseconds.
func Timestamp(now time.Time) string {
	return strconv.FormatInt(now.UnixMilli(), 10)
}

// Headers returns the three authentication headers for a request, keyed by
// their canonical names (ncpapi.HeaderTimestamp, HeaderAccessKey,
// HeaderSignatureV2). One timestamp value feeds both the header and the
// signed message; reading the clock twice gives intermittent 401s when the
// millisecond changes in between (field case C23).
func Headers(method, requestTarget, accessKey, secretKey string, now time.Time) map[string]string {
	ts := Timestamp(now)
	return map[string]string{
		ncpapi.HeaderTimestamp:   ts,
		ncpapi.HeaderAccessKey:   accessKey,
		ncpapi.HeaderSignatureV2: Sign(method, requestTarget, ts, accessKey, secretKey),
	}
}

// SignRequest sets the authentication headers on r, signing
// r.URL.RequestURI(): the request target net/http puts on the request line,
// so what is signed is exactly what is sent. Build the URL (including
// RawQuery) completely before calling it.
func SignRequest(r *http.Request, accessKey, secretKey string, now time.Time) {
	for k, v := range Headers(r.Method, r.URL.RequestURI(), accessKey, secretKey, now) {
		r.Header.Set(k, v)
	}
}
