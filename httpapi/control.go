package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/emulator"
	"github.com/ncmhq/ncm/ncpapi"
)

// The control plane (ncm serve --emulator): an admin API under /_ncm/v1/,
// outside the signature-checked API and authenticated by its own admin
// token, that moves the shared clock, settles domain validation, injects
// faults into the API and resets the state. Without Server.Emulator none of
// it exists and /_ncm/ answers the gateway's 404 like any unknown path.
//
//	GET    /_ncm/v1/clock                                    the clock
//	POST   /_ncm/v1/clock                                    {"set":"2027-01-01T00:00:00Z"} | {"advance":"60d"} | {"freeze":true} | {"reset":true}
//	POST   /_ncm/v1/certificates/{certificateNo}/validation  {"outcome":"pass|fail|timeout","domain":"optional"}
//	GET    /_ncm/v1/faults                                   faults with requests left
//	POST   /_ncm/v1/faults                                   emulator.FaultSpec
//	DELETE /_ncm/v1/faults                                   clear every fault
//	POST   /_ncm/v1/reset                                    empty state (see emulator.Emulator.Reset)

// ControlPrefix is where the control plane lives.
const ControlPrefix = "/_ncm/"

// controlMaxBody bounds control plane request bodies.
const controlMaxBody = 64 << 10

// dueJobsBatch is how many due jobs one claim of RunDueJobs takes after the
// clock moved.
const dueJobsBatch = 500

// controlOwner names this process as the lease owner of jobs the control
// plane runs, unique per node like the worker's.
var controlOwner = func() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "control-" + hex.EncodeToString(b)
}()

// withControl puts the control plane beside the gateway when the emulator is
// on: /_ncm/ goes to the control handler, everything else to gw.
func (s *Server) withControl(api *http.ServeMux, gw http.Handler) http.Handler {
	if s.Emulator == nil {
		return gw
	}
	mux := http.NewServeMux()
	mux.Handle("GET /_ncm/v1/clock", s.handleGetClock())
	mux.Handle("POST /_ncm/v1/clock", s.handleMoveClock())
	mux.Handle("POST /_ncm/v1/certificates/{certificateNo}/validation", s.handleSetValidation())
	mux.Handle("GET /_ncm/v1/faults", s.handleListFaults())
	mux.Handle("POST /_ncm/v1/faults", s.handleAddFault(api))
	mux.Handle("DELETE /_ncm/v1/faults", s.handleClearFaults())
	mux.Handle("POST /_ncm/v1/reset", s.handleReset())

	var ctl http.Handler = mux
	ctl = s.controlRoute(mux, ctl)
	ctl = s.requireAdmin(ctl)
	ctl = s.accessLog(ctl)
	ctl = s.recoverPanics(ctl)
	ctl = s.trace(ctl)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == strings.TrimSuffix(ControlPrefix, "/") || strings.HasPrefix(r.URL.Path, ControlPrefix) {
			ctl.ServeHTTP(w, r)
			return
		}
		gw.ServeHTTP(w, r)
	})
}

// controlError is the control plane's error body. Code is the ncm error
// kind ("invalid", "not_found", "unauthorized", ...), stable for scripts.
type controlError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	} `json:"error"`
}

// writeControlError is the control plane's one place where an error becomes
// an answer: the kind picks the HTTP status, internal causes go to the log.
func (s *Server) writeControlError(w http.ResponseWriter, r *http.Request, err error) {
	var e *ncm.Error
	if errors.Is(err, errTooLarge) {
		e = ncm.Invalid("body", "must be at most %d bytes", controlMaxBody)
	} else if !errors.As(err, &e) || e.Kind == ncm.EINTERNAL {
		s.Logger.ErrorContext(r.Context(), "control plane: internal error", "trace", traceID(r), "err", err)
		e = &ncm.Error{Kind: ncm.EINTERNAL, Message: "internal error; see the server log, trace " + traceID(r)}
	}
	status := map[string]int{
		ncm.EINVALID:      http.StatusBadRequest,
		ncm.ENOTFOUND:     http.StatusNotFound,
		ncm.ECONFLICT:     http.StatusConflict,
		ncm.EUNAUTHORIZED: http.StatusUnauthorized,
		ncm.EFORBIDDEN:    http.StatusForbidden,
	}[e.Kind]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	var body controlError
	body.Error.Code, body.Error.Message, body.Error.Field = e.Kind, e.Message, e.Field
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ncm control plane"`)
	}
	writeJSON(w, status, body)
}

