package emulator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"net/http"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
)

// Emulator is the control plane's state over a Store: the admin token, the
// clock, faults and the reset. It is safe for concurrent use.
type Emulator struct {
	store ncm.Store
	clock *Clock
}

// New returns the control plane over store, moving clock.
func New(store ncm.Store, clock *Clock) *Emulator {
	return &Emulator{store: store, clock: clock}
}

// Clock returns the emulated clock.
func (e *Emulator) Clock() *Clock { return e.clock }

// MinTokenLength is the shortest admin token accepted from --admin-token.
const MinTokenLength = 16

// tokenAlphabet gives generated tokens the look of access keys.
var tokenAlphabet = base32.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567").WithPadding(base32.NoPadding)

// Enable marks the database as served in emulator mode and makes sure there
// is an admin token. A token given (--admin-token) replaces the stored one;
// without one, a token is generated when none is stored yet and returned,
// to be shown once: only its hash is kept. It returns "" otherwise.
func Enable(ctx context.Context, store ncm.Store, token string, now time.Time) (generated string, err error) {
	if token != "" && len(token) < MinTokenLength {
		return "", ncm.Invalid("admin-token", "must be at least %d characters long", MinTokenLength)
	}
	err = store.Write(ctx, func(tx ncm.Tx) error {
		s, err := tx.LockEmulatorState(ctx)
		if err != nil {
			return err
		}
		switch {
		case token != "":
			s.AdminTokenHash = hashToken(token)
		case len(s.AdminTokenHash) == 0:
			b := make([]byte, 20)
			if _, err := rand.Read(b); err != nil {
				return ncm.Internal(err)
			}
			generated = "ncm_admin_" + tokenAlphabet.EncodeToString(b)
			s.AdminTokenHash = hashToken(generated)
		}
		s.Enabled, s.UpdatedAt = true, now
		return tx.SaveEmulatorState(ctx, s)
	})
	if err != nil {
		return "", err
	}
	return generated, nil
}

// Disable marks the database as no longer served in emulator mode (ncm
// serve without --emulator), so operator commands use the real time again.
// It reports whether the database was in emulator mode; only then does it
// write.
func Disable(ctx context.Context, store ncm.Store, now time.Time) (bool, error) {
	on, err := Enabled(ctx, store)
	if err != nil || !on {
		return false, err
	}
	err = store.Write(ctx, func(tx ncm.Tx) error {
		s, err := tx.LockEmulatorState(ctx)
		if err != nil {
			return err
		}
		s.Enabled, s.UpdatedAt = false, now
		return tx.SaveEmulatorState(ctx, s)
	})
	return err == nil, err
}

