// Package client is the Go SDK of the NCP Certificate Manager API. It talks
// to NAVER Cloud Platform itself or to an ncm server, signs every request
// with signature v2 (package ncpsig, shared with the server), retries rate
// limited calls and turns every failure into an error that says what to
// check.
//
//	cfg, err := client.FromEnvironment() // NCLOUD_ACCESS_KEY_ID, ..., NCM_ENDPOINT
//	c, err := client.New(cfg)
//	for order, err := range c.AllAdvancedCertificates(ctx, client.ListAdvancedOptions{}) { ... }
//
// Any returnCode other than "0" is an error, whatever the HTTP status; the
// error is an *APIError.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/ncpsig"
)

// Config configures a Client. Only AccessKey and SecretKey are required.
type Config struct {
	// Endpoint is the base URL, scheme and host and optionally a path
	// prefix. Default ncpapi.DefaultEndpoint (NCP's public zone).
	Endpoint string
	// AccessKey and SecretKey are the NCP API credentials (a main-account
	// key for API 2.0).
	AccessKey, SecretKey string
	// HTTPClient sends the requests. Default: a client with a 2 minute
	// timeout; cancel through the context for anything shorter.
	HTTPClient *http.Client
	// Now is the clock the request timestamps come from. Default time.Now.
	Now func() time.Time
	// DisplayZone is the zone of dates that arrive without an offset.
	// Default Asia/Seoul, NCP's display zone.
	DisplayZone *time.Location
	// ClockOffset is added to Now for every timestamp, for machines whose
	// clock is known to be off. Default 0.
	ClockOffset time.Duration
	// CorrectClockSkew lets the client, once per request, set its clock
	// offset from the server's Date header and retry when the server
	// rejects the timestamp as outside its window (field case C30). The
	// corrected offset is kept for later requests. Default off.
	CorrectClockSkew bool
}

// Client calls the Certificate Manager API. It is safe for concurrent use.
type Client struct {
	base        *url.URL
	endpoint    string
	accessKey   string
	secretKey   string
	httpClient  *http.Client
	now         func() time.Time
	zone        *time.Location
	correctSkew bool
	offset      atomic.Int64 // ClockOffset in nanoseconds, adjusted by skew correction
}

// maxRetries429 is how often a rate-limited request is retried.
const maxRetries429 = 3

// maxRetryAfter caps the wait a Retry-After header can impose.
const maxRetryAfter = time.Minute

// New returns a Client for cfg. It returns EINVALID if the credentials are
// missing or the endpoint is not an http(s) URL.
func New(cfg Config) (*Client, error) {
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, &ncm.Error{Kind: ncm.EINVALID, Field: "Config.AccessKey",
			Message: "access key and secret key are both required (see client.FromEnvironment)"}
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = ncpapi.DefaultEndpoint
	}
	base, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" {
		return nil, &ncm.Error{Kind: ncm.EINVALID, Field: "Config.Endpoint",
			Message: fmt.Sprintf("endpoint %q must be an http(s) URL without query, e.g. %s", endpoint, ncpapi.DefaultEndpoint)}
	}
	c := &Client{
		base:        base,
		endpoint:    base.String(),
		accessKey:   cfg.AccessKey,
		secretKey:   cfg.SecretKey,
		httpClient:  cfg.HTTPClient,
		now:         cfg.Now,
		zone:        cfg.DisplayZone,
		correctSkew: cfg.CorrectClockSkew,
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.zone == nil {
		c.zone = seoul()
	}
	c.offset.Store(int64(cfg.ClockOffset))
	return c, nil
}

// seoul returns Asia/Seoul, or a fixed UTC+09:00 zone where the system has no
// zone database (Korea has kept +09:00 without daylight saving since 1988).
func seoul() *time.Location {
	if loc, err := time.LoadLocation("Asia/Seoul"); err == nil {
		return loc
	}
	return time.FixedZone("KST", 9*60*60)
}

// Endpoint returns the base URL requests go to.
func (c *Client) Endpoint() string { return c.endpoint }

// ClockOffset returns the offset currently added to the clock, including
// any skew correction.
func (c *Client) ClockOffset() time.Duration { return time.Duration(c.offset.Load()) }