// requireAdmin lets only requests bearing the admin token through
// (Authorization: Bearer <token>). Access keys and signatures mean nothing
// here, and the route is not looked at before the token is checked.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			s.writeControlError(w, r, ncm.Errorf(ncm.EUNAUTHORIZED, "",
				"the control plane needs the admin token: Authorization: Bearer $NCM_ADMIN_TOKEN (printed when the server first started with --emulator)"))
			return
		}
		ok, err := s.Emulator.CheckAdminToken(r.Context(), strings.TrimSpace(token))
		if err != nil {
			s.writeControlError(w, r, err)
			return
		}
		if !ok {
			s.writeControlError(w, r, ncm.Errorf(ncm.EUNAUTHORIZED, "", "wrong admin token"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, controlMaxBody)
		next.ServeHTTP(w, r)
	})
}

// controlRoute answers unknown control paths and methods with a JSON 404.
func (s *Server) controlRoute(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			s.writeControlError(w, r, ncm.Errorf(ncm.ENOTFOUND, "", "no control plane route %s %s (see the README, \"Testing automation against ncm\")", r.Method, r.URL.Path))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// decodeControl reads a control request body strictly: one JSON object,
// no unknown fields (a misspelt "advnace" must not pass as a no-op).
func decodeControl(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	if err != nil {
		return ncm.Invalid("body", "could not be read: %v", err)
	}
	if strings.TrimSpace(string(body)) == "" {
		return ncm.Invalid("body", "a JSON object is required")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return ncm.Invalid("body", "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return jsonError(err)
	}
	if dec.More() {
		return ncm.Invalid("body", "must hold exactly one JSON object")
	}
	return nil
}

// ClockView is the control plane's answer about the clock.
type ClockView struct {
	// Now is the emulated time, RFC 3339 in UTC.
	Now string `json:"now"`
	// Real is the real time it was computed from.
	Real string `json:"real"`
	// Offset is Now - Real, in emulator.ParseDuration's syntax.
	Offset        string `json:"offset"`
	OffsetSeconds int64  `json:"offsetSeconds"`
	Frozen        bool   `json:"frozen"`
	// JobsRun is how many due jobs ran after the clock moved.
	JobsRun int `json:"jobsRun"`
}

func clockView(st emulator.ClockState, jobs int) ClockView {
	return ClockView{
		Now: st.Now.UTC().Format(time.RFC3339Nano), Real: st.Real.UTC().Format(time.RFC3339Nano),
		Offset: emulator.FormatDuration(st.Offset), OffsetSeconds: int64(st.Offset / time.Second),
		Frozen: st.Frozen, JobsRun: jobs,
	}
}

// handleGetClock serves GET /_ncm/v1/clock.
func (s *Server) handleGetClock() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := s.Emulator.Clock().State(r.Context())
		if err != nil {
			s.writeControlError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, clockView(st, 0))
	})
}

// clockMove is the body of POST /_ncm/v1/clock: exactly one field.
type clockMove struct {
	Set     *string `json:"set"`
	Advance *string `json:"advance"`
	Freeze  *bool   `json:"freeze"`
	Reset   *bool   `json:"reset"`
}

// handleMoveClock serves POST /_ncm/v1/clock, then runs the jobs that fell
// due, so expiries and renewals have happened when the answer arrives.
func (s *Server) handleMoveClock() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in clockMove
		if err := decodeControl(r, &in); err != nil {
			s.writeControlError(w, r, err)
			return
		}
		n := 0
		for _, set := range []bool{in.Set != nil, in.Advance != nil, in.Freeze != nil, in.Reset != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			s.writeControlError(w, r, ncm.Invalid("body", `must hold exactly one of "set" (RFC 3339 time), "advance" (e.g. "60d"), "freeze" (true or false) or "reset" (true)`))
			return
		}
		clock := s.Emulator.Clock()
		var (
			st  emulator.ClockState
			err error
		)
		switch {
		case in.Set != nil:
			t, perr := ParseControlTime(*in.Set)
			if perr != nil {
				s.writeControlError(w, r, ncm.Invalid("set", "%v", perr))
				return
			}
			st, err = clock.Set(r.Context(), t)
		case in.Advance != nil:
			d, perr := emulator.ParseDuration(*in.Advance)
			if perr != nil {
				s.writeControlError(w, r, ncm.Invalid("advance", "%v", perr))
				return
			}
			if d <= 0 {
				s.writeControlError(w, r, ncm.Invalid("advance", `must be positive, got %q; use "set" to move the clock back`, *in.Advance))
				return
			}
			st, err = clock.Advance(r.Context(), d)
		case in.Freeze != nil:
			st, err = clock.Freeze(r.Context(), *in.Freeze)
		default:
			if !*in.Reset {
				s.writeControlError(w, r, ncm.Invalid("reset", "must be true"))
				return
			}
			st, err = clock.Reset(r.Context())
		}
		if err != nil {
			s.writeControlError(w, r, err)
			return
		}
		jobs, err := s.runDueJobs(r.Context())
		if err != nil {
			s.writeControlError(w, r, err)
			return
		}
		s.Logger.InfoContext(r.Context(), "control plane: clock moved", "trace", traceID(r), "now", st.Now, "frozen", st.Frozen, "jobsRun", jobs)
		writeJSON(w, http.StatusOK, clockView(st, jobs))
	})
}