// Enabled reports whether the database is served in emulator mode.
func Enabled(ctx context.Context, store ncm.Store) (bool, error) {
	var on bool
	err := store.Read(ctx, func(tx ncm.Tx) error {
		s, err := tx.EmulatorState(ctx)
		if err == nil {
			on = s.Enabled
		}
		return err
	})
	return on, err
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CheckAdminToken reports whether presented is the admin token. The stored
// hash is read on every call, so a token replaced on another node takes
// effect at once; the hashes are compared in constant time.
func (e *Emulator) CheckAdminToken(ctx context.Context, presented string) (bool, error) {
	var want []byte
	err := e.store.Read(ctx, func(tx ncm.Tx) error {
		s, err := tx.EmulatorState(ctx)
		if err == nil {
			want = s.AdminTokenHash
		}
		return err
	})
	if err != nil {
		return false, err
	}
	if len(want) == 0 || presented == "" {
		return false, nil
	}
	return subtle.ConstantTimeCompare(hashToken(presented), want) == 1, nil
}

// FaultSpec is a fault as the control plane receives it
// (POST /_ncm/v1/faults).
type FaultSpec struct {
	// Route is "METHOD /path" of an API route pattern, or "*" for every
	// route. The HTTP layer resolves it to its pattern before AddFault.
	Route string `json:"route"`
	// Count is how many requests the fault answers. Default 1.
	Count int `json:"count,omitempty"`
	// Status is the HTTP status: a gateway status answers the gateway's
	// envelope; 400 with a ReturnCode, or none (0) with a ReturnCode,
	// answers Certificate Manager's envelope; none without a ReturnCode
	// only adds Latency.
	Status int `json:"status,omitempty"`
	// ReturnCode is the business returnCode, or for a gateway status the
	// gateway errorCode (default: the status's code in GatewayErrors).
	ReturnCode string `json:"returnCode,omitempty"`
	// Message is the returnMessage or gateway message. Default: the
	// gateway table's message, or "Emulated failure".
	Message string `json:"message,omitempty"`
	// Latency is waited before answering, in ParseDuration's syntax, at
	// most MaxLatency.
	Latency string `json:"latency,omitempty"`
}

// Limits of a fault.
const (
	MaxFaultCount = 1_000_000
	// MaxLatency stays well below the server's write timeout (60 s), so
	// a slowed answer still arrives.
	MaxLatency = 30 * time.Second
)

// GatewayErrors are the API gateway's errors (api-reference §1.4) by
// errorCode: their HTTP status and message.
var GatewayErrors = map[string]struct {
	Status  int
	Message string
}{
	"100": {http.StatusBadRequest, "Bad Request Exception"},
	"200": {http.StatusUnauthorized, "Authentication Failed"},
	"210": {http.StatusUnauthorized, "Permission Denied"},
	"230": {http.StatusForbidden, "Forbidden"},
	"300": {http.StatusNotFound, "Not Found Exception"},
	"400": {http.StatusTooManyRequests, "Quota Exceeded"},
	"410": {http.StatusTooManyRequests, "Throttle Limited"},
	"420": {http.StatusTooManyRequests, "Rate Limited"},
	"430": {http.StatusRequestEntityTooLarge, "Request Entity Too Large"},
	"500": {http.StatusServiceUnavailable, "Endpoint Error"},
	"510": {http.StatusGatewayTimeout, "Endpoint Timeout"},
	"900": {http.StatusInternalServerError, "Unexpected Error"},
}

// businessMessages are NCP's returnMessage of common result codes
// (api-reference §1.6), the default message of a business fault.
var businessMessages = map[string]string{
	"1002":  "Unable to load certificate. Expecting PEM format file.",
	"1006":  "No certificate exists.",
	"2200":  "No certificate was found.",
	"26034": "The certificate is invalid.",
}

// gatewayCodes are the default errorCode of each gateway status.
var gatewayCodes = map[int]string{
	http.StatusBadRequest:            "100",
	http.StatusUnauthorized:          "200",
	http.StatusForbidden:             "230",
	http.StatusNotFound:              "300",
	http.StatusRequestEntityTooLarge: "430",
	http.StatusTooManyRequests:       "420",
	http.StatusInternalServerError:   "900",
	http.StatusServiceUnavailable:    "500",
	http.StatusGatewayTimeout:        "510",
}

// IsGateway reports whether f answers with the gateway's envelope (and not
// Certificate Manager's returnCode envelope).
func IsGateway(f *ncm.Fault) bool {
	return f.Status != 0 && !business(f.Status, f.ReturnCode)
}

// business reports whether a status and code answer Certificate Manager's
// envelope: HTTP 200, or 400 (validation) with a code other than the
// gateway's own 100.
func business(status int, code string) bool {
	return status == http.StatusOK || (status == 0 && code != "") ||
		(status == http.StatusBadRequest && code != "" && code != gatewayCodes[http.StatusBadRequest])
}

// AddFault validates spec and stores it as a fault; spec.Route must already
// name a route pattern or "*". Defaults (count 1, the gateway's code and
// message) are filled in on the stored fault.
func (e *Emulator) AddFault(ctx context.Context, spec FaultSpec) (*ncm.Fault, error) {
	f := &ncm.Fault{
		Route: strings.TrimSpace(spec.Route), Remaining: spec.Count, Status: spec.Status,
		ReturnCode: strings.TrimSpace(spec.ReturnCode), Message: strings.TrimSpace(spec.Message),
		CreatedAt: e.clock.Now(),
	}
	if f.Route == "" {
		return nil, ncm.Invalid("route", `is required: "METHOD /path" of an API route, e.g. "GET /api/v2/certificate/getPaidCertificates", or "*" for every route`)
	}
	if f.Remaining == 0 {
		f.Remaining = 1
	}
	if f.Remaining < 0 || f.Remaining > MaxFaultCount {
		return nil, ncm.Invalid("count", "must be between 1 and %d, got %d", MaxFaultCount, spec.Count)
	}
	if spec.Latency != "" {
		d, err := ParseDuration(spec.Latency)
		if err != nil {
			return nil, ncm.Invalid("latency", "%v", err)
		}
		if d < 0 || d > MaxLatency {
			return nil, ncm.Invalid("latency", "must be between 0 and %s, got %s", MaxLatency, spec.Latency)
		}
		f.Latency = d
	}
	if f.ReturnCode != "" && strings.Trim(f.ReturnCode, "0123456789") != "" {
		return nil, ncm.Invalid("returnCode", "must be a number as a string (e.g. \"1006\"), got %q", f.ReturnCode)
	}
	if len(f.Message) > 500 {
		return nil, ncm.Invalid("message", "must be at most 500 characters")
	}
	switch {
	case f.Status == 0 && f.ReturnCode == "":
		if f.Latency == 0 {
			return nil, ncm.Invalid("status", "give a status, a returnCode or a latency: this fault would do nothing")
		}
	case business(f.Status, f.ReturnCode):
		if f.ReturnCode == "" {
			return nil, ncm.Invalid("returnCode", "is required with status %d (the business error to answer)", f.Status)
		}
		if f.ReturnCode == "0" {
			return nil, ncm.Invalid("returnCode", `must not be "0", which is success`)
		}
		if f.Status == 0 {
			f.Status = http.StatusOK
		}
		if f.Message == "" {
			f.Message = businessMessages[f.ReturnCode]
		}
		if f.Message == "" {
			f.Message = "Emulated failure"
		}
	default:
		code, ok := gatewayCodes[f.Status]
		if !ok {
			return nil, ncm.Invalid("status", "must be one of the API gateway's 400, 401, 403, 404, 413, 429, 500, 503, 504 (or 200 with a returnCode), got %d", f.Status)
		}
		if f.ReturnCode == "" {
			f.ReturnCode = code
		}
		if f.Message == "" {
			f.Message = GatewayErrors[f.ReturnCode].Message
		}
		if f.Message == "" {
			f.Message = http.StatusText(f.Status)
		}
	}
	err := e.store.Write(ctx, func(tx ncm.Tx) error { return tx.AddFault(ctx, f) })
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Faults returns the faults with requests left, oldest first.
func (e *Emulator) Faults(ctx context.Context) ([]*ncm.Fault, error) {
	var fs []*ncm.Fault
	err := e.store.Read(ctx, func(tx ncm.Tx) (err error) {
		fs, err = tx.Faults(ctx)
		return err
	})
	return fs, err
}

// ClearFaults deletes every fault and returns how many had requests left.
func (e *Emulator) ClearFaults(ctx context.Context) (int, error) {
	var n int
	err := e.store.Write(ctx, func(tx ncm.Tx) (err error) {
		n, err = tx.ClearFaults(ctx)
		return err
	})
	return n, err
}

// TakeFault consumes one request of the oldest fault for the route pattern
// (or for every route) and returns it; nil when there is none. Requests
// look in a read transaction first, so that without faults the API never
// waits for the writer.
func (e *Emulator) TakeFault(ctx context.Context, pattern string) (*ncm.Fault, error) {
	fs, err := e.Faults(ctx)
	if err != nil {
		return nil, err
	}
	found := false
	for _, f := range fs {
		if f.Route == pattern || f.Route == ncm.FaultAnyRoute {
			found = true
			break
		}
	}
	if !found {
		return nil, nil
	}
	var f *ncm.Fault
	err = e.store.Write(ctx, func(tx ncm.Tx) (err error) {
		f, err = tx.TakeFault(ctx, pattern)
		return err
	})
	return f, err
}

// Reset empties the database (ncm.LifecycleTx.ResetEmulator: everything but
// the CA, the admin token and the first member with its access keys), clears
// the faults and puts the clock back on the real time, in one transaction.
// It returns the member number kept.
func (e *Emulator) Reset(ctx context.Context) (string, error) {
	var (
		kept  string
		saved *ncm.EmulatorState
	)
	err := e.store.Write(ctx, func(tx ncm.Tx) error {
		s, err := tx.LockEmulatorState(ctx)
		if err != nil {
			return err
		}
		if kept, err = tx.ResetEmulator(ctx); err != nil {
			return err
		}
		resetClock(s)
		s.UpdatedAt = e.clock.Base()
		if err := tx.SaveEmulatorState(ctx, s); err != nil {
			return err
		}
		saved = s
		return nil
	})
	if err != nil {
		return "", err
	}
	e.clock.remember(saved)
	return kept, nil
}

// Certificate returns a certificate of any member, for the control plane's
// answers. ENOTFOUND if there is none.
func (e *Emulator) Certificate(ctx context.Context, no int64) (*ncm.Certificate, error) {
	var c *ncm.Certificate
	err := e.store.Read(ctx, func(tx ncm.Tx) (err error) {
		c, err = tx.CertificateByNo(ctx, no)
		return err
	})
	return c, err
}
