package ncm

import (
	"errors"
	"fmt"
)

// Error kinds. They tell Go callers what went wrong; the NCP result code
// (Error.Code) tells API callers.
const (
	EINVALID      = "invalid"      // the request is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // no such object, or not the caller's
	ECONFLICT     = "conflict"     // the object's state forbids the action
	EUNAUTHORIZED = "unauthorized" // credentials missing or wrong
	EFORBIDDEN    = "forbidden"    // credentials right, action not allowed
	EINTERNAL     = "internal"     // a bug or an outage; details go to the log
)

// Common NCP result codes (returnCode), see docs/compat.md.
const (
	CodeOK             = "0"
	CodeNotPEM         = "1002"
	CodeDeleteRefused  = "1004"
	CodeNoCertificate  = "1006"
	CodeValidation     = "2000"
	CodeNoWindow       = "2101"
	CodeNothingFound   = "2200"
	CodeInvalidCert    = "26034"
	CodeKeyMismatch    = "26040"
	CodeBadState       = "26100" // ncm: the certificate's status forbids the action
	CodeNoOrganization = "26110" // ncm: organizationNo unknown to the member
	CodeNameTaken      = "26120" // ncm: certificateName already used
	CodeInvalidCSR     = "26130" // ncm: CSR unparseable, badly signed or weak
	CodeCSRMismatch    = "26131" // ncm: CSR names differ from the request
	CodeInvalidKey     = "26140" // ncm: private key unparseable or encrypted
	CodeNoOrder        = "26150" // ncm: orderId unknown to the member
)

// Error is the one error type of ncm. Message is safe to show to the caller;
// Err, when set, is the internal cause and goes to the log only.
type Error struct {
	Kind    string // one of the E* kinds
	Code    string // NCP returnCode; empty means derived from Kind
	Field   string // the request field at fault, when there is one
	Message string
	Err     error
}

// Error implements the error interface.
func (e *Error) Error() string {
	msg := e.Message
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return fmt.Sprintf("ncm %s: %s", e.Kind, msg)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error of the given kind and NCP code.
func Errorf(kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error (HTTP 400, returnCode 2000) that names
// the field and the rule it broke.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: EINVALID, Code: CodeValidation, Field: field,
		Message: field + ": " + fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. Callers see only "internal error".
func Internal(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: EINTERNAL, Message: "internal error", Err: err}
}

// ErrorKind returns the kind of err: the Kind of an *Error in its chain, or
// EINTERNAL for any other non-nil error.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EINTERNAL
}

// ErrorCode returns the NCP result code of err: the Code of an *Error (or the
// default of its kind), "900"-class errors return "".
func ErrorCode(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return ""
	}
	if e.Code != "" {
		return e.Code
	}
	switch e.Kind {
	case EINVALID:
		return CodeValidation
	case ENOTFOUND:
		return CodeNoCertificate
	}
	return ""
}

// ErrorMessage returns the caller-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != EINTERNAL {
		return e.Message
	}
	return "internal error"
}
