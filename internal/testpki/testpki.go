// Package testpki generates keys, CSRs, CAs and certificates for tests. Nothing
// is read from disk: every test builds what it needs, anchored at the fixed
// clock value Now so that validity periods are the same in every run.
//
// Generated keys are cached per process (see MustKeyN), so RSA key generation
// costs once per kind and index however many tests ask.
package testpki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

// Now is the fixed clock of generated material: certificates are valid from
// an hour before Now for 90 days unless a test says otherwise.
var Now = time.Date(2026, 3, 1, 1, 15, 30, 0, time.UTC)

// KeyKind names a key algorithm and size.
type KeyKind int

// Key kinds. RSA1024 is below ncm's policy and exists for rejection tests.
const (
	RSA2048 KeyKind = iota
	RSA4096
	P256
	P384
	Ed25519
	RSA1024
	P521
)

// String returns the kind as DescribeKey-style text ("RSA 2048", "EC P-256").
func (k KeyKind) String() string {
	switch k {
	case RSA2048:
		return "RSA 2048"
	case RSA4096:
		return "RSA 4096"
	case RSA1024:
		return "RSA 1024"
	case P256:
		return "EC P-256"
	case P384:
		return "EC P-384"
	case P521:
		return "EC P-521"
	case Ed25519:
		return "Ed25519"
	}
	return fmt.Sprintf("KeyKind(%d)", int(k))
}

type keyID struct {
	kind KeyKind
	i    int
}

type cachedKey struct {
	once sync.Once
	key  crypto.Signer
	err  error
}

var keys sync.Map // keyID -> *cachedKey

// MustKey returns the first cached key of kind, MustKeyN(tb, kind, 0).
func MustKey(tb testing.TB, kind KeyKind) crypto.Signer {
	tb.Helper()
	return MustKeyN(tb, kind, 0)
}

// MustKeyN returns the i-th key of kind, generated on first use and then
// shared by every test of the process: the same (kind, i) is always the same
// key, different i are different keys. Tests that need two distinct key pairs
// of one kind ask for i = 0 and 1.
func MustKeyN(tb testing.TB, kind KeyKind, i int) crypto.Signer {
	tb.Helper()
	v, _ := keys.LoadOrStore(keyID{kind, i}, new(cachedKey))
	c := v.(*cachedKey)
	c.once.Do(func() { c.key, c.err = generate(kind) })
	if c.err != nil {
		tb.Fatalf("testpki: generate %v key: %v", kind, c.err)
	}
	return c.key
}

func generate(kind KeyKind) (crypto.Signer, error) {
	switch kind {
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case RSA1024:
		return rsa.GenerateKey(rand.Reader, 1024)
	case P256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case P384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case P521:
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case Ed25519:
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, err
	}
	return nil, fmt.Errorf("unknown key kind %d", int(kind))
}

