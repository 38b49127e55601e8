package pki_test

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/pki"
)

type equaler interface{ Equal(crypto.PublicKey) bool }

// TestFieldC10_KeyFormats: every common encoding of a key is read, and the
// stored (PKCS#8) form does not depend on the form uploaded.
func TestFieldC10_KeyFormats(t *testing.T) {
	rsaKey := testpki.MustKey(t, testpki.RSA2048)
	p256 := testpki.MustKey(t, testpki.P256)
	p384 := testpki.MustKey(t, testpki.P384)
	ed := testpki.MustKey(t, testpki.Ed25519)
	pkcs8 := func(k crypto.Signer) string { return testpki.PKCS8PEM(t, k) }
	// A PKCS#8 key in a block labelled as PKCS#1: the DER is unambiguous.
	mislabelled := strings.ReplaceAll(pkcs8(rsaKey), "PRIVATE KEY", "RSA PRIVATE KEY")

	tests := []struct {
		name, text string
		key        crypto.Signer
		info       string
	}{
		{"ok/RSA/PKCS1", testpki.PKCS1PEM(t, rsaKey), rsaKey, "RSA 2048"},
		{"ok/RSA/PKCS8", pkcs8(rsaKey), rsaKey, "RSA 2048"},
		{"ok/RSA/PKCS1CRLF", crlf(testpki.PKCS1PEM(t, rsaKey)), rsaKey, "RSA 2048"},
		{"ok/RSA/Mislabelled", mislabelled, rsaKey, "RSA 2048"},
		{"ok/RSA4096/PKCS8", pkcs8(testpki.MustKey(t, testpki.RSA4096)), testpki.MustKey(t, testpki.RSA4096), "RSA 4096"},
		{"ok/P256/PKCS8", pkcs8(p256), p256, "EC P-256"},
		{"ok/P256/SEC1", testpki.SEC1PEM(t, p256), p256, "EC P-256"},
		{"ok/P256/SEC1WithParams", testpki.SEC1WithParamsPEM(t, p256), p256, "EC P-256"},
		{"ok/P256/SEC1CRLF", crlf(testpki.SEC1PEM(t, p256)), p256, "EC P-256"},
		{"ok/P384/SEC1", testpki.SEC1PEM(t, p384), p384, "EC P-384"},
		{"ok/P384/SEC1WithParams", testpki.SEC1WithParamsPEM(t, p384), p384, "EC P-384"},
		{"ok/Ed25519/PKCS8", pkcs8(ed), ed, "Ed25519"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pki.ParsePrivateKey("privateKey", tc.text)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !got.Public().(equaler).Equal(tc.key.Public()) {
				t.Fatalf("parsed key differs from the generated key")
			}
			if info := pki.DescribeKey(got.Public()); info != tc.info {
				t.Errorf("DescribeKey=%q, want %q", info, tc.info)
			}
			stored, err := pki.MarshalPrivateKeyPEM(got)
			if err != nil {
				t.Fatalf("MarshalPrivateKeyPEM: %v", err)
			}
			if want := pkcs8(tc.key); string(stored) != want {
				t.Errorf("stored form is not the PKCS#8 form of the key:\n%s", stored)
			}
		})
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	rsaKey := testpki.MustKey(t, testpki.RSA2048)
	random := make([]byte, 600)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	garbage := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: random}))
	cert := testpki.CertPEM(testpki.SelfSigned(t, rsaKey, "www.example.test"))

	tests := []struct{ name, text, code, msg string }{
		{"error/Garbage", garbage, ncm.CodeInvalidKey, "privateKey: cannot parse private key in PEM block 1 (PRIVATE KEY)"},
		{"error/RSA1024", testpki.PKCS1PEM(t, testpki.MustKey(t, testpki.RSA1024)), ncm.CodeInvalidKey, "privateKey: RSA key has 1024 bits; keys must have 2048 to 4096 bits"},
		{"error/P521", testpki.SEC1PEM(t, testpki.MustKey(t, testpki.P521)), ncm.CodeInvalidKey, "ECDSA curve P-521 is not allowed"},
		{"error/TwoKeys", testpki.PKCS8PEM(t, rsaKey) + testpki.PKCS8PEM(t, testpki.MustKeyN(t, testpki.RSA2048, 1)), ncm.CodeInvalidKey,
			"privateKey: contains more than one private key (PEM blocks 1 and 2)"},
		{"error/CertificateInKeyField", cert + testpki.PKCS8PEM(t, rsaKey), ncm.CodeInvalidKey, "PEM block 1 is a CERTIFICATE, not a private key"},
		{"error/OnlyECParameters", strings.SplitAfter(testpki.SEC1WithParamsPEM(t, testpki.MustKey(t, testpki.P256)), "-----END EC PARAMETERS-----\n")[0],
			ncm.CodeInvalidKey, "contains no private key block"},
		{"error/NotPEM", "secret", ncm.CodeNotPEM, "privateKey: Unable to load private key. Expecting PEM format file."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, err := pki.ParsePrivateKey("privateKey", tc.text)
			if err == nil {
				t.Fatalf("ParsePrivateKey returned a %T, want an error", key)
			}
			wantError(t, err, tc.code, "privateKey", tc.msg)
		})
	}
}

