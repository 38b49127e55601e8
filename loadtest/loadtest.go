// Package loadtest drives signed seed requests (getPaidCertificates) against
// a running ncm server and against a floor: a bare net/http server, started
// in the same process, that does the same signature check and answers the
// same pre-encoded bytes. Absolute figures mean little on a shared machine,
// so the report is ncm's throughput as a fraction of the floor's, both
// measured in the same run with the same client (docs/PERFORMANCE.md).
package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/ncpsig"
)

// SeedPath is the path of the seed request.
const SeedPath = "/api/v2/certificate/getPaidCertificates"

// MaxDuration bounds one measurement, so a mistyped flag cannot load a
// machine for hours.
const MaxDuration = 5 * time.Minute

// Target is a server and the credentials to call it with.
type Target struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:8080. Only loopback
	// hosts are accepted.
	Endpoint  string
	AccessKey string
	SecretKey string
}

// CheckLoopback refuses an endpoint that is not on this machine: the tool
// is for measuring, not for loading someone else's server.
func CheckLoopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("endpoint %q: want http://127.0.0.1:PORT", endpoint)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("endpoint %q: only loopback addresses (127.0.0.1, ::1, localhost) may be loaded", endpoint)
	}
	return nil
}

// Workload says which seed requests to send.
type Workload struct {
	// PageSize is the pageSize of every request.
	PageSize int
	// Pages is the number of pages to draw from (1..Pages, uniformly), as a
	// sync job walking the whole list would.
	Pages int
	// Names, when not empty, makes every request filter by one of them,
	// drawn uniformly.
	Names []string
}

// RequestURI returns the i-th request target of w, drawn with rng.
func (w Workload) RequestURI(rng *mrand.Rand) string {
	q := url.Values{}
	q.Set("pageSize", strconv.Itoa(w.PageSize))
	if len(w.Names) > 0 {
		q.Set("certificateName", w.Names[rng.IntN(len(w.Names))])
		q.Set("page", "1")
	} else {
		q.Set("page", strconv.Itoa(1+rng.IntN(max(w.Pages, 1))))
	}
	return SeedPath + "?" + q.Encode()
}

// Result is one measurement.
type Result struct {
	Requests int
	Errors   int
	// FirstError describes the first failed request, if any.
	FirstError string
	Elapsed    time.Duration
	Latencies  []time.Duration // sorted
	Bytes      int64
}

// Throughput is successful requests per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Percentile returns the p-th percentile latency (0 < p <= 100).
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// NewClient returns an HTTP client that keeps one connection per worker.
func NewClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = concurrency * 2
	tr.MaxIdleConnsPerHost = concurrency * 2
	tr.DisableCompression = true
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Get sends one signed GET of requestURI and returns the body; a status
// other than 200 is an error.
func Get(ctx context.Context, c *http.Client, t Target, requestURI string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.Endpoint+requestURI, nil)
	if err != nil {
		return nil, err
	}
	ncpsig.SignRequest(req, t.AccessKey, t.SecretKey, time.Now())
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("%s: HTTP %d: %.200s", requestURI, resp.StatusCode, body)
	}
	return body, nil
}

// Run sends w's requests to t from concurrency workers for d, after a
// warm-up of warmup whose requests are not counted.
func Run(ctx context.Context, c *http.Client, t Target, w Workload, concurrency int, warmup, d time.Duration) (*Result, error) {
	if concurrency < 1 {
		return nil, errors.New("concurrency must be at least 1")
	}
	if d <= 0 || d > MaxDuration || warmup < 0 || warmup > MaxDuration {
		return nil, fmt.Errorf("duration must be between 0 and %s", MaxDuration)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(d)
	type part struct {
		lat     []time.Duration
		errs    int
		firstEr string
		bytes   int64
	}
	parts := make([]part, concurrency)
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(i), 42))
			p := &parts[i]
			p.lat = make([]time.Duration, 0, 1<<14)
			for {
				t0 := time.Now()
				if t0.After(end) || ctx.Err() != nil {
					return
				}
				body, err := Get(ctx, c, t, w.RequestURI(rng))
				t1 := time.Now()
				if t0.Before(measureFrom) || t1.After(end) {
					continue // warm-up, or finished after the window closed
				}
				p.lat = append(p.lat, t1.Sub(t0))
				p.bytes += int64(len(body))
				if err != nil {
					if p.errs == 0 {
						p.firstEr = err.Error()
					}
					p.errs++
				}
			}
		}(i)
	}
	wg.Wait()
	res := &Result{Elapsed: d}
	for _, p := range parts {
		res.Latencies = append(res.Latencies, p.lat...)
		res.Errors += p.errs
		res.Bytes += p.bytes
		if res.FirstError == "" {
			res.FirstError = p.firstEr
		}
	}
	res.Requests = len(res.Latencies)
	slices.Sort(res.Latencies)
	return res, ctx.Err()
}

// Discover asks t for the total number of orders and, when names > 0,
// collects up to that many certificate names from pages spread over the
// list, for name-filtered workloads.
func Discover(ctx context.Context, c *http.Client, t Target, names int) (total int, found []string, err error) {
	body, err := Get(ctx, c, t, SeedPath+"?page=1&pageSize=1")
	if err != nil {
		return 0, nil, err
	}
	var first ncpapi.ListAdvancedCertificatesResponse
	if err := json.Unmarshal(body, &first); err != nil {
		return 0, nil, fmt.Errorf("decode seed response: %w", err)
	}
	total = first.TotalCount
	if names <= 0 || total == 0 {
		return total, nil, nil
	}
	const size = 100
	pages := (total + size - 1) / size
	step := max(pages/10, 1)
	for page := 1; page <= pages && len(found) < names; page += step {
		body, err := Get(ctx, c, t, fmt.Sprintf("%s?page=%d&pageSize=%d", SeedPath, page, size))
		if err != nil {
			return 0, nil, err
		}
		var r ncpapi.ListAdvancedCertificatesResponse
		if err := json.Unmarshal(body, &r); err != nil {
			return 0, nil, fmt.Errorf("decode seed response: %w", err)
		}
		for _, o := range r.Orders {
			for _, cert := range o.Certificates {
				if len(found) < names {
					found = append(found, cert.CertificateName)
				}
			}
		}
	}
	return total, found, nil
}

// Floor is the bare server ncm is compared against: the same signature
// check (ncpsig), then the same bytes, pre-encoded.
type Floor struct {
	// Endpoint is the floor's base URL.
	Endpoint string
	srv      *http.Server
	mu       sync.RWMutex
	body     []byte
}

// StartFloor starts a floor on 127.0.0.1:0 that accepts requests signed
// with accessKey/secretKey.
func StartFloor(accessKey, secretKey string) (*Floor, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &Floor{Endpoint: "http://" + ln.Addr().String()}
	var verifier ncpsig.Verifier
	f.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			creds, err := ncpsig.ParseHeaders(r.Header)
			if err == nil {
				err = verifier.CheckTimestamp(creds.Timestamp, time.Now())
			}
			if err == nil && creds.AccessKey != accessKey {
				err = errors.New("unknown access key")
			}
			if err == nil {
				err = verifier.Verify(r.Method, r.RequestURI, creds, secretKey)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			f.mu.RLock()
			body := f.body
			f.mu.RUnlock()
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
		}),
	}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// SetBody sets the bytes the floor answers.
func (f *Floor) SetBody(b []byte) {
	f.mu.Lock()
	f.body = b
	f.mu.Unlock()
}

// Close stops the floor.
func (f *Floor) Close() error { return f.srv.Close() }