// Do sends a JSON request to path (e.g. "/api/v2/certificate/registPrivateKey")
// and decodes the answer into out (may be nil). The query is encoded once,
// keys sorted, spaces as %20 and '+' as %2B, and signed exactly as sent
// (field case C27). body is marshalled as JSON; a nil body on POST and PUT
// sends {} because some operations require a JSON object. Returns an
// *APIError for any HTTP error status and for any returnCode other than "0".
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any, out any) error {
	var payload []byte
	switch {
	case body != nil:
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encoding the request body: %w", method, path, err)
		}
		payload = b
	case method == http.MethodPost || method == http.MethodPut:
		payload = []byte("{}")
	}
	target := path
	if q := EncodeQuery(query); q != "" {
		target += "?" + q
	}
	resp, err := c.send(ctx, method, target, payload)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.apiError(method, path, resp, raw)
	}
	var res ncpapi.Result
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("%s %s: HTTP %d answer is not JSON (%s); check NCM_ENDPOINT (now: %s)",
			method, path, resp.StatusCode, snippet(raw), c.endpoint)
	}
	if !res.OK() {
		return c.apiError(method, path, resp, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}

// Raw sends a signed request to pathAndQuery, used byte for byte as the
// request target (and so as the signed string), and returns the response
// whatever its status; the caller closes its body. It retries on 429 like
// every other call. body may be nil; it is read into memory so it can be
// resent.
func (c *Client) Raw(ctx context.Context, method, pathAndQuery string, body io.Reader) (*http.Response, error) {
	var payload []byte
	if body != nil {
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: reading the request body: %w", method, pathAndQuery, err)
		}
		payload = b
	}
	return c.send(ctx, method, pathAndQuery, payload)
}

// send builds, signs and sends one request, retrying on 429 and, when
// enabled, once after correcting the clock offset. Each attempt gets a fresh
// timestamp (field case C22).
func (c *Client) send(ctx context.Context, method, target string, payload []byte) (*http.Response, error) {
	rawURL := c.endpoint + target
	if u, err := url.Parse(rawURL); err != nil || !strings.HasPrefix(target, "/") || u.Host != c.base.Host {
		return nil, &ncm.Error{Kind: ncm.EINVALID, Field: "path",
			Message: fmt.Sprintf("%q is not a request path (want e.g. /api/v2/certificate/getPaidCertificates)", target)}
	}
	skewRetried := false
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, target, err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "ncm-go-client")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		ncpsig.SignRequest(req, c.accessKey, c.secretKey, c.now().Add(c.ClockOffset()))

		resp, err := c.httpClient.Do(req)
		if err != nil {
			return nil, c.transportError(method, target, err)
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests && attempt < maxRetries429:
			wait := retryAfter(resp.Header.Get("Retry-After"), c.now())
			drain(resp)
			if err := sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("%s %s: rate limited (HTTP 429), gave up waiting %s: %w", method, target, wait, err)
			}
			continue
		case resp.StatusCode == http.StatusUnauthorized && c.correctSkew && !skewRetried:
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(raw))
			if c.adjustClock(resp, raw) {
				skewRetried = true
				continue
			}
		}
		return resp, nil
	}
}

// adjustClock sets the clock offset from the response's Date header when the
// 401 says the timestamp was the problem. It reports whether it did.
func (c *Client) adjustClock(resp *http.Response, body []byte) bool {
	var g ncpapi.GatewayError
	if json.Unmarshal(body, &g) != nil || !timestampProblem(g.Error.Details) {
		return false
	}
	server, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return false
	}
	c.offset.Store(int64(server.Sub(c.now())))
	return true
}

// retryAfter reads a Retry-After value (seconds or an HTTP date), defaulting
// to one second and capped at maxRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	d := time.Second
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	}
	return min(d, maxRetryAfter)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain discards a small remainder of the body so the connection can be
// reused, then closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// transportError adds the endpoint to failures that usually mean it is
// wrong: connection refused, unknown host.
func (c *Client) transportError(method, target string, err error) error {
	var dnsErr *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dnsErr) {
		return fmt.Errorf("%s %s: %w; check NCM_ENDPOINT (now: %s)", method, target, err, c.endpoint)
	}
	return fmt.Errorf("%s %s: %w", method, target, err)
}

// snippet returns the start of a body for an error message.
func snippet(b []byte) string {
	const limit = 80
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "empty body"
	}
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return strconv.Quote(s)
}
