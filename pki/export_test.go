package pki_test

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/x509"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/pki"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// mustExport returns an Export of a leaf with chain [intermediate, root].
func mustExport(tb testing.TB) pki.Export {
	tb.Helper()
	root := testpki.NewCA(tb, "Export Root")
	inter := root.Intermediate(tb, "Export Intermediate")
	key := testpki.MustKey(tb, testpki.RSA2048)
	leaf := inter.Leaf(tb, key, testpki.LeafOptions{CommonName: "www.example.test", DNSNames: []string{"www.example.test"}})
	return pki.Export{Leaf: leaf, Chain: []*x509.Certificate{inter.Cert, root.Cert}, Key: key, Name: "Web-Cert"}
}

// MustUnzip returns the files of a ZIP by name.
func MustUnzip(tb testing.TB, b []byte) map[string][]byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatalf("not a ZIP: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
	}
	return files
}

func TestPEMZip(t *testing.T) {
	e := mustExport(t)
	t.Run("ok/WithKey", func(t *testing.T) {
		b, err := pki.PEMZip(e)
		if err != nil {
			t.Fatal(err)
		}
		files := MustUnzip(t, b)
		want := map[string]string{
			pki.FileCertificate: testpki.CertPEM(e.Leaf),
			pki.FileChain:       testpki.CertPEM(e.Chain...),
			pki.FileFullChain:   testpki.CertPEM(append([]*x509.Certificate{e.Leaf}, e.Chain...)...),
		}
		for name, w := range want {
			if string(files[name]) != w {
				t.Errorf("%s =\n%s\nwant\n%s", name, files[name], w)
			}
		}
		key, err := pki.ParsePrivateKey("k", string(files[pki.FilePrivateKey]))
		if err != nil || pki.CheckKeyMatch(e.Leaf, key) != nil {
			t.Errorf("private-key.pem does not hold the leaf's key: %v", err)
		}
		if !strings.HasPrefix(string(files[pki.FilePrivateKey]), "-----BEGIN PRIVATE KEY-----") {
			t.Errorf("private-key.pem is not PKCS#8")
		}
	})
	t.Run("ok/WithoutKey", func(t *testing.T) {
		e := e
		e.Key = nil
		b, err := pki.PEMZip(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := MustUnzip(t, b)[pki.FilePrivateKey]; ok {
			t.Error("ZIP holds private-key.pem without a registered key")
		}
	})
}

// openssl runs openssl with args and returns its combined output, or skips
// when openssl is not installed.
func runTool(t *testing.T, tool string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s is not installed", tool)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestFieldC32_PFXEncodings(t *testing.T) {
	e := mustExport(t)
	const pw = "Test-1234"
	for _, tc := range []struct {
		name, encoding string
		opensslArgs    []string
		want           string
	}{
		{"ok/DefaultModern", "", nil, "PBES2, PBKDF2, AES-256-CBC"},
		{"ok/Legacy", "legacydes", []string{"-legacy"}, "pbeWithSHA1And3-KeyTripleDES-CBC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := pki.PFX(e, pw, tc.encoding)
			if err != nil {
				t.Fatal(err)
			}
			// Go's own reading first, so the test says something even
			// without openssl.
			_, leaf, cas, err := pkcs12.DecodeChain(b, pw)
			if err != nil {
				t.Fatalf("DecodeChain: %v", err)
			}
			if !leaf.Equal(e.Leaf) || len(cas) != 2 || !cas[0].Equal(e.Chain[0]) || !cas[1].Equal(e.Chain[1]) {
				t.Fatalf("PFX holds leaf %q and chain %v, want the leaf and [intermediate root]", leaf.Subject.CommonName, subjects(cas))
			}
			file := filepath.Join(t.TempDir(), "c.pfx")
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			out := runTool(t, "openssl", append([]string{"pkcs12", "-info", "-nokeys", "-in", file, "-passin", "pass:" + pw}, tc.opensslArgs...)...)
			if !strings.Contains(out, tc.want) {
				t.Errorf("openssl pkcs12 -info does not mention %q:\n%s", tc.want, out)
			}
			// C35: leaf first (with the key's localKeyID), then the
			// intermediate, then the root.
			subjectsRe := regexp.MustCompile(`(?m)^subject=.*CN ?= ?([^,\n]+)`)
			var got []string
			for _, m := range subjectsRe.FindAllStringSubmatch(out, -1) {
				got = append(got, strings.TrimSpace(m[1]))
			}
			if want := []string{"www.example.test", "Export Intermediate", "Export Root"}; !slices.Equal(got, want) {
				t.Errorf("openssl lists subjects %v, want %v", got, want)
			}
		})
	}
	t.Run("error/UnknownEncoding", func(t *testing.T) {
		_, err := pki.PFX(e, pw, "RC2")
		wantError(t, err, ncm.CodeValidation, "pfxEncoding", "must be Modern2023")
	})
	t.Run("error/NoPassword", func(t *testing.T) {
		_, err := pki.PFX(e, "", "")
		wantError(t, err, ncm.CodeValidation, "passwd", "is required")
	})
}

