package pki_test

import (
	"crypto/rand"
	"encoding/pem"
	"slices"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/pki"
)

func TestParseCertificate(t *testing.T) {
	f := mustChain(t)
	garbage := "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"

	t.Run("ok/Leaf", func(t *testing.T) {
		cert, err := pki.ParseCertificate("certificateBody", "Leaf for www:\n"+f.leafPEM)
		if err != nil {
			t.Fatalf("ParseCertificate: %v", err)
		}
		if !cert.Equal(f.leaf) {
			t.Error("parsed certificate differs from the leaf")
		}
	})
	t.Run("ok/X509CertificateType", func(t *testing.T) {
		old := strings.ReplaceAll(f.leafPEM, " CERTIFICATE-----", " X509 CERTIFICATE-----")
		if _, err := pki.ParseCertificate("certificateBody", old); err != nil {
			t.Fatalf("ParseCertificate: %v", err)
		}
	})
	for _, tc := range []struct{ name, text, code, msg string }{
		{"error/Garbage", garbage, ncm.CodeInvalidCert, "certificateBody: cannot parse the certificate"},
		{"error/KeyInCertificateField", f.leafPEM + testpki.PKCS8PEM(t, testpki.MustKey(t, testpki.RSA2048)), ncm.CodeInvalidCert,
			"certificateBody: PEM block 2 is a PRIVATE KEY, not a CERTIFICATE"},
		{"error/NotPEM", "MIIB", ncm.CodeNotPEM, "certificateBody: Unable to load certificate. Expecting PEM format file."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pki.ParseCertificate("certificateBody", tc.text)
			wantError(t, err, tc.code, "certificateBody", tc.msg)
		})
	}
}

// TestFieldC01_ChainInLeafField: a full chain pasted into the leaf field is
// refused with a message saying where the rest belongs.
func TestFieldC01_ChainInLeafField(t *testing.T) {
	f := mustChain(t)
	for _, field := range []string{"certificateBody", "publicKeyCertificate"} {
		t.Run(field, func(t *testing.T) {
			_, err := pki.ParseCertificate(field, f.leafPEM+f.interPEM+f.rootPEM)
			wantError(t, err, ncm.CodeInvalidCert, field,
				field+" contains 3 certificates; only the leaf belongs here, put the intermediates in certificateChain")
		})
	}
}

// TestFieldC14_NegativeSerial: Go refuses negative serials; the caller gets
// the reason, and in a chain the position of the certificate.
func TestFieldC14_NegativeSerial(t *testing.T) {
	const reason = "certificate serial number is negative, which RFC 5280 forbids; re-issue the certificate"
	neg := testpki.NegativeSerialPEM(t, testpki.MustKey(t, testpki.P256))

	t.Run("ErrLeaf", func(t *testing.T) {
		_, err := pki.ParseCertificate("certificateBody", neg)
		wantError(t, err, ncm.CodeInvalidCert, "certificateBody", "certificateBody: "+reason)
	})
	t.Run("ErrChainElement", func(t *testing.T) {
		f := mustChain(t)
		_, err := pki.ParseCertificates("certificateChain", f.interPEM+neg+f.rootPEM)
		wantError(t, err, ncm.CodeInvalidCert, "certificateChain", "certificateChain: certificate 2 of 3: "+reason)
	})
}

func TestParseCertificates(t *testing.T) {
	f := mustChain(t)
	t.Run("ok/OrderKept", func(t *testing.T) {
		certs, err := pki.ParseCertificates("certificateChain", f.rootPEM+f.interPEM)
		if err != nil {
			t.Fatalf("ParseCertificates: %v", err)
		}
		if len(certs) != 2 || !certs[0].Equal(f.root) || !certs[1].Equal(f.inter) {
			t.Errorf("got %d certificates, want [root intermediate] as given", len(certs))
		}
	})
	t.Run("error/GarbageSecond", func(t *testing.T) {
		garbage := "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
		_, err := pki.ParseCertificates("certificateChain", f.interPEM+garbage)
		wantError(t, err, ncm.CodeInvalidCert, "certificateChain", "certificateChain: certificate 2 of 2: cannot parse the certificate")
	})
	t.Run("error/Empty", func(t *testing.T) {
		_, err := pki.ParseCertificates("certificateChain", "  \n")
		wantError(t, err, ncm.CodeNotPEM, "certificateChain", "certificateChain: is empty")
	})
}