// ParseControlTime reads a time for the control plane: RFC 3339 (with or
// without fractional seconds), or a date alone, meaning midnight UTC.
func ParseControlTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return time.Time{}, fmt.Errorf("%q is not a time; want RFC 3339 like 2027-01-01T00:00:00Z (or +09:00), or a date like 2027-01-01", v)
		}
	}
	// The emulated clock is the real time plus a time.Duration, which spans
	// only ±292 years: refuse what it cannot hold rather than clamp it.
	// Certificates need nothing outside these bounds.
	if t.Year() < 1971 || t.Year() > 2200 {
		return time.Time{}, fmt.Errorf("%q is outside the years 1971-2200 the emulated clock can be set to", v)
	}
	return t.UTC(), nil
}

// runDueJobs runs every job due at the (moved) clock. RunDueJobs claims
// again while it finds jobs, up to a bound; calling it until it finds none
// covers a clock moved past more jobs than that.
func (s *Server) runDueJobs(ctx context.Context) (int, error) {
	total := 0
	// Bounded, so jobs that keep rescheduling themselves at once cannot
	// hold the request forever.
	for range 10 {
		n, err := s.Service.RunDueJobs(ctx, controlOwner, dueJobsBatch)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}

// validationRequest is the body of POST .../validation.
type validationRequest struct {
	Outcome string `json:"outcome"`
	Domain  string `json:"domain"`
}

// ValidationView is the answer of POST .../validation: the certificate as
// the settlement left it.
type ValidationView struct {
	CertificateNo int64  `json:"certificateNo"`
	Outcome       string `json:"outcome"`
	Domain        string `json:"domain,omitempty"`
	StatusCode    string `json:"statusCode"`
	StatusName    string `json:"statusName"`
}

// handleSetValidation serves POST /_ncm/v1/certificates/{certificateNo}/validation.
func (s *Server) handleSetValidation() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		no, err := strconv.ParseInt(r.PathValue("certificateNo"), 10, 64)
		if err != nil || no <= 0 {
			s.writeControlError(w, r, ncm.Invalid("certificateNo", "must be a positive integer, got %q", r.PathValue("certificateNo")))
			return
		}
		var in validationRequest
		if err := decodeControl(r, &in); err != nil {
			s.writeControlError(w, r, err)
			return
		}
		if err := s.Service.SetValidation(r.Context(), no, in.Domain, ncm.DCVOutcome(strings.ToLower(strings.TrimSpace(in.Outcome)))); err != nil {
			s.writeControlError(w, r, err)
			return
		}
		c, err := s.Emulator.Certificate(r.Context(), no)
		if err != nil {
			s.writeControlError(w, r, err)
			return
		}
		st := c.EffectiveStatus(s.Clock.Now())
		writeJSON(w, http.StatusOK, ValidationView{
			CertificateNo: no, Outcome: strings.ToLower(strings.TrimSpace(in.Outcome)), Domain: in.Domain,
			StatusCode: st.Code(), StatusName: st.Name(),
		})
	})
}

// FaultView is a fault as the control plane shows it.
type FaultView struct {
	ID         int64  `json:"id"`
	Route      string `json:"route"`
	Remaining  int    `json:"remaining"`
	Status     int    `json:"status,omitempty"`
	ReturnCode string `json:"returnCode,omitempty"`
	Message    string `json:"message,omitempty"`
	Latency    string `json:"latency,omitempty"`
}

func faultView(f *ncm.Fault) FaultView {
	v := FaultView{ID: f.ID, Route: f.Route, Remaining: f.Remaining, Status: f.Status, ReturnCode: f.ReturnCode, Message: f.Message}
	if f.Latency > 0 {
		v.Latency = emulator.FormatDuration(f.Latency)
	}
	return v
}

// FaultList is the answer of GET /_ncm/v1/faults.
type FaultList struct {
	Faults []FaultView `json:"faults"`
}

