package loadtest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ncmhq/ncm/loadtest"
	"github.com/ncmhq/ncm/ncpsig"
)

func TestCheckLoopbackRefusesOtherHosts(t *testing.T) {
	for endpoint, wantOK := range map[string]bool{
		"http://127.0.0.1:8080":   true,
		"http://[::1]:8080":       true,
		"http://localhost:8080":   true,
		"http://10.0.0.1:8080":    false,
		"http://example.com":      false,
		"https://127.0.0.1:8080":  false, // the tool speaks plain HTTP only
		"127.0.0.1:8080":          false,
		"http://127.0.0.1.nip.io": false,
	} {
		if err := loadtest.CheckLoopback(endpoint); (err == nil) != wantOK {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", endpoint, err, wantOK)
		}
	}
}

func TestResultPercentiles(t *testing.T) {
	r := &loadtest.Result{Requests: 100, Elapsed: 2 * time.Second}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := r.Percentile(p); got != want {
			t.Errorf("Percentile(%v) = %v, want %v", p, got, want)
		}
	}
	if got := r.Throughput(); got != 50 {
		t.Errorf("Throughput() = %v, want 50 (100 requests in 2 s)", got)
	}
}

// TestFloorChecksSignatures: the floor must do the signature check ncm does,
// or the ratio would flatter ncm's rival.
func TestFloorChecksSignatures(t *testing.T) {
	f, err := loadtest.StartFloor("AK", "SK")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.SetBody([]byte(`{"returnCode":"0"}`))
	hc := loadtest.NewClient(1)
	ctx := context.Background()
	body, err := loadtest.Get(ctx, hc, loadtest.Target{Endpoint: f.Endpoint, AccessKey: "AK", SecretKey: "SK"}, loadtest.SeedPath+"?page=1")
	if err != nil || string(body) != `{"returnCode":"0"}` {
		t.Fatalf("signed request: body %q, err %v; want the set body", body, err)
	}
	if _, err := loadtest.Get(ctx, hc, loadtest.Target{Endpoint: f.Endpoint, AccessKey: "AK", SecretKey: "wrong"}, loadtest.SeedPath); err == nil {
		t.Error("request signed with the wrong secret was answered 200")
	}
	req, _ := http.NewRequest(http.MethodGet, f.Endpoint+loadtest.SeedPath, nil)
	ncpsig.SignRequest(req, "AK", "SK", time.Now().Add(-time.Hour))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("stale timestamp: HTTP %d, want 401", resp.StatusCode)
	}
}
