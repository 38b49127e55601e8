package client

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
)

// APIError is a failed call: an HTTP error status (gateway or endpoint) or a
// Certificate Manager returnCode other than "0", which NCP sends with HTTP
// 200 for business errors.
type APIError struct {
	Method, Path string // the operation, e.g. GET /api/v2/certificate/getPaidCertificates
	Endpoint     string // the base URL the request went to
	HTTPStatus   int
	// ReturnCode and ReturnMessage come from a Certificate Manager envelope
	// (e.g. "1006", "No certificate exists.").
	ReturnCode, ReturnMessage string
	// GatewayCode, GatewayMessage and Details come from an API gateway
	// envelope (e.g. "200", "Authentication Failed", "timestamp is ...").
	GatewayCode, GatewayMessage, Details string
	// TraceID is the x-ncp-trace-id response header; quote it to support.
	TraceID string
}

// apiError builds the *APIError of a response whose body is raw. Bodies that
// are neither envelope (empty 403s, HTML from a wrong endpoint) leave the
// codes empty.
func (c *Client) apiError(method, path string, resp *http.Response, raw []byte) *APIError {
	e := &APIError{
		Method: method, Path: path, Endpoint: c.endpoint,
		HTTPStatus: resp.StatusCode,
		TraceID:    resp.Header.Get(ncpapi.HeaderTraceID),
	}
	var res ncpapi.Result
	if json.Unmarshal(raw, &res) == nil {
		e.ReturnCode, e.ReturnMessage = res.ReturnCode, res.ReturnMessage
	}
	var g ncpapi.GatewayError
	if json.Unmarshal(raw, &g) == nil {
		e.GatewayCode, e.GatewayMessage, e.Details = g.Error.ErrorCode, g.Error.Message, g.Error.Details
	}
	if e.HTTPStatus >= 200 && e.HTTPStatus <= 299 && e.ReturnCode == "" {
		// A 2xx JSON answer without returnCode is not Certificate
		// Manager's; Hint points at the endpoint.
		e.ReturnMessage = "answer has no returnCode"
	}
	return e
}

// Error implements the error interface: what failed, what the server said,
// and a hint for the usual mistakes.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Method + " " + e.Path + ": HTTP " + strconv.Itoa(e.HTTPStatus))
	if e.ReturnCode != "" || e.ReturnMessage != "" {
		b.WriteString(": returnCode " + strconv.Quote(e.ReturnCode) + " " + e.ReturnMessage)
	}
	if e.GatewayCode != "" || e.GatewayMessage != "" {
		b.WriteString(": gateway error " + e.GatewayCode + " " + e.GatewayMessage)
	}
	if e.Details != "" {
		b.WriteString(" (" + e.Details + ")")
	}
	if e.TraceID != "" {
		b.WriteString(" [trace " + e.TraceID + "]")
	}
	if h := e.Hint(); h != "" {
		b.WriteString("; " + h)
	}
	return b.String()
}

// Hint returns advice for the usual mistakes behind this error, or "".
func (e *APIError) Hint() string {
	switch {
	case e.HTTPStatus == http.StatusUnauthorized && timestampProblem(e.Details):
		return "check this machine's clock (or set Config.ClockOffset / CorrectClockSkew)"
	case e.HTTPStatus == http.StatusUnauthorized && e.GatewayCode == "210":
		return "the access key is valid but not allowed to call this operation"
	case e.HTTPStatus == http.StatusUnauthorized:
		return "check NCLOUD_ACCESS_KEY_ID/NCLOUD_SECRET_ACCESS_KEY"
	case e.HTTPStatus == http.StatusNotFound && e.ReturnCode == "":
		return "check NCM_ENDPOINT (now: " + e.Endpoint + ")"
	case e.HTTPStatus == http.StatusForbidden && e.ReturnCode == "" && e.GatewayCode == "" && strings.HasPrefix(e.Path, "/api/v2/"):
		return "API 2.0 needs a main-account access key; sub-account keys get an empty 403"
	case e.HTTPStatus == http.StatusTooManyRequests:
		return "rate limited; still refused after retries"
	case e.HTTPStatus >= 200 && e.HTTPStatus <= 299 && e.ReturnCode == "":
		return "is NCM_ENDPOINT (now: " + e.Endpoint + ") a Certificate Manager API?"
	}
	return ""
}

// Unwrap exposes the failure as an *ncm.Error, so ncm.ErrorKind and
// ncm.ErrorCode work on client errors as on server ones.
func (e *APIError) Unwrap() error {
	return &ncm.Error{Kind: e.kind(), Code: e.ReturnCode, Message: e.Error()}
}

// kind maps the status and codes to an ncm error kind.
func (e *APIError) kind() string {
	switch e.ReturnCode {
	case ncm.CodeNoCertificate, ncm.CodeNothingFound, ncm.CodeNoOrder, ncm.CodeNoOrganization:
		return ncm.ENOTFOUND
	case ncm.CodeDeleteRefused, ncm.CodeBadState, ncm.CodeNameTaken:
		return ncm.ECONFLICT
	case "", ncm.CodeOK:
	default:
		if e.HTTPStatus < 500 {
			return ncm.EINVALID
		}
	}
	switch {
	case e.HTTPStatus == http.StatusUnauthorized && e.GatewayCode == "210", e.HTTPStatus == http.StatusForbidden:
		return ncm.EFORBIDDEN
	case e.HTTPStatus == http.StatusUnauthorized:
		return ncm.EUNAUTHORIZED
	case e.HTTPStatus == http.StatusBadRequest, e.HTTPStatus == http.StatusRequestEntityTooLarge:
		return ncm.EINVALID
	}
	return ncm.EINTERNAL
}

// timestampProblem reports whether 401 details blame the timestamp rather
// than the signature (whose explanation may mention the timestamp too).
func timestampProblem(details string) bool {
	d := strings.ToLower(details)
	return strings.Contains(d, "timestamp") && !strings.Contains(d, "signature")
}
