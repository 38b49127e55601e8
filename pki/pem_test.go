package pki_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/pki"
)

// chainFixture is a root, an intermediate and a leaf with their PEM.
type chainFixture struct {
	root, inter, leaf          *x509.Certificate
	rootPEM, interPEM, leafPEM string
}

func mustChain(tb testing.TB) chainFixture {
	tb.Helper()
	root := testpki.NewCA(tb, "Test Root")
	inter := root.Intermediate(tb, "Test Intermediate")
	leaf := inter.Leaf(tb, testpki.MustKey(tb, testpki.RSA2048), testpki.LeafOptions{
		CommonName: "www.example.test", DNSNames: []string{"www.example.test"}})
	return chainFixture{root: root.Cert, inter: inter.Cert, leaf: leaf,
		rootPEM: root.PEM(), interPEM: inter.PEM(), leafPEM: testpki.CertPEM(leaf)}
}

// wantError fails unless err is an *ncm.Error with kind EINVALID, the code
// and field given, and a message containing msg.
func wantError(tb testing.TB, err error, code, field, msg string) {
	tb.Helper()
	var e *ncm.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err=%v (%T), want *ncm.Error code %s", err, err, code)
	}
	if e.Kind != ncm.EINVALID || e.Code != code || e.Field != field {
		tb.Errorf("Kind/Code/Field=%q/%q/%q, want %q/%q/%q (message %q)", e.Kind, e.Code, e.Field, ncm.EINVALID, code, field, e.Message)
	}
	if !strings.Contains(e.Message, msg) {
		tb.Errorf("Message=%q, want it to contain %q", e.Message, msg)
	}
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// lineCount returns the number of lines of a text that ends in a newline.
func lineCount(s string) int { return strings.Count(s, "\n") }

