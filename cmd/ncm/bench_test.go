package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ncmhq/ncm/client"
)

// TestBenchPopulateAndLoad drives the performance tools end to end: ncm bench
// populate fills the running server's database with certificates the local
// CA issued, the printed key lists them through the API, and ncm bench load
// measures every case of the matrix against the server and the floor
// without a single failed request.
func TestBenchPopulateAndLoad(t *testing.T) {
	ts := startServer(t, realTime, func(o *serveOptions) { o.RateLimit = 0 })
	code, out, errs := ts.run(append([]string{"bench", "populate", "--certificates", "40", "--orders", "8", "--batch", "3"}, ts.storeFlags()...)...)
	if code != 0 {
		t.Fatalf("bench populate: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	var ak, sk string
	for _, m := range exportLine.FindAllStringSubmatch(out, -1) {
		switch m[1] {
		case "NCLOUD_ACCESS_KEY_ID":
			ak = m[2]
		case "NCLOUD_SECRET_ACCESS_KEY":
			sk = m[2]
		}
	}
	if ak == "" || sk == "" || !strings.Contains(out, "stored 40 certificates in 8 orders") {
		t.Fatalf("bench populate printed no key or a wrong count:\n%s", out)
	}

	t.Run("populated certificates are listed and really issued", func(t *testing.T) {
		r, err := ts.client(ak, sk).ListAdvancedCertificates(context.Background(), listAll())
		if err != nil {
			t.Fatal(err)
		}
		if r.TotalCount < 1 || r.TotalCount > 8 {
			t.Errorf("totalCount = %d, want 1 to 8 (8 orders, some may hold only deleted certificates)", r.TotalCount)
		}
		issued := 0
		for _, o := range r.Orders {
			for _, c := range o.Certificates {
				if c.SerialNumber != "" {
					issued++
					if !strings.Contains(c.Issuer, "ncm") {
						t.Errorf("certificate %d issuer = %q, want the local CA", c.CertificateNo, c.Issuer)
					}
				}
			}
		}
		if issued == 0 {
			t.Error("no listed certificate was issued")
		}
	})

	t.Run("load measures ncm and the floor", func(t *testing.T) {
		t.Setenv(client.EnvAccessKeyID, ak)
		t.Setenv(client.EnvSecretAccessKey, sk)
		code, out, errs := ts.run("bench", "load", "--endpoint", ts.endpoint, "--concurrency", "2",
			"--duration", "300ms", "--warmup", "0s", "--floor", "--matrix")
		if code != 0 {
			t.Fatalf("bench load: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
		}
		if n := strings.Count(out, "ncm/floor throughput"); n != 4 {
			t.Errorf("bench load reported %d ratios, want 4 (pages of 20 and 100, with and without name):\n%s", n, out)
		}
		if strings.Contains(out, "first error") {
			t.Errorf("bench load saw failed requests:\n%s", out)
		}
	})

	t.Run("load refuses endpoints off this machine", func(t *testing.T) {
		t.Setenv(client.EnvAccessKeyID, ak)
		t.Setenv(client.EnvSecretAccessKey, sk)
		code, _, errs := ts.run("bench", "load", "--endpoint", "http://192.0.2.1:8080", "--duration", "1s")
		if code != exitUsage || !strings.Contains(errs, "loopback") {
			t.Errorf("bench load on 192.0.2.1: exit %d, stderr %q; want exit %d naming loopback", code, errs, exitUsage)
		}
	})
}
