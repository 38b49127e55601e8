package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ncmhq/ncm/ncpsig"
	"golang.org/x/time/rate"
)

// limiterIdle is how long an access key's limiter is kept after its last
// request; a key idle that long has a full bucket again anyway, so
// forgetting it changes no answer and keeps memory bounded by the keys in
// recent use.
const limiterIdle = 10 * time.Minute

// pruneEvery is how often the replay memory forgets expired nonces.
const pruneEvery = time.Minute

// keyLimiters holds one token bucket per access key.
type keyLimiters struct {
	limit rate.Limit
	burst int

	mu        sync.Mutex
	byKey     map[string]*keyLimiter
	lastSweep time.Time
}

type keyLimiter struct {
	lim  *rate.Limiter
	seen time.Time
}

// reserve takes a token for key at now. It returns 0 when the request may
// go ahead, else how long the caller should wait before trying again.
func (k *keyLimiters) reserve(key string, now time.Time) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.lastSweep) > limiterIdle {
		for id, l := range k.byKey {
			if now.Sub(l.seen) > limiterIdle {
				delete(k.byKey, id)
			}
		}
		k.lastSweep = now
	}
	l := k.byKey[key]
	if l == nil {
		l = &keyLimiter{lim: rate.NewLimiter(k.limit, k.burst)}
		k.byKey[key] = l
	}
	l.seen = now
	if l.lim.AllowN(now, 1) {
		return 0
	}
	r := l.lim.ReserveN(now, 1)
	defer r.CancelAt(now) // the refused request must not use up a future token
	if !r.OK() {
		return time.Second
	}
	return r.DelayFrom(now)
}

// abuse guards the routes against abusive callers once the caller is known
// (it runs inside authenticate): a token bucket per access key (RateLimit,
// RateBurst), answered with the gateway's 429 envelope and Retry-After, and,
// with RejectReplays, a refusal of any signed request seen before within
// the signature window. Only requests with a valid signature reach it, so
// nobody can fill another key's bucket or poison the replay memory.
//
// Rate limiting runs on the real time, not the server's Clock: it protects
// the machine, whose load is real even when the emulated clock stands still.
func (s *Server) abuse(next http.Handler) http.Handler {
	var limiters *keyLimiters
	if s.RateLimit > 0 {
		burst := s.RateBurst
		if burst <= 0 {
			burst = int(math.Ceil(s.RateLimit))
		}
		limiters = &keyLimiters{limit: rate.Limit(s.RateLimit), burst: burst, byKey: map[string]*keyLimiter{}}
	}
	window := s.Verifier.Window
	if window == 0 {
		window = ncpsig.DefaultWindow
	}
	var lastPrune atomic.Int64 // unix nanoseconds of the last prune
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principal(r)
		if p == nil { // authenticate always sets it; refuse rather than serve unguarded
			s.writeGatewayError(w, gwAuthFailed, "")
			return
		}
		if limiters != nil {
			if wait := limiters.reserve(p.AccessKeyID, time.Now()); wait > 0 {
				secs := int(math.Ceil(wait.Seconds()))
				if secs < 1 {
					secs = 1
				}
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				s.writeGatewayError(w, gwRateLimited, fmt.Sprintf(
					"access key %s exceeded %g requests per second (burst %d); retry after %d s",
					p.AccessKeyID, float64(limiters.limit), limiters.burst, secs))
				return
			}
		}
		if s.RejectReplays {
			creds, _ := ncpsig.ParseHeaders(r.Header) // authenticate parsed them already
			sum := sha256.Sum256([]byte(creds.AccessKey + "\x00" + creds.Timestamp + "\x00" + creds.Signature))
			now := s.Clock.Now()
			// The timestamp may lie up to one window ahead of now and is
			// accepted until one window after itself: after two windows
			// the timestamp check alone refuses the request.
			prune := false
			if last := lastPrune.Load(); time.Duration(now.UnixNano()-last) > pruneEvery || now.UnixNano() < last {
				prune = lastPrune.CompareAndSwap(last, now.UnixNano())
			}
			fresh, err := s.Service.RememberNonce(r.Context(), hex.EncodeToString(sum[:]), now.Add(2*window), prune)
			if err != nil {
				s.writeError(w, r, "", err)
				return
			}
			if !fresh {
				s.writeGatewayError(w, gwAuthFailed,
					"this signed request was replayed: the same signature was already used (the server runs with --reject-replays); sign every request anew")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