func TestReadBlocks(t *testing.T) {
	f := mustChain(t)
	two := f.interPEM + f.rootPEM
	wantDER := [][]byte{f.inter.Raw, f.root.Raw}
	escaped := strings.ReplaceAll(two, "\n", `\n`)

	okCases := map[string]string{
		"ok/LF":                 two,
		"ok/CRLF":               crlf(two),
		"ok/CR":                 strings.ReplaceAll(two, "\n", "\r"),
		"ok/MixedLineEndings":   f.interPEM + crlf(f.rootPEM),
		"ok/BOM":                "\ufeff" + two,
		"ok/BOMBeforeSecond":    f.interPEM + "\ufeff" + f.rootPEM,
		"ok/TextAround":         "subject=CN=Test Intermediate\nissuer=CN=Test Root\n" + f.interPEM + "\nBag Attributes: none\n  localKeyID: 01\n" + f.rootPEM + "trailing words\n",
		"ok/BlankLinesBetween":  f.interPEM + "\n\n\n" + f.rootPEM,
		"ok/EscapedLF":          escaped,
		"ok/EscapedCRLF":        strings.ReplaceAll(two, "\n", `\r\n`),
		"ok/EscapedSlashes":     strings.ReplaceAll(escaped, "/", `\/`),
		"ok/TrailingWhitespace": strings.ReplaceAll(two, "\n", " \t\n"),
		"ok/Indented":           "    " + strings.ReplaceAll(strings.TrimSuffix(two, "\n"), "\n", "\n    "),
		"ok/NoFinalNewline":     strings.TrimSuffix(two, "\n"),
		"ok/Glued":              strings.TrimSuffix(f.interPEM, "\n") + f.rootPEM,
		"ok/GluedCRLF":          crlf(strings.TrimSuffix(f.interPEM, "\n") + f.rootPEM),
		"ok/OneLineWithSpaces":  strings.ReplaceAll(two, "\n", " "),
	}
	for name, input := range okCases {
		t.Run(name, func(t *testing.T) {
			blocks, err := pki.ReadBlocks("certificateChain", input)
			if err != nil {
				t.Fatalf("ReadBlocks: %v", err)
			}
			if len(blocks) != len(wantDER) {
				t.Fatalf("got %d blocks, want %d", len(blocks), len(wantDER))
			}
			for i, b := range blocks {
				if b.Type != "CERTIFICATE" || !bytes.Equal(b.Bytes, wantDER[i]) {
					t.Errorf("block %d: type %q, DER equal %v; want CERTIFICATE with the original DER", i+1, b.Type, bytes.Equal(b.Bytes, wantDER[i]))
				}
			}
		})
	}

	t.Run("ok/LegacyHeaders", func(t *testing.T) {
		text := testpki.EncryptedLegacyPEM(t, testpki.MustKey(t, testpki.P256), "changeit")
		blocks, err := pki.ReadBlocks("privateKey", crlf(text))
		if err != nil {
			t.Fatalf("ReadBlocks: %v", err)
		}
		if got := blocks[0].Headers["Proc-Type"]; got != "4,ENCRYPTED" {
			t.Errorf("Proc-Type=%q, want %q", got, "4,ENCRYPTED")
		}
	})

	interLines := lineCount(f.interPEM)
	rootLines := strings.Split(f.rootPEM, "\n")
	corrupt := append([]string(nil), rootLines...)
	corrupt[3] = corrupt[3][:10] + "*" + corrupt[3][11:]
	lastData := len(rootLines) - 3 // the line before END
	cut := append([]string(nil), rootLines...)
	cut[lastData] = strings.TrimRight(cut[lastData], "=")
	cut[lastData] = cut[lastData][:len(cut[lastData])-1]
	dropEnd := strings.Replace(two, "-----END CERTIFICATE-----\n", "", 1)

	errCases := []struct {
		name, input, code, msg string
	}{
		{"error/Empty", "", ncm.CodeNotPEM, "certificateChain: is empty"},
		{"error/WhitespaceOnly", " \r\n\t\n", ncm.CodeNotPEM, "is empty"},
		{"error/NoPEM", "hello world\n", ncm.CodeNotPEM, "certificateChain: Unable to load PEM data. Expecting PEM format file."},
		{"error/BareBase64", "MIIBszCCAVmgAwIBAgIQ\nAAAA\n", ncm.CodeNotPEM, "looks like bare base64"},
		{"error/FourDashes", "----BEGIN CERTIFICATE----\nAAAA\n----END CERTIFICATE----\n", ncm.CodeNotPEM, "Line 1 mentions BEGIN"},
		{"error/BeginWithoutEnd", strings.TrimSuffix(f.interPEM, "-----END CERTIFICATE-----\n"), ncm.CodeNotPEM,
			"certificateChain: PEM block 1 (CERTIFICATE): BEGIN at line 1 has no matching END"},
		{"error/BeginBeforeEnd", dropEnd, ncm.CodeNotPEM,
			fmt.Sprintf("PEM block 1 (CERTIFICATE): BEGIN at line 1 has no matching END before the next BEGIN at line %d", interLines)},
		{"error/EndWithoutBegin", "-----END CERTIFICATE-----\n", ncm.CodeNotPEM, "line 1: END CERTIFICATE without a BEGIN"},
		{"error/MismatchedTypes", strings.Replace(f.interPEM, "END CERTIFICATE", "END PRIVATE KEY", 1), ncm.CodeNotPEM,
			"PEM block 1 (CERTIFICATE): BEGIN CERTIFICATE at line 1 ends with END PRIVATE KEY at line"},
		{"error/CorruptBase64", f.interPEM + strings.Join(corrupt, "\n"), ncm.CodeNotPEM,
			fmt.Sprintf("certificateChain: PEM block 2 (CERTIFICATE): base64 is corrupt at line %d", interLines+4)},
		{"error/CutBase64", f.interPEM + strings.Join(cut, "\n"), ncm.CodeNotPEM,
			fmt.Sprintf("PEM block 2 (CERTIFICATE): base64 is incomplete at line %d", interLines+lastData+1)},
		{"error/EmptyBlock", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", ncm.CodeNotPEM, "PEM block 1 (CERTIFICATE): the block is empty"},
		{"error/MalformedBegin", "-----BEGIN CERTIFICATE\nAAAA\n", ncm.CodeNotPEM, "line 1: malformed BEGIN line"},
		{"error/TooLarge", strings.Repeat("x", pki.MaxPEMBytes+1), ncm.CodeValidation,
			fmt.Sprintf("certificateChain: is %d bytes, more than the limit of %d bytes", pki.MaxPEMBytes+1, pki.MaxPEMBytes)},
		{"error/TooManyBlocks", strings.Repeat(f.rootPEM, pki.MaxPEMBlocks+1), ncm.CodeValidation,
			fmt.Sprintf("certificateChain: has more than %d PEM blocks", pki.MaxPEMBlocks)},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			blocks, err := pki.ReadBlocks("certificateChain", tc.input)
			if err == nil {
				t.Fatalf("ReadBlocks returned %d blocks, want an error", len(blocks))
			}
			wantError(t, err, tc.code, "certificateChain", tc.msg)
		})
	}

	t.Run("ok/MaxBlocks", func(t *testing.T) {
		blocks, err := pki.ReadBlocks("certificateChain", strings.Repeat(f.rootPEM, pki.MaxPEMBlocks))
		if err != nil || len(blocks) != pki.MaxPEMBlocks {
			t.Fatalf("got %d blocks, err %v; want %d blocks", len(blocks), err, pki.MaxPEMBlocks)
		}
	})
}

