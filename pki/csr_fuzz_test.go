package pki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/pki"
)

// FuzzParseCSR checks that ParseCSR never panics, refuses with an EINVALID
// *ncm.Error on field "csr" only, and that what it accepts has a valid
// self-signature. Seeds (a valid CSR, damaged ones) are in
// testdata/fuzz/FuzzParseCSR.
func FuzzParseCSR(f *testing.F) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "fuzz.example.com"}, DNSNames: []string{"fuzz.example.com"}}, k)
	if err != nil {
		f.Fatal(err)
	}
	valid := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add("-----BEGIN NEW CERTIFICATE REQUEST-----\nMIIB\n-----END NEW CERTIFICATE REQUEST-----\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, input string) {
		csr, err := pki.ParseCSR(input)
		if err != nil {
			var e *ncm.Error
			if !errors.As(err, &e) || e.Kind != ncm.EINVALID || e.Field != "csr" || e.Message == "" {
				t.Fatalf("err = %#v, want an EINVALID *ncm.Error on field csr with a message", err)
			}
			return
		}
		if csr == nil {
			t.Fatal("nil CSR and nil error")
		}
		if err := csr.CheckSignature(); err != nil {
			t.Fatalf("accepted a CSR whose signature does not verify: %v", err)
		}
	})
}
