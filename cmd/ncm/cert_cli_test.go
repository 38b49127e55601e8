package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ncmhq/ncm/internal/testpki"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// TestCLICertImportDirectory imports a directory of mixed good and bad
// files with `ncm cert import` and checks the progress bar, the summary and
// the exit code, then drives list, show, chain, types, download and delete.
func TestCLICertImportDirectory(t *testing.T) {
	ts := startServer(t, realTime)
	t.Setenv("NCLOUD_ACCESS_KEY_ID", ts.ak)
	t.Setenv("NCLOUD_SECRET_ACCESS_KEY", ts.sk)
	t.Setenv("NCM_ENDPOINT", ts.endpoint)
	f := newCertPKI(t)
	other := testpki.PKCS8PEM(t, testpki.MustKeyN(t, testpki.RSA2048, 1))

	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Good: a .crt/.key/.chain.pem triple.
	write("web.crt", testpki.CertPEM(f.leaf(t, "www.example.test")))
	write("web.key", f.keyPEM)
	write("web.chain.pem", f.chainPEM())
	// Good: one PEM holding the full chain and the key, root first.
	write("bundle.pem", testpki.CertPEM(f.root.Cert)+testpki.CertPEM(f.leaf(t, "bundle.example.test"), f.inter.Cert)+f.keyPEM)
	// Good: a fullchain with a separate key.
	write("api.pem", testpki.CertPEM(f.leaf(t, "api.example.test"))+testpki.CertPEM(f.inter.Cert))
	write("api.key.pem", f.keyPEM)
	// Bad: key of another pair (26040).
	write("mismatch.crt", testpki.CertPEM(f.leaf(t, "mm.example.test")))
	write("mismatch.key", other)
	// Bad: encrypted key.
	write("locked.crt", testpki.CertPEM(f.leaf(t, "locked.example.test")))
	write("locked.key", testpki.EncryptedPKCS8PEM(t, f.key, "changeit"))
	// Bad: a key without certificate; a certificate without key.
	write("orphan.key", f.keyPEM)
	write("nokey.crt", testpki.CertPEM(f.leaf(t, "nokey.example.test")))
	// Bad: a .pem holding only a key (certbot's privkey.pem).
	write("privkey.pem", f.keyPEM)
	// Ignored in a directory: unknown extensions.
	write("README.txt", "not a certificate")

	code, out, errs := ts.run("cert", "import", dir)
	if code != 1 {
		t.Fatalf("import: exit %d, want 1 (some refused)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "\r[") || !strings.Contains(errs, "] 8/8 done") {
		t.Errorf("stderr has no progress bar redrawn with \\r ending at 8/8:\n%q", errs)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^accepted\s+1000\d\d\s+api\s+api\.pem, api\.key\.pem$`),
		regexp.MustCompile(`(?m)^accepted\s+1000\d\d\s+bundle\s+bundle\.pem$`),
		regexp.MustCompile(`(?m)^\s+note: certificateChain was reordered leaf-up`),
		regexp.MustCompile(`(?m)^accepted\s+1000\d\d\s+web\s+web\.crt, web\.key, web\.chain\.pem$`),
		regexp.MustCompile(`(?m)^refused\s+26140\s+locked\s+locked\.crt, locked\.key: privateKey is encrypted`),
		regexp.MustCompile(`(?m)^refused\s+26040\s+mismatch\s+mismatch\.crt, mismatch\.key: Public key in certificate does not match`),
		regexp.MustCompile(`(?m)^refused\s+-\s+nokey\s+nokey\.crt: no private key`),
		regexp.MustCompile(`(?m)^refused\s+-\s+orphan\s+orphan\.key: no certificate file`),
		regexp.MustCompile(`(?m)^refused\s+-\s+privkey\s+privkey\.pem: privkey\.pem holds a private key but no certificate`),
		regexp.MustCompile(`(?m)^3 accepted, 5 refused$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("summary does not match %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "README") {
		t.Errorf("summary mentions README.txt:\n%s", out)
	}

	// Exactly the three accepted ones are stored.
	code, out, errs = ts.run("cert", "list")
	if code != 0 || strings.Count(out, "EXTERNAL") != 3 {
		t.Fatalf("cert list: exit %d\n%s%s", code, out, errs)
	}
	no := regexp.MustCompile(`(?m)^(\d+)\s+web\s`).FindStringSubmatch(out)
	if no == nil {
		t.Fatalf("cert list has no web certificate:\n%s", out)
	}

	// A glob, and --name for a single certificate.
	write2 := filepath.Join(t.TempDir(), "single.crt")
	os.WriteFile(write2, []byte(testpki.CertPEM(f.leaf(t, "single.example.test"))), 0o600)
	os.WriteFile(strings.TrimSuffix(write2, ".crt")+".key", []byte(f.keyPEM), 0o600)
	code, out, _ = ts.run("cert", "import", "--name", "Single-Cert", filepath.Join(filepath.Dir(write2), "single.*"))
	if code != 0 || !regexp.MustCompile(`(?m)^accepted\s+\d+\s+Single-Cert\s`).MatchString(out) {
		t.Fatalf("import by glob: exit %d\n%s", code, out)
	}

	// API 1.0 import, and the v1 and cloud list filters.
	v1File := filepath.Join(t.TempDir(), "legacy.pem")
	os.WriteFile(v1File, []byte(testpki.CertPEM(f.leaf(t, "legacy.example.test"))+f.keyPEM), 0o600)
	code, out, _ = ts.run("cert", "import", "--v1", v1File)
	if code != 0 || !regexp.MustCompile(`(?m)^accepted\s+\d+\s+legacy\s`).MatchString(out) {
		t.Fatalf("import --v1: exit %d\n%s", code, out)
	}
	ts.admin("instance", "attach", no[1], "7001")
	code, out, _ = ts.run("cert", "list", "--instance", "7001")
	if code != 0 || !regexp.MustCompile(`(?m)^`+no[1]+`\s+web\s.*\s7001$`).MatchString(out) || strings.Count(out, "\n") != 2 {
		t.Errorf("cert list --instance 7001: exit %d\n%s", code, out)
	}
	ts.admin("instance", "detach", no[1], "7001")
	code, out, _ = ts.run("cert", "list", "--cloud")
	if code != 0 || strings.Contains(out, "EXTERNAL") {
		t.Errorf("cert list --cloud: exit %d\n%s", code, out)
	}

	code, out, _ = ts.run("cert", "show", no[1])
	if code != 0 || !strings.Contains(out, "commonName:") || !strings.Contains(out, "www.example.test") || !strings.Contains(out, "externalYn:") {
		t.Errorf("cert show: exit %d\n%s", code, out)
	}
	code, out, _ = ts.run("cert", "chain", no[1])
	if code != 0 || strings.Count(out, "BEGIN CERTIFICATE") != 3 {
		t.Errorf("cert chain: exit %d, %d certificates\n%s", code, strings.Count(out, "BEGIN CERTIFICATE"), out)
	}
	code, out, _ = ts.run("cert", "types")
	if code != 0 || !strings.Contains(out, "NCP_PAID_OV_01") {
		t.Errorf("cert types: exit %d\n%s", code, out)
	}
	zipPath := filepath.Join(t.TempDir(), "web.zip")
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("Test-1234\n"), 0o600)
	code, out, errs = ts.run("cert", "download", no[1], "--type", "pfx", "--password-file", pw, "--legacy", "-o", zipPath)
	if code != 0 || !strings.Contains(out, "as PFX (LegacyDES)") {
		t.Fatalf("cert download: exit %d\n%s%s", code, out, errs)
	}
	b, _ := os.ReadFile(zipPath)
	if _, _, _, err := pkcs12.DecodeChain(unzip(t, b)["certificate.pfx"], "Test-1234"); err != nil {
		t.Errorf("downloaded PFX: %v", err)
	}
	code, _, errs = ts.run("cert", "download", no[1], "--type", "DER")
	if code != 1 || !strings.Contains(errs, "type: must be PEM (default), PFX or JKS") {
		t.Errorf("download --type DER: exit %d, stderr %q", code, errs)
	}

	// Delete: wrong name is 1004 with exit 1; the right one succeeds.
	code, _, errs = ts.run("cert", "delete", no[1], "not-web")
	if code != 1 || !strings.Contains(errs, "1004") {
		t.Errorf("delete with the wrong name: exit %d, stderr %q", code, errs)
	}
	code, out, _ = ts.run("cert", "delete", "--v1", no[1], "web")
	if code != 0 || !strings.Contains(out, "deleted") {
		t.Errorf("delete: exit %d, %q", code, out)
	}
	code, out, _ = ts.run("cert", "list", "--no", no[1])
	if code != 0 || strings.Contains(out, "web") {
		t.Errorf("after delete, cert list --no %s: exit %d\n%s", no[1], code, out)
	}
}