// TestFieldC05_GluedPEMBlocks: two files concatenated where the first lacks
// its final newline, so END and BEGIN share a line. pem.Decode finds nothing
// in such input; ncm splits it.
func TestFieldC05_GluedPEMBlocks(t *testing.T) {
	f := mustChain(t)
	glued := strings.TrimSuffix(f.interPEM, "\n") + f.rootPEM
	if !strings.Contains(glued, "-----END CERTIFICATE----------BEGIN CERTIFICATE-----") {
		t.Fatalf("fixture is not glued: %q", glued)
	}

	t.Run("OK", func(t *testing.T) {
		certs, err := pki.ParseCertificates("certificateChain", glued)
		if err != nil {
			t.Fatalf("ParseCertificates: %v", err)
		}
		if len(certs) != 2 || !certs[0].Equal(f.inter) || !certs[1].Equal(f.root) {
			t.Fatalf("got %d certificates, want [intermediate root] in order", len(certs))
		}
	})
	t.Run("OKLeafWithoutFinalNewline", func(t *testing.T) {
		cert, err := pki.ParseCertificate("certificateBody", strings.TrimSuffix(f.leafPEM, "\n"))
		if err != nil {
			t.Fatalf("ParseCertificate: %v", err)
		}
		if !cert.Equal(f.leaf) {
			t.Errorf("parsed certificate differs from the leaf")
		}
	})
	t.Run("OKThreeGluedWithText", func(t *testing.T) {
		three := "chain:" + strings.TrimSuffix(f.leafPEM, "\n") + strings.TrimSuffix(f.interPEM, "\n") + f.rootPEM
		certs, err := pki.ParseCertificates("certificateChain", three)
		if err != nil || len(certs) != 3 {
			t.Fatalf("got %d certificates, err %v; want 3", len(certs), err)
		}
	})
}

// TestFieldC07_CRLF: Windows line endings, mixed files and blank lines give
// the same certificates, and the same fingerprint, as the LF upload.
func TestFieldC07_CRLF(t *testing.T) {
	f := mustChain(t)
	key := testpki.PKCS8PEM(t, testpki.MustKey(t, testpki.RSA2048))
	chain := f.interPEM + f.rootPEM
	for name, in := range map[string]struct{ leaf, chain, key string }{
		"CRLF":       {crlf(f.leafPEM), crlf(chain), crlf(key)},
		"Mixed":      {f.leafPEM, f.interPEM + crlf(f.rootPEM), crlf(key)},
		"BlankLines": {"\r\n\r\n" + crlf(f.leafPEM) + "\r\n", f.interPEM + "\n\r\n\n" + f.rootPEM, "\n" + key + "\n\n"},
	} {
		t.Run(name, func(t *testing.T) {
			leaf, err := pki.ParseCertificate("certificateBody", in.leaf)
			if err != nil {
				t.Fatalf("ParseCertificate: %v", err)
			}
			certs, err := pki.ParseCertificates("certificateChain", in.chain)
			if err != nil {
				t.Fatalf("ParseCertificates: %v", err)
			}
			if len(certs) != 2 {
				t.Errorf("chain has %d certificates, want 2", len(certs))
			}
			k, err := pki.ParsePrivateKey("privateKey", in.key)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if err := pki.CheckKeyMatch(leaf, k); err != nil {
				t.Errorf("CheckKeyMatch: %v", err)
			}
			if got, want := pki.Describe(leaf).Fingerprint, pki.Describe(f.leaf).Fingerprint; got != want {
				t.Errorf("Fingerprint=%s, want %s (same as the LF upload)", got, want)
			}
			if out := pki.EncodeCertificatesPEM(certs...); strings.Contains(out, "\r") || out != chain {
				t.Errorf("EncodeCertificatesPEM is not the LF form of the chain:\n%s", out)
			}
		})
	}
}