func TestFieldC35_JKSChain(t *testing.T) {
	const pw = "changeit"
	for _, tc := range []struct {
		name  string
		chain bool
		want  string
	}{
		{"ok/WithChain", true, "Certificate chain length: 3"},
		{"ok/NoChain", false, "Certificate chain length: 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustExport(t)
			if !tc.chain {
				e.Chain = nil
			}
			b, err := pki.JKS(e, pw, testpki.Now)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "k.jks")
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			out := runTool(t, "keytool", "-list", "-v", "-keystore", file, "-storepass", pw, "-storetype", "JKS")
			for _, want := range []string{"Alias name: web-cert", "Entry type: PrivateKeyEntry", tc.want} {
				if !strings.Contains(out, want) {
					t.Errorf("keytool -list -v does not say %q:\n%s", want, out)
				}
			}
			if tc.chain {
				owners := regexp.MustCompile(`(?m)^Owner: CN=([^,\n]+)`).FindAllStringSubmatch(out, -1)
				var got []string
				for _, m := range owners {
					got = append(got, m[1])
				}
				if want := []string{"www.example.test", "Export Intermediate", "Export Root"}; !slices.Equal(got, want) {
					t.Errorf("keytool lists owners %v, want %v", got, want)
				}
			}
			// The key decrypts: keytool converts the store to PKCS#12,
			// which needs the key itself.
			p12 := filepath.Join(t.TempDir(), "k.p12")
			runTool(t, "keytool", "-importkeystore", "-srckeystore", file, "-srcstorepass", pw, "-srcstoretype", "JKS",
				"-destkeystore", p12, "-deststorepass", pw, "-deststoretype", "PKCS12", "-noprompt")
			p12b, err := os.ReadFile(p12)
			if err != nil {
				t.Fatal(err)
			}
			key, leaf, _, err := pkcs12.DecodeChain(p12b, pw)
			if err != nil {
				t.Fatalf("converted keystore: %v", err)
			}
			signer, ok := key.(crypto.Signer)
			if !ok || !leaf.Equal(e.Leaf) || pki.CheckKeyMatch(leaf, signer) != nil {
				t.Fatalf("converted keystore holds key %T and leaf %q, want the exported pair", key, leaf.Subject.CommonName)
			}
		})
	}
	t.Run("error/WrongPasswordRefusedByKeytool", func(t *testing.T) {
		b, err := pki.JKS(mustExport(t), pw, testpki.Now)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "k.jks")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		path, err := exec.LookPath("keytool")
		if err != nil {
			t.Skip("keytool is not installed")
		}
		if out, err := exec.Command(path, "-list", "-keystore", file, "-storepass", "wrong-pass").CombinedOutput(); err == nil {
			t.Errorf("keytool accepted a wrong password:\n%s", out)
		}
	})
	t.Run("error/NoKey", func(t *testing.T) {
		e := mustExport(t)
		e.Key = nil
		_, err := pki.JKS(e, pw, testpki.Now)
		if ncm.ErrorCode(err) != ncm.CodeBadState {
			t.Fatalf("err=%v, want code %s", err, ncm.CodeBadState)
		}
	})
}