// TestFieldC12_EncryptedKey: encrypted keys are refused with their own
// message; the API has no passphrase field.
func TestFieldC12_EncryptedKey(t *testing.T) {
	rsaKey, ecKey := testpki.MustKey(t, testpki.RSA2048), testpki.MustKey(t, testpki.P256)
	const want = "privateKey is encrypted; decrypt it first and upload the unencrypted key"
	for name, text := range map[string]string{
		"error/PKCS8/RSA":   testpki.EncryptedPKCS8PEM(t, rsaKey, "changeit"),
		"error/PKCS8/EC":    testpki.EncryptedPKCS8PEM(t, ecKey, "changeit"),
		"error/Legacy/RSA":  testpki.EncryptedLegacyPEM(t, rsaKey, "changeit"),
		"error/Legacy/EC":   testpki.EncryptedLegacyPEM(t, ecKey, "changeit"),
		"error/Legacy/CRLF": crlf(testpki.EncryptedLegacyPEM(t, rsaKey, "changeit")),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pki.ParsePrivateKey("privateKey", text)
			wantError(t, err, ncm.CodeInvalidKey, "privateKey", want)
			if got := ncm.ErrorMessage(err); got != want {
				t.Errorf("message=%q, want %q", got, want)
			}
		})
	}
}

// TestFieldC03_KeyMismatch: a key from another pair, or of another
// algorithm, is refused with NCP's mismatch code; garbage gets a parse error
// instead.
func TestFieldC03_KeyMismatch(t *testing.T) {
	rsa1, rsa2 := testpki.MustKeyN(t, testpki.RSA2048, 0), testpki.MustKeyN(t, testpki.RSA2048, 1)
	ec := testpki.MustKey(t, testpki.P256)
	rsaCert := testpki.SelfSigned(t, rsa1, "www.example.test", "www.example.test")
	ecCert := testpki.SelfSigned(t, ec, "www.example.test", "www.example.test")

	t.Run("OK", func(t *testing.T) {
		for _, pair := range []struct {
			cert string
			key  string
		}{{testpki.CertPEM(rsaCert), testpki.PKCS1PEM(t, rsa1)}, {testpki.CertPEM(ecCert), testpki.SEC1PEM(t, ec)}} {
			cert, err := pki.ParseCertificate("certificateBody", pair.cert)
			if err != nil {
				t.Fatal(err)
			}
			key, err := pki.ParsePrivateKey("privateKey", pair.key)
			if err != nil {
				t.Fatal(err)
			}
			if err := pki.CheckKeyMatch(cert, key); err != nil {
				t.Errorf("CheckKeyMatch: %v", err)
			}
		}
	})
	for name, tc := range map[string]struct {
		cert *x509.Certificate
		key  crypto.Signer
	}{
		"ErrKeyMismatch/RSAOtherPair": {rsaCert, rsa2},
		"ErrKeyMismatch/ECCertRSAKey": {ecCert, rsa1},
		"ErrKeyMismatch/RSACertECKey": {rsaCert, ec},
	} {
		t.Run(name, func(t *testing.T) {
			err := pki.CheckKeyMatch(tc.cert, tc.key)
			wantError(t, err, ncm.CodeKeyMismatch, "privateKey", "Public key in certificate does not match with private key")
		})
	}
	t.Run("ErrGarbageKey", func(t *testing.T) {
		garbage := "-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5IGF0IGFsbCwganVzdCBzb21lIHRleHQ=\n-----END PRIVATE KEY-----\n"
		_, err := pki.ParsePrivateKey("privateKey", garbage)
		wantError(t, err, ncm.CodeInvalidKey, "privateKey", "cannot parse private key")
	})
}