// MustCSR returns a PEM certificate signing request for key with subject CN
// cn and the given SAN DNS names.
func MustCSR(tb testing.TB, key crypto.Signer, cn string, dnsNames ...string) string {
	tb.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: cn},
		DNSNames: dnsNames,
	}, key)
	if err != nil {
		tb.Fatalf("testpki: create CSR: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// CA is a generated certificate authority: a root, or an intermediate with
// its parent.
type CA struct {
	Cert   *x509.Certificate
	Key    crypto.Signer
	Parent *CA // nil for a root
}

// NewCA returns a self-signed root CA named name with a fresh P-256 key.
func NewCA(tb testing.TB, name string) *CA {
	tb.Helper()
	key, err := generate(P256)
	if err != nil {
		tb.Fatalf("testpki: CA key: %v", err)
	}
	return NewCAWithKey(tb, name, key)
}

// NewCAWithKey returns a self-signed root CA named name using key, for tests
// that need an RSA-signed chain.
func NewCAWithKey(tb testing.TB, name string, key crypto.Signer) *CA {
	tb.Helper()
	tmpl := caTemplate(tb, name)
	return &CA{Cert: mustCreate(tb, tmpl, tmpl, key.Public(), key), Key: key}
}

// Intermediate returns a CA named name signed by ca, with a fresh P-256 key.
// Intermediates may be nested to any depth.
func (ca *CA) Intermediate(tb testing.TB, name string) *CA {
	tb.Helper()
	key, err := generate(P256)
	if err != nil {
		tb.Fatalf("testpki: CA key: %v", err)
	}
	cert := mustCreate(tb, caTemplate(tb, name), ca.Cert, key.Public(), ca.Key)
	return &CA{Cert: cert, Key: key, Parent: ca}
}

func caTemplate(tb testing.TB, name string) *x509.Certificate {
	tb.Helper()
	return &x509.Certificate{
		SerialNumber:          randomSerial(tb),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"ncm test"}},
		NotBefore:             Now.Add(-24 * time.Hour),
		NotAfter:              Now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
}

// LeafOptions describe a leaf certificate. Zero fields take defaults:
// NotBefore Now-1h, NotAfter Now+90 days, a random serial, Subject {CN:
// CommonName}.
type LeafOptions struct {
	CommonName string
	DNSNames   []string
	NotBefore  time.Time
	NotAfter   time.Time
	Serial     *big.Int
	Subject    pkix.Name // used as is when it has any attribute; CommonName then is ignored
}

// Leaf issues a TLS server certificate for key, signed by ca.
func (ca *CA) Leaf(tb testing.TB, key crypto.Signer, opts LeafOptions) *x509.Certificate {
	tb.Helper()
	return mustCreate(tb, leafTemplate(tb, opts), ca.Cert, key.Public(), ca.Key)
}

func leafTemplate(tb testing.TB, opts LeafOptions) *x509.Certificate {
	tb.Helper()
	t := &x509.Certificate{
		SerialNumber: opts.Serial,
		Subject:      opts.Subject,
		DNSNames:     opts.DNSNames,
		NotBefore:    opts.NotBefore,
		NotAfter:     opts.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if t.SerialNumber == nil {
		t.SerialNumber = randomSerial(tb)
	}
	if len(t.Subject.ToRDNSequence()) == 0 {
		t.Subject = pkix.Name{CommonName: opts.CommonName}
	}
	if t.NotBefore.IsZero() {
		t.NotBefore = Now.Add(-time.Hour)
	}
	if t.NotAfter.IsZero() {
		t.NotAfter = t.NotBefore.AddDate(0, 0, 90)
	}
	return t
}

// Chain returns ca's certificate and those of its parents, leaf-up order
// (this CA first, the root last).
func (ca *CA) Chain() []*x509.Certificate {
	var certs []*x509.Certificate
	for c := ca; c != nil; c = c.Parent {
		certs = append(certs, c.Cert)
	}
	return certs
}

// PEM returns the CA's own certificate as PEM.
func (ca *CA) PEM() string { return CertPEM(ca.Cert) }

// ChainPEM returns Chain as PEM, leaf-up order.
func (ca *CA) ChainPEM() string { return CertPEM(ca.Chain()...) }

// SelfSigned returns a self-signed leaf certificate for key with subject CN
// cn and the given SAN DNS names, valid from Now-1h for 90 days.
func SelfSigned(tb testing.TB, key crypto.Signer, cn string, dnsNames ...string) *x509.Certificate {
	tb.Helper()
	t := leafTemplate(tb, LeafOptions{CommonName: cn, DNSNames: dnsNames})
	return mustCreate(tb, t, t, key.Public(), key)
}

// NegativeSerialPEM returns, as PEM, a self-signed certificate for key whose
// serial number is negative (-6, DER byte 0xFA), which RFC 5280 forbids and Go
// refuses to parse. It is made with serial 0x7A and then patched, so its
// signature is invalid, which parsing does not check.
func NegativeSerialPEM(tb testing.TB, key crypto.Signer) string {
	tb.Helper()
	t := leafTemplate(tb, LeafOptions{CommonName: "negative.example.test", Serial: big.NewInt(0x7A)})
	der := mustCreateDER(tb, t, t, key.Public(), key)
	// [0] EXPLICIT version v3, then INTEGER of length 1 holding 0x7A.
	marker := []byte{0xA0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x7A}
	if n := bytes.Count(der, marker); n != 1 {
		tb.Fatalf("testpki: found the serial %d times in the DER, want 1", n)
	}
	der = bytes.Clone(der)
	der[bytes.Index(der, marker)+len(marker)-1] = 0xFA
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// CertPEM encodes certs as consecutive CERTIFICATE blocks.
func CertPEM(certs ...*x509.Certificate) string {
	var sb strings.Builder
	for _, c := range certs {
		sb.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return sb.String()
}

func randomSerial(tb testing.TB) *big.Int {
	tb.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatalf("testpki: serial: %v", err)
	}
	return n.Add(n, big.NewInt(1)) // never zero
}

func mustCreate(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	tb.Helper()
	cert, err := x509.ParseCertificate(mustCreateDER(tb, tmpl, parent, pub, signer))
	if err != nil {
		tb.Fatalf("testpki: parse created certificate: %v", err)
	}
	return cert
}

func mustCreateDER(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) []byte {
	tb.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		tb.Fatalf("testpki: create certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	return der
}
