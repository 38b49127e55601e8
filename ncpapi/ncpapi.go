// Package ncpapi holds the JSON wire types of the NCP Certificate Manager API
// and the envelopes around them. The server (httpapi) and the Go SDK (client)
// share these types, so they cannot drift apart.
//
// Field names, including the odd ones (certificatetype, certificateId,
// registPrivateKey), are exactly as NCP documents them; see
// docs/compat.md for where the documents disagree.
package ncpapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Header names of the NCP API gateway.
const (
	HeaderTimestamp   = "x-ncp-apigw-timestamp"
	HeaderAccessKey   = "x-ncp-iam-access-key"
	HeaderSignatureV2 = "x-ncp-apigw-signature-v2"
	HeaderSignatureV1 = "x-ncp-apigw-signature-v1" // accepted as a synonym of v2
	HeaderOrigin      = "x-ncp-apigw-response-origin"
	HeaderTraceID     = "x-ncp-trace-id"
	OriginGateway     = "APIGW"
	OriginEndpoint    = "ENDPOINT"
	DefaultEndpoint   = "https://certificatemanager.apigw.ntruss.com"
	SuccessMessage    = "Success"
	SuccessCode       = "0"
	ContentTypeJSON   = "application/json;charset=UTF-8"
	ContentTypeZip    = "application/zip"
)

// Result is the envelope every Certificate Manager answer starts with.
type Result struct {
	ReturnCode    string `json:"returnCode"`
	ReturnMessage string `json:"returnMessage"`
}

// OK reports whether the result is a success. Any returnCode other than "0"
// is a failure, whatever the HTTP status.
func (r Result) OK() bool { return r.ReturnCode == SuccessCode }

// RowsResult is Result with the totalRows count most operations carry.
type RowsResult struct {
	Result
	TotalRows int `json:"totalRows"`
}

// GatewayError is the body the API gateway sends for 401, 404, 413, 429 and
// 500 answers.
type GatewayError struct {
	Error GatewayErrorDetail `json:"error"`
}

// GatewayErrorDetail is the inside of a GatewayError.
type GatewayErrorDetail struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
	Details   string `json:"details,omitempty"`
}

// UnmarshalJSON accepts errorCode as a string or a number, and an "error"
// member that is a plain string (Spring-style 404 bodies).
func (g *GatewayError) UnmarshalJSON(b []byte) error {
	var raw struct {
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw.Error) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw.Error, &s) == nil {
		g.Error = GatewayErrorDetail{Message: s}
		return nil
	}
	var d struct {
		ErrorCode FlexString `json:"errorCode"`
		Message   string     `json:"message"`
		Details   string     `json:"details"`
	}
	if err := json.Unmarshal(raw.Error, &d); err != nil {
		return err
	}
	g.Error = GatewayErrorDetail{ErrorCode: string(d.ErrorCode), Message: d.Message, Details: d.Details}
	return nil
}

// FlexString decodes a JSON string or number into a string. The NCP pages
// type several fields inconsistently (statusCode, errorCode).
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*f = FlexString(n.String())
	return nil
}

// FlexInt decodes a JSON number or a string of digits into an int64
// (organizationNo is a string on one page and an integer on others).
type FlexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("want an integer, got %s", b)
	}
	*f = FlexInt(n)
	return nil
}