// handleListFaults serves GET /_ncm/v1/faults.
func (s *Server) handleListFaults() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs, err := s.Emulator.Faults(r.Context())
		if err != nil {
			s.writeControlError(w, r, err)
			return
		}
		out := FaultList{Faults: []FaultView{}}
		for _, f := range fs {
			out.Faults = append(out.Faults, faultView(f))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// handleAddFault serves POST /_ncm/v1/faults. The route may be given as
// its pattern or as a concrete request ("POST /api/v2/.../exportCertificate/7"),
// which is stored as the pattern that serves it.
func (s *Server) handleAddFault(api *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var spec emulator.FaultSpec
		if err := decodeControl(r, &spec); err != nil {
			s.writeControlError(w, r, err)
			return
		}
		if spec.Route = strings.TrimSpace(spec.Route); spec.Route != "" && spec.Route != ncm.FaultAnyRoute {
			pattern, err := resolveRoute(api, spec.Route)
			if err != nil {
				s.writeControlError(w, r, err)
				return
			}
			spec.Route = pattern
		}
		f, err := s.Emulator.AddFault(r.Context(), spec)
		if err != nil {
			s.writeControlError(w, r, err)
			return
		}
		s.Logger.InfoContext(r.Context(), "control plane: fault added", "trace", traceID(r), "fault", f.ID, "route", f.Route, "count", f.Remaining)
		writeJSON(w, http.StatusOK, faultView(f))
	})
}

// resolveRoute finds the API route pattern that serves "METHOD /path".
func resolveRoute(api *http.ServeMux, route string) (string, error) {
	method, path, ok := strings.Cut(route, " ")
	path = strings.TrimSpace(path)
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return "", ncm.Invalid("route", `must be "METHOD /path", e.g. "GET /api/v2/certificate/getPaidCertificates", or "*"; got %q`, route)
	}
	req, err := http.NewRequest(strings.ToUpper(method), path, nil)
	if err != nil {
		return "", ncm.Invalid("route", "%q is not a request path: %v", path, err)
	}
	if _, pattern := api.Handler(req); pattern != "" {
		return pattern, nil
	}
	return "", ncm.Invalid("route", "no API route serves %s %s", strings.ToUpper(method), path)
}

// handleClearFaults serves DELETE /_ncm/v1/faults.
func (s *Server) handleClearFaults() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := s.Emulator.ClearFaults(r.Context())
		if err != nil {
			s.writeControlError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"cleared": n})
	})
}

// ResetView is the answer of POST /_ncm/v1/reset.
type ResetView struct {
	// KeptMemberNo is the main account, kept with its access keys.
	KeptMemberNo string `json:"keptMemberNo"`
}

// handleReset serves POST /_ncm/v1/reset.
func (s *Server) handleReset() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept, err := s.Emulator.Reset(r.Context())
		if err != nil {
			s.writeControlError(w, r, err)
			return
		}
		s.Logger.InfoContext(r.Context(), "control plane: state reset", "trace", traceID(r), "kept", kept)
		writeJSON(w, http.StatusOK, ResetView{KeptMemberNo: kept})
	})
}

// injectFaults answers requests to an API route that has a fault with the
// fault's error (or delays them), after the route check and before the
// signature check: like an outage of NCP's gateway or endpoint, a fault
// hits every caller of the route. Off without the emulator.
func (s *Server) injectFaults(api *http.ServeMux, next http.Handler) http.Handler {
	if s.Emulator == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := api.Handler(r)
		f, err := s.Emulator.TakeFault(r.Context(), pattern)
		if err != nil {
			s.writeError(w, r, "", err)
			return
		}
		if f == nil {
			next.ServeHTTP(w, r)
			return
		}
		s.Logger.InfoContext(r.Context(), "control plane: fault injected", "trace", traceID(r), "fault", f.ID, "route", pattern, "remaining", f.Remaining)
		if f.Latency > 0 {
			t := time.NewTimer(f.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return // the client went away
			}
		}
		switch {
		case f.Status == 0:
			next.ServeHTTP(w, r)
		case emulator.IsGateway(f):
			if f.Status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			s.writeGatewayError(w, gatewayError{f.Status, f.ReturnCode, f.Message}, fmt.Sprintf("injected by the ncm control plane (fault %d)", f.ID))
		default:
			w.Header().Set(ncpapi.HeaderOrigin, ncpapi.OriginEndpoint)
			writeJSON(w, f.Status, map[string]string{"returnCode": f.ReturnCode, "returnMessage": f.Message})
		}
	})
}

// checkTimestamp checks a request's signature timestamp against the
// server's clock. In emulator mode the real time is accepted as well: the
// software under test signs with its own clock, which a moved emulator
// clock cannot move (docs/compat.md, "Control plane").
func (s *Server) checkTimestamp(ts string) error {
	err := s.Verifier.CheckTimestamp(ts, s.Clock.Now())
	if err != nil && s.Emulator != nil {
		if s.Verifier.CheckTimestamp(ts, s.Emulator.Clock().Base()) == nil {
			return nil
		}
	}
	return err
}