func TestEncodeCertificatesPEM(t *testing.T) {
	f := mustChain(t)
	out := pki.EncodeCertificatesPEM(f.leaf, f.inter)
	if want := f.leafPEM + f.interPEM; out != want {
		t.Fatalf("EncodeCertificatesPEM=\n%s\nwant\n%s", out, want)
	}
	if got := pki.EncodeCertificatesPEM(); got != "" {
		t.Errorf("EncodeCertificatesPEM()=%q, want empty", got)
	}
}

// tamperCSR flips the last byte of the CSR's signature.
func tamperCSR(tb testing.TB, text string) string {
	tb.Helper()
	block, _ := pem.Decode([]byte(text))
	der := slices.Clone(block.Bytes)
	der[len(der)-1] ^= 0xFF
	return string(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}))
}

func TestParseCSR(t *testing.T) {
	for _, kind := range []testpki.KeyKind{testpki.RSA2048, testpki.RSA4096, testpki.P256, testpki.P384} {
		t.Run("ok/"+kind.String(), func(t *testing.T) {
			text := testpki.MustCSR(t, testpki.MustKey(t, kind), "www.example.test", "www.example.test", "example.test")
			csr, err := pki.ParseCSR(crlf(text))
			if err != nil {
				t.Fatalf("ParseCSR: %v", err)
			}
			if csr.Subject.CommonName != "www.example.test" || !slices.Equal(csr.DNSNames, []string{"www.example.test", "example.test"}) {
				t.Errorf("CN=%q DNSNames=%v, want www.example.test [www.example.test example.test]", csr.Subject.CommonName, csr.DNSNames)
			}
		})
	}
	t.Run("ok/NewCertificateRequest", func(t *testing.T) {
		text := testpki.MustCSR(t, testpki.MustKey(t, testpki.P256), "www.example.test")
		if _, err := pki.ParseCSR(strings.ReplaceAll(text, "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")); err != nil {
			t.Fatalf("ParseCSR: %v", err)
		}
	})

	rsaCSR := testpki.MustCSR(t, testpki.MustKey(t, testpki.RSA2048), "www.example.test")
	random := make([]byte, 300)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, text, code, msg string }{
		{"error/WeakRSA1024", testpki.MustCSR(t, testpki.MustKey(t, testpki.RSA1024), "weak.example.test"), ncm.CodeInvalidCSR,
			"csr: RSA key has 1024 bits; keys must have 2048 to 4096 bits"},
		{"error/Ed25519", testpki.MustCSR(t, testpki.MustKey(t, testpki.Ed25519), "ed.example.test"), ncm.CodeInvalidCSR, "csr: Ed25519 keys are not allowed here"},
		{"error/P521", testpki.MustCSR(t, testpki.MustKey(t, testpki.P521), "p521.example.test"), ncm.CodeInvalidCSR, "csr: ECDSA curve P-521 is not allowed"},
		{"error/BrokenSignature", tamperCSR(t, rsaCSR), ncm.CodeInvalidCSR, "csr: the certificate request's signature is invalid"},
		{"error/TwoCSRs", rsaCSR + rsaCSR, ncm.CodeInvalidCSR, "csr: contains 2 certificate requests; send exactly one"},
		{"error/CertificateNotCSR", testpki.CertPEM(testpki.SelfSigned(t, testpki.MustKey(t, testpki.P256), "x.example.test")), ncm.CodeInvalidCSR,
			"csr: PEM block 1 is a CERTIFICATE, not a CERTIFICATE REQUEST"},
		{"error/Garbage", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: random})), ncm.CodeInvalidCSR,
			"csr: cannot parse the certificate request"},
		{"error/NotPEM", "CN=www.example.test", ncm.CodeNotPEM, "csr: Unable to load certificate request. Expecting PEM format file."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csr, err := pki.ParseCSR(tc.text)
			if err == nil {
				t.Fatalf("ParseCSR accepted a CSR for %v, want an error", csr.Subject)
			}
			wantError(t, err, tc.code, "csr", tc.msg)
		})
	}
}
