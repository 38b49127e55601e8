package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/internal/pgtest"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/sqlstore"
)

// serveExisting runs `ncm serve` in-process on an existing database (no
// bootstrap output to read) and returns its endpoint once it listens.
func serveExisting(t *testing.T, o serveOptions) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- runServe(ctx, o, io.Discard, io.Discard, ready) }()
	select {
	case addr := <-ready:
		t.Cleanup(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("server stopped with: %v", err)
			}
		})
		return "http://" + addr
	case err := <-errc:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start within 60s")
	}
	return ""
}

// rawList answers getPaidCertificates as bytes.
func rawList(t *testing.T, c *client.Client, query string) string {
	t.Helper()
	resp, err := c.Raw(context.Background(), http.MethodGet, "/api/v2/certificate/getPaidCertificates"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("getPaidCertificates%s: %d %s %v", query, resp.StatusCode, b, err)
	}
	return string(b)
}

// TestDBCopySQLiteToPostgres: an installation filled through the API on
// SQLite, copied with `ncm db copy`, then served from PostgreSQL with the
// same master key, answers getPaidCertificates byte for byte the same, and
// hands out the next numbers after the copied ones. An interrupted copy
// leaves nothing behind, and a second copy into the filled target is
// refused.
func TestDBCopySQLiteToPostgres(t *testing.T) {
	base := pgtest.BaseDSN()
	if base == "" {
		t.Skip("PostgreSQL test: set " + pgtest.EnvVar + " (README, Development) to run it")
	}
	if e2eOnPostgres {
		t.Skip("copies from SQLite: ran in the SQLite pass of the suite")
	}
	ctx := context.Background()
	ts := startServer(t)
	c := ts.client(ts.ak, ts.sk)
	key := mustECKey(t)
	var nos []int64
	for i := range 5 {
		cn := fmt.Sprintf("copy%d.example.com", i)
		pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
			CSR: mustCSR(t, key, cn), CertificateType: "NCP_PAID_DV_01", CertificateName: fmt.Sprintf("copy-%d", i),
			CommonName: cn, ValidationMethod: "D",
		})
		if err != nil {
			t.Fatalf("RequestAdvancedCertificate: %v", err)
		}
		nos = append(nos, pc.CertificateNo)
	}
	ts.clock.Advance(time.Hour)
	for _, no := range nos[:3] {
		ts.approve(no)
	}
	if err := c.RegisterPrivateKey(ctx, nos[0], mustKeyPEM(t, key)); err != nil {
		t.Fatalf("RegisterPrivateKey: %v", err)
	}
	queries := []string{"", "?pageNo=1&pageSize=2", "?certificateName=copy-1"}
	var want []string
	for _, q := range queries {
		want = append(want, rawList(t, c, q))
	}

	target := pgtest.Schema(t, base)
	source := "sqlite:" + filepath.Join(ts.dataDir, "ncm.db")

	t.Run("InterruptedLeavesNothing", func(t *testing.T) {
		src := openStore(t, source)
		dst := openStore(t, target)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var copied int64
		_, err := sqlstore.Copy(cctx, src, dst, func(p sqlstore.CopyProgress) {
			if copied = p.Done; p.Done > 0 {
				cancel() // interrupted after the first rows
			}
		})
		if !errors.Is(err, context.Canceled) || copied == 0 {
			t.Fatalf("Copy cancelled after %d rows = %v, want context.Canceled after some rows", copied, err)
		}
		// Nothing of it is left: no member, and the full copy below
		// accepts only a target holding nothing but its seeds.
		var members int
		if err := dst.Read(ctx, func(tx ncm.Tx) (err error) { members, err = tx.CountMembers(ctx); return err }); err != nil || members != 0 {
			t.Fatalf("after the interrupted copy the target holds %d members (%v), want 0", members, err)
		}
	})

	var stdout, stderr string
	t.Run("Copy", func(t *testing.T) {
		var code int
		code, stdout, stderr = ts.run("db", "copy", "--from", source, "--to", target)
		if code != 0 {
			t.Fatalf("ncm db copy: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		for _, w := range []string{"certificate", "counters", "member", "access_key", "ca", "every count verified", "--master-key-file"} {
			if !strings.Contains(stdout, w) {
				t.Errorf("stdout does not mention %q:\n%s", w, stdout)
			}
		}
		if !strings.Contains(stderr, "copying [") || !strings.Contains(stderr, "100.0%") {
			t.Errorf("stderr shows no finished progress bar:\n%s", stderr)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("ServedFromPostgresAnswersTheSame", func(t *testing.T) {
		o := serveOptions{Addr: "127.0.0.1:0", LogFormat: "text", ShutdownTimeout: 5 * time.Second, clock: ts.clock}
		o.storeOptions = storeOptions{DataDir: t.TempDir(), DB: target, MasterKeyFile: filepath.Join(ts.dataDir, "master.key"),
			Zone: "PUB", DisplayTimezone: "Asia/Seoul"}
		endpoint := serveExisting(t, o)
		// The same access key works: its sealed secret was copied as
		// bytes and opens with the same master key.
		pg, err := client.New(client.Config{Endpoint: endpoint, AccessKey: ts.ak, SecretKey: ts.sk, Now: ts.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		for i, q := range queries {
			if got := rawList(t, pg, q); got != want[i] {
				t.Errorf("getPaidCertificates%s on PostgreSQL differs from SQLite:\n%s", q, cmpDiff(want[i], got))
			}
		}
		// Counters came along: the next number follows the copied ones.
		pc, err := pg.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
			CSR: mustCSR(t, key, "after.example.com"), CertificateType: "NCP_PAID_DV_01", CertificateName: "after-copy",
			CommonName: "after.example.com", ValidationMethod: "D",
		})
		if err != nil {
			t.Fatalf("RequestAdvancedCertificate on PostgreSQL: %v", err)
		}
		if pc.CertificateNo != nos[len(nos)-1]+1 {
			t.Errorf("next certificateNo on PostgreSQL = %d, want %d", pc.CertificateNo, nos[len(nos)-1]+1)
		}
	})

	t.Run("ErrTargetNotEmpty", func(t *testing.T) {
		code, out, errs := ts.run("db", "copy", "--from", source, "--to", target)
		if code == 0 || !strings.Contains(errs, "not empty") {
			t.Fatalf("second copy: exit %d, stderr %q; want a failure saying the target is not empty\nstdout: %s", code, errs, out)
		}
	})
	t.Run("ErrSourceMissing", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope.db")
		code, _, errs := ts.run("db", "copy", "--from", "sqlite:"+missing, "--to", pgtest.Schema(t, base))
		if code == 0 || !strings.Contains(errs, "nope.db") {
			t.Fatalf("copy from a missing file: exit %d, stderr %q; want a failure naming the file", code, errs)
		}
	})
}

// openStore opens dsn for the test's length.
func openStore(t *testing.T, dsn string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
