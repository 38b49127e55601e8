package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/ncpsig"
	"github.com/ncmhq/ncm/service"
)

type ctxKey int

const (
	traceKey ctxKey = iota
	principalKey
)

// tracePrefix makes trace IDs unique across restarts and nodes; the counter
// makes them unique within the process without a system call per request.
var (
	tracePrefix  = func() string { b := make([]byte, 6); _, _ = rand.Read(b); return hex.EncodeToString(b) }()
	traceCounter atomic.Uint64
)

// trace gives every request an ID, answered in x-ncp-trace-id and written
// in the access log, so a caller's report can be found in the log.
func (s *Server) trace(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := fmt.Sprintf("%s%010x", tracePrefix, traceCounter.Add(1))
		w.Header().Set(ncpapi.HeaderTraceID, id)
		// The Date header comes from the server's clock (which tests and the
		// emulator control), so clients can measure their skew against it.
		w.Header().Set("Date", s.Clock.Now().UTC().Format(http.TimeFormat))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), traceKey, id)))
	})
}

func traceID(r *http.Request) string {
	id, _ := r.Context().Value(traceKey).(string)
	return id
}

// principal returns the authenticated caller of r.
func principal(r *http.Request) *service.Principal {
	p, _ := r.Context().Value(principalKey).(*service.Principal)
	return p
}

// recoverPanics turns a panic into the 900 envelope and a log line with
// the stack; the server keeps running.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.ErrorContext(r.Context(), "panic", "trace", traceID(r), "panic", v, "stack", string(debug.Stack()))
				s.writeGatewayError(w, gwUnexpected, "")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status and size of an answer for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (rec *statusRecorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *statusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += n
	return n, err
}

func (rec *statusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// accessLog writes one structured line per request. It never logs
// signatures, secrets or bodies.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		// The principal is only known after authentication, further in; a
		// holder in the context lets the inner handler report it back.
		holder := new(*service.Principal)
		r = r.WithContext(context.WithValue(r.Context(), principalHolderKey{}, holder))
		next.ServeHTTP(rec, r)
		attrs := []any{
			"trace", traceID(r), "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
			"status", rec.status, "bytes", rec.bytes, "duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"remote", r.RemoteAddr,
		}
		if p := *holder; p != nil {
			attrs = append(attrs, "accessKey", p.AccessKeyID, "member", p.MemberNo)
		}
		s.Logger.InfoContext(r.Context(), "request", attrs...)
	})
}

type principalHolderKey struct{}

// requireRoute answers unknown paths and methods with the gateway's 404
// envelope before anything else looks at the request.
func (s *Server) requireRoute(api *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A path that is not in clean form ("//", "/./", "/../") would
		// get ServeMux's redirect; NCP's gateway knows no such route.
		if _, pattern := api.Handler(r); pattern == "" || !cleanPath(r.URL.Path) {
			s.writeGatewayError(w, gwNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over MaxBodyBytes with the 413 envelope: at once
// when Content-Length says so, otherwise when the decoder reads past it.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.MaxBodyBytes {
			s.writeGatewayError(w, gwTooLarge, fmt.Sprintf("request body is %d bytes; the limit is %d", r.ContentLength, s.MaxBodyBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// dummySecret is verified against when the access key is unknown, so an
// unknown key costs the same and answers the same as a wrong signature.
var dummySecret = hex.EncodeToString(func() []byte { b := make([]byte, 20); _, _ = rand.Read(b); return b }())

// authenticate checks the signature v2 headers (spec/compat.md,
// "Authentication") and puts the caller's Principal in the context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		creds, err := ncpsig.ParseHeaders(r.Header)
		if err != nil {
			s.writeGatewayError(w, gwAuthFailed, sigDetails(err))
			return
		}
		if err := s.checkTimestamp(creds.Timestamp); err != nil { // control.go: also the real time in emulator mode
			s.writeGatewayError(w, gwAuthFailed, sigDetails(err))
			return
		}
		p, secret, err := s.Service.Authenticate(r.Context(), creds.AccessKey)
		switch ncm.ErrorKind(err) {
		case "":
		case ncm.EUNAUTHORIZED:
			secret = []byte(dummySecret)
		default:
			s.writeError(w, r, "", err)
			return
		}
		// r.RequestURI is the request target exactly as received; the
		// signature covers those bytes, never a re-encoded form.
		if verr := s.Verifier.Verify(r.Method, r.RequestURI, creds, string(secret)); verr != nil || p == nil {
			if verr == nil { // unknown key that happened to verify against the dummy: impossible in practice
				verr = fmt.Errorf("signature does not match")
			}
			s.writeGatewayError(w, gwAuthFailed, sigDetails(verr))
			return
		}
		if holder, ok := r.Context().Value(principalHolderKey{}).(**service.Principal); ok {
			*holder = p
		}
		if p.KeyKind == ncm.KeySub && !s.AllowSubAccountV2 && strings.HasPrefix(r.URL.Path, "/api/v2/") {
			// NCP answers API 2.0 calls made with a sub-account key with an
			// empty 403 from the endpoint (api-reference §1.8).
			w.Header().Set(ncpapi.HeaderOrigin, ncpapi.OriginEndpoint)
			w.WriteHeader(http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
	})
}

// sigDetails is the caller-safe text of a signature failure for the 401
// envelope's details.
func sigDetails(err error) string {
	var se *ncpsig.Error
	if errors.As(err, &se) {
		return se.Details
	}
	return err.Error()
}

// cleanPath reports whether p is already in the form path.Clean gives it.
func cleanPath(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}
