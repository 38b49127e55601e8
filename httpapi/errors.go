package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
)

// Gateway error codes and messages (api-reference §1.4).
var (
	gwAuthFailed  = gatewayError{http.StatusUnauthorized, "200", "Authentication Failed"}
	gwNotFound    = gatewayError{http.StatusNotFound, "300", "Not Found Exception"}
	gwTooLarge    = gatewayError{http.StatusRequestEntityTooLarge, "430", "Request Entity Too Large"}
	gwRateLimited = gatewayError{http.StatusTooManyRequests, "420", "Rate Limited"}
	gwUnexpected  = gatewayError{http.StatusInternalServerError, "900", "Unexpected Error"}
)

type gatewayError struct {
	status  int
	code    string
	message string
}

// writeGatewayError answers as the API gateway does, with the error
// envelope and origin APIGW.
func (s *Server) writeGatewayError(w http.ResponseWriter, g gatewayError, details string) {
	w.Header().Set(ncpapi.HeaderOrigin, ncpapi.OriginGateway)
	writeJSON(w, g.status, ncpapi.GatewayError{Error: ncpapi.GatewayErrorDetail{
		ErrorCode: g.code, Message: g.message, Details: details,
	}})
}

// writeError is the one place where an error becomes an answer:
//   - EINVALID: HTTP 400 with returnCode (2000 unless the error carries a
//     more specific code) and a message naming the field and the rule;
//   - EINTERNAL (any error not of type *ncm.Error): HTTP 500 with the gateway
//     900 envelope; the cause goes to the log with the trace ID only;
//   - every other kind: HTTP 200 with the NCP result code, as NCP answers
//     business errors, plus the operation's count field set to 0.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, countField string, err error) {
	var e *ncm.Error
	if !errors.As(err, &e) || e.Kind == ncm.EINTERNAL || e.Kind == ncm.EUNAUTHORIZED {
		s.Logger.ErrorContext(r.Context(), "internal error", "trace", traceID(r), "err", err)
		s.writeGatewayError(w, gwUnexpected, "")
		return
	}
	status := http.StatusOK
	if e.Kind == ncm.EINVALID && (e.Code == "" || e.Code == ncm.CodeValidation) {
		status = http.StatusBadRequest
	}
	body := map[string]any{
		"returnCode":    ncm.ErrorCode(err),
		"returnMessage": e.Message,
	}
	if status == http.StatusOK && countField != "" {
		body[countField] = 0
	}
	w.Header().Set(ncpapi.HeaderOrigin, ncpapi.OriginEndpoint)
	writeJSON(w, status, body)
}

// writeJSON encodes v as the answer. HTML escaping is off: PEM and names
// travel as they are.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ncpapi.ContentTypeJSON)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing left to tell it
}

// writeOK answers a success with origin ENDPOINT.
func writeOK(w http.ResponseWriter, v any) {
	w.Header().Set(ncpapi.HeaderOrigin, ncpapi.OriginEndpoint)
	writeJSON(w, http.StatusOK, v)
}
