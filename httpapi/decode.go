package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ncmhq/ncm"
)

// errTooLarge marks a body that passed Content-Length but read past the
// limit; the handler adapter answers it with the 413 envelope.
var errTooLarge = errors.New("request body too large")

// decode reads a JSON request body into v: one JSON value, a body is
// required, types must match (the error names the field). Unknown fields are
// ignored, as NCP's own endpoints do, so clients that send documented but
// undefined fields keep working.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	if err != nil {
		return ncm.Invalid("body", "could not be read: %v", err)
	}
	if trimmed := strings.TrimSpace(string(body)); trimmed == "" || trimmed == "null" {
		return ncm.Invalid("body", "a JSON object is required (send {} when there is nothing to set)")
	} else if trimmed[0] != '{' {
		return ncm.Invalid("body", "must be a JSON object ({...}), got %.20q", trimmed)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return nameField(jsonError(err), body, v) // strict.go
	}
	if dec.More() {
		return ncm.Invalid("body", "must hold exactly one JSON object; found more after it")
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return ncm.Invalid(field, "must be a JSON %s, got %s", jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return ncm.Invalid("body", "is not valid JSON (at byte %d: %v)", se.Offset, se)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ncm.Invalid("body", "is not valid JSON: it ends early")
	}
	// Errors from UnmarshalJSON methods (FlexInt) name no field themselves.
	return ncm.Invalid("body", "%v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	// The bound is NCP's (a Java int) and keeps page × pageSize within 64
	// bits wherever an offset is computed.
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 || !allDigits(v) {
		return 0, ncm.Invalid(name, "must be an integer from 0 to %d, got %q", math.MaxInt32, v)
	}
	return int(n), nil
}

// allDigits reports whether s is one or more ASCII digits (no sign, no
// spaces): numbers in paths and queries are written only that way.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// queryPaging reads the optional page and pageSize query parameters that
// every paged list takes.
func queryPaging(q url.Values) (page, pageSize int, err error) {
	if page, err = queryInt(q, "page"); err != nil {
		return 0, 0, err
	}
	pageSize, err = queryInt(q, "pageSize")
	return page, pageSize, err
}

// pathInt reads a positive integer path parameter.
func pathInt(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || !allDigits(v) {
		return 0, ncm.Invalid(name, "must be a positive integer, got %q", v)
	}
	return n, nil
}

// checkQuery refuses a query string that does not decode (url.Values
// would silently drop the pair) and a parameter given more than once
// (which value counts would be a guess; on a delete, the name is a
// confirmation). Unknown parameters stay allowed: real clients add some.
func checkQuery(r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return ncm.Invalid("query", "cannot be decoded: %v", err)
	}
	for name, values := range q {
		if len(values) > 1 {
			return ncm.Invalid(name, "is given %d times; give it once", len(values))
		}
	}
	return nil
}

// apiFunc is a handler body that reports failure by returning an error.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// api adapts an apiFunc: errors go to writeError with the operation's count
// field ("totalRows" or "totalCount"), oversized bodies to the 413 envelope.
func (s *Server) api(countField string, fn apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := checkQuery(r)
		if err == nil {
			err = fn(w, r)
		}
		switch {
		case err == nil:
		case errors.Is(err, errTooLarge):
			s.writeGatewayError(w, gwTooLarge, fmt.Sprintf("request body exceeds %d bytes", s.MaxBodyBytes))
		default:
			s.writeError(w, r, countField, err)
		}
	})
}
