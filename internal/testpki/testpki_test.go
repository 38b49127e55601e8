package testpki_test

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/ncmhq/ncm/internal/testpki"
)

func TestMustKeyN(t *testing.T) {
	for _, kind := range []testpki.KeyKind{testpki.RSA2048, testpki.P256, testpki.P384, testpki.Ed25519} {
		t.Run(kind.String(), func(t *testing.T) {
			a, b := testpki.MustKeyN(t, kind, 0), testpki.MustKeyN(t, kind, 1)
			if !a.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(testpki.MustKey(t, kind).Public()) {
				t.Errorf("MustKeyN(%v, 0) differs from MustKey: the cache is not shared", kind)
			}
			if a.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(b.Public()) {
				t.Errorf("MustKeyN(%v, 0) equals MustKeyN(%v, 1), want distinct keys", kind, kind)
			}
		})
	}
}

func TestCAChainVerifies(t *testing.T) {
	root := testpki.NewCA(t, "Root")
	a := root.Intermediate(t, "Inter A")
	b := a.Intermediate(t, "Inter B")
	leaf := b.Leaf(t, testpki.MustKey(t, testpki.P256), testpki.LeafOptions{CommonName: "www.example.test", DNSNames: []string{"www.example.test"}})

	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root.Cert)
	inters.AddCert(a.Cert)
	inters.AddCert(b.Cert)
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, DNSName: "www.example.test", CurrentTime: testpki.Now})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got, want := leaf.NotBefore, testpki.Now.Add(-time.Hour); !got.Equal(want) {
		t.Errorf("NotBefore=%v, want %v", got, want)
	}
	if got := len(b.Chain()); got != 3 {
		t.Errorf("len(Chain())=%d, want 3", got)
	}
}

func TestNegativeSerialPEM(t *testing.T) {
	block, _ := pem.Decode([]byte(testpki.NegativeSerialPEM(t, testpki.MustKey(t, testpki.P256))))
	if block == nil {
		t.Fatal("no PEM block")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err == nil {
		t.Fatal("ParseCertificate accepted the negative serial, want an error")
	}
}

func TestKeyEncodings(t *testing.T) {
	ec := testpki.MustKey(t, testpki.P256)
	for name, text := range map[string]string{
		"PKCS1":             testpki.PKCS1PEM(t, testpki.MustKey(t, testpki.RSA2048)),
		"PKCS8":             testpki.PKCS8PEM(t, ec),
		"SEC1":              testpki.SEC1PEM(t, ec),
		"SEC1WithParams":    testpki.SEC1WithParamsPEM(t, ec),
		"EncryptedLegacy":   testpki.EncryptedLegacyPEM(t, ec, "changeit"),
		"EncryptedPKCS8PEM": testpki.EncryptedPKCS8PEM(t, ec, "changeit"),
	} {
		if block, _ := pem.Decode([]byte(text)); block == nil || len(block.Bytes) == 0 {
			t.Errorf("%s: no PEM block in %q", name, text)
		}
	}
}
