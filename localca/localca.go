// Package localca is ncm's built-in certificate authority: a root (ECDSA
// P-384, 20 years) and one issuing intermediate (ECDSA P-256, 10 years,
// path length 0) that sign Advanced DV/OV leaf certificates. It is the
// default issuer, so an ncm server issues real, verifiable certificates with
// no network access; clients trust them by installing RootPEM.
//
// The CA's keys never leave this package unsealed: Generate seals them with
// ncm.LabelCAKey and New opens them into memory.
package localca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
)

// Validity of the CA certificates.
const (
	rootYears         = 20
	intermediateYears = 10
	// backdate moves the CA certificates' NotBefore into the past, so that
	// a leaf backdated by its caller, or a verifier whose clock runs a little
	// slow, still finds the chain valid.
	backdate = time.Hour
)

// minRSABits is the smallest RSA key the CA certifies (CA/Browser Forum
// Baseline Requirements 6.1.5).
const minRSABits = 2048

// Options names the CA. The zero value gives the defaults.
type Options struct {
	// Organization is the O of both CA certificates. Default "ncm".
	Organization string
	// CommonNamePrefix starts the CN of both CA certificates: the root is
	// "<prefix> Root CA", the intermediate "<prefix> Issuing CA". Default
	// "ncm Local".
	CommonNamePrefix string
}

func (o Options) withDefaults() Options {
	if o.Organization == "" {
		o.Organization = "ncm"
	}
	if o.CommonNamePrefix == "" {
		o.CommonNamePrefix = "ncm Local"
	}
	return o
}

// Generate creates a new local CA at time now: a self-signed root and an
// intermediate signed by it, with fresh keys sealed by sealer under
// ncm.LabelCAKey. The result is ready for Store.CreateCA and for New.
func Generate(now time.Time, sealer ncm.Sealer, opts Options) (*ncm.CAMaterial, error) {
	opts = opts.withDefaults()
	now = now.UTC().Truncate(time.Second)
	notBefore := now.Add(-backdate)

	rootKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	rootTmpl, err := caTemplate(pkix.Name{
		CommonName:   opts.CommonNamePrefix + " Root CA",
		Organization: []string{opts.Organization},
	}, rootKey.Public(), notBefore, now.AddDate(rootYears, 0, 0))
	if err != nil {
		return nil, err
	}
	// A self-signed certificate gets its AuthorityKeyId only from the
	// template; RFC 5280 4.2.1.1 allows it and some verifiers expect it.
	rootTmpl.AuthorityKeyId = rootTmpl.SubjectKeyId
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, ncm.Internal(fmt.Errorf("create root certificate: %w", err))
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, ncm.Internal(err)
	}

	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	interTmpl, err := caTemplate(pkix.Name{
		CommonName:   opts.CommonNamePrefix + " Issuing CA",
		Organization: []string{opts.Organization},
	}, interKey.Public(), notBefore, now.AddDate(intermediateYears, 0, 0))
	if err != nil {
		return nil, err
	}
	// Path length 0: the intermediate may sign leaves only.
	interTmpl.MaxPathLen = 0
	interTmpl.MaxPathLenZero = true
	interDER, err := x509.CreateCertificate(rand.Reader, interTmpl, root, interKey.Public(), rootKey)
	if err != nil {
		return nil, ncm.Internal(fmt.Errorf("create intermediate certificate: %w", err))
	}

	rootSealed, err := sealKey(sealer, rootKey)
	if err != nil {
		return nil, err
	}
	interSealed, err := sealKey(sealer, interKey)
	if err != nil {
		return nil, err
	}
	return &ncm.CAMaterial{
		RootPEM:               encodePEM(rootDER),
		RootKeySealed:         rootSealed,
		IntermediatePEM:       encodePEM(interDER),
		IntermediateKeySealed: interSealed,
		CreatedAt:             now,
	}, nil
}

// caTemplate returns the common part of both CA certificates.
func caTemplate(subject pkix.Name, pub crypto.PublicKey, notBefore, notAfter time.Time) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          skid,
	}, nil
}

func sealKey(sealer ncm.Sealer, key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer clear(der)
	sealed, err := sealer.Seal(der, ncm.LabelCAKey)
	if err != nil {
		return nil, ncm.Internal(fmt.Errorf("seal CA key: %w", err))
	}
	return sealed, nil
}

// CA is an opened local CA. It implements ncm.Issuer and is safe for
// concurrent use: nothing in it changes after New.
type CA struct {
	root            *x509.Certificate
	intermediate    *x509.Certificate
	intermediateKey crypto.Signer
	rootPEM         string
	intermediatePEM string
	clock           ncm.Clock
}

var _ ncm.Issuer = (*CA)(nil)

// New opens stored CA material: it unseals the keys, parses the certificates
// and checks that the intermediate is a CA signed by the root and that each
// key belongs to its certificate. Every failure is EINTERNAL with a message
// naming the part at fault. A nil clock means ncm.SystemClock.
func New(m *ncm.CAMaterial, sealer ncm.Sealer, clock ncm.Clock) (*CA, error) {
	if clock == nil {
		clock = ncm.SystemClock{}
	}
	root, err := parseCertificate("root certificate", m.RootPEM)
	if err != nil {
		return nil, err
	}
	inter, err := parseCertificate("intermediate certificate", m.IntermediatePEM)
	if err != nil {
		return nil, err
	}
	if !root.IsCA || !inter.IsCA {
		return nil, caError("root and intermediate certificates must both be CA certificates (basic constraints CA:TRUE)", nil)
	}
	if err := root.CheckSignatureFrom(root); err != nil {
		return nil, caError("root certificate is not self-signed", err)
	}
	if err := inter.CheckSignatureFrom(root); err != nil {
		return nil, caError("intermediate certificate is not signed by the root certificate", err)
	}
	// The root key is only checked, never kept: all issuance goes through
	// the intermediate.
	if _, err := openKey("root", m.RootKeySealed, sealer, root); err != nil {
		return nil, err
	}
	interKey, err := openKey("intermediate", m.IntermediateKeySealed, sealer, inter)
	if err != nil {
		return nil, err
	}
	return &CA{
		root:            root,
		intermediate:    inter,
		intermediateKey: interKey,
		rootPEM:         encodePEM(root.Raw),
		intermediatePEM: encodePEM(inter.Raw),
		clock:           clock,
	}, nil
}

// parseCertificate reads exactly one CERTIFICATE block.
func parseCertificate(what, s string) (*x509.Certificate, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, caError(what+": no CERTIFICATE PEM block", nil)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, caError(what+": data after the first PEM block", nil)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, caError(what+": unparseable", err)
	}
	return cert, nil
}

// openKey unseals a CA key and checks that it belongs to cert.
func openKey(what string, sealed []byte, sealer ncm.Sealer, cert *x509.Certificate) (crypto.Signer, error) {
	der, err := sealer.Open(sealed, ncm.LabelCAKey)
	if err != nil {
		return nil, caError(what+" key: cannot unseal (wrong master key?)", err)
	}
	defer clear(der)
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, caError(what+" key: unparseable PKCS #8", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, caError(fmt.Sprintf("%s key: %T cannot sign", what, key), nil)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, caError(what+" key does not match the "+what+" certificate's public key", nil)
	}
	return signer, nil
}

func caError(msg string, err error) *ncm.Error {
	return &ncm.Error{Kind: ncm.EINTERNAL, Message: "local CA: " + msg, Err: err}
}

// RootPEM returns the root certificate, the one clients must trust.
func (ca *CA) RootPEM() string { return ca.rootPEM }

// IntermediatePEM returns the issuing intermediate certificate.
func (ca *CA) IntermediatePEM() string { return ca.intermediatePEM }

// Roots returns a new pool holding only the root certificate, for
// x509.VerifyOptions.Roots.
func (ca *CA) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.root)
	return pool
}

// Issue signs a leaf certificate for req.PublicKey with the intermediate.
//
// The subject is written as given. The SANs are req.DNSNames, with the CN
// put first if the caller left it out, because clients match names against
// the SANs only (RFC 6125 6.4.4). Validity is [NotBefore, NotAfter], clamped
// to the intermediate's own validity so that no leaf outlives its issuer; a
// zero NotBefore means now.
//
// Returns EINVALID for a key that is not RSA (at least 2048 bits) or ECDSA
// (P-256, P-384, P-521), for no names at all, and for a missing or empty
// validity period.
func (ca *CA) Issue(ctx context.Context, req ncm.IssueRequest) (*ncm.Issued, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	keyUsage, err := leafKeyUsage(req.PublicKey)
	if err != nil {
		return nil, err
	}
	names := req.DNSNames
	if cn := req.Subject.CommonName; cn != "" && !containsFold(names, cn) {
		names = append([]string{cn}, names...)
	}
	if len(names) == 0 {
		return nil, ncm.Invalid("DNSNames", "at least one DNS name (or a CN) is required")
	}

	notBefore, notAfter := req.NotBefore, req.NotAfter
	if notBefore.IsZero() {
		notBefore = ca.clock.Now()
	}
	if notAfter.IsZero() {
		return nil, ncm.Invalid("NotAfter", "required")
	}
	if notBefore.Before(ca.intermediate.NotBefore) {
		notBefore = ca.intermediate.NotBefore
	}
	if notAfter.After(ca.intermediate.NotAfter) {
		notAfter = ca.intermediate.NotAfter
	}
	if !notAfter.After(notBefore) {
		return nil, ncm.Invalid("NotAfter", "%s is not after NotBefore %s (issuing CA valid %s to %s)",
			notAfter.UTC().Format(time.RFC3339), notBefore.UTC().Format(time.RFC3339),
			ca.intermediate.NotBefore.Format(time.RFC3339), ca.intermediate.NotAfter.Format(time.RFC3339))
	}

	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(req.PublicKey)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               req.Subject,
		DNSNames:              names,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              keyUsage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          skid,
		// AuthorityKeyId is taken from the intermediate's SubjectKeyId.
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.intermediate, req.PublicKey, ca.intermediateKey)
	if err != nil {
		return nil, ncm.Internal(fmt.Errorf("sign leaf certificate: %w", err))
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return &ncm.Issued{
		Certificate:    leaf,
		CertificatePEM: encodePEM(der),
		ChainPEM:       ca.intermediatePEM + ca.rootPEM,
	}, nil
}

// leafKeyUsage checks the key type and returns the key usages for it: RSA
// keys may also encipher keys (RSA key exchange, RFC 5246 7.4.7.1).
func leafKeyUsage(pub crypto.PublicKey) (x509.KeyUsage, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return 0, ncm.Invalid("PublicKey", "required")
		}
		if k.N.BitLen() < minRSABits {
			return 0, ncm.Invalid("PublicKey", "RSA key of %d bits is too weak: use at least %d", k.N.BitLen(), minRSABits)
		}
		return x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return 0, ncm.Invalid("PublicKey", "required")
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return x509.KeyUsageDigitalSignature, nil
		}
		return 0, ncm.Invalid("PublicKey", "ECDSA curve %s is not supported: use P-256, P-384 or P-521", k.Curve.Params().Name)
	case nil:
		return 0, ncm.Invalid("PublicKey", "required")
	}
	return 0, ncm.Invalid("PublicKey", "key type %T is not supported: use RSA or ECDSA", pub)
}

func containsFold(names []string, name string) bool {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// serialLimit is 2^128: serials are 128 random bits (CA/Browser Forum
// Baseline Requirements 7.1 ask for at least 64).
var serialLimit = new(big.Int).Lsh(big.NewInt(1), 128)

// randomSerial returns a random positive serial number below 2^128.
func randomSerial() (*big.Int, error) {
	for {
		n, err := rand.Int(rand.Reader, serialLimit)
		if err != nil {
			return nil, ncm.Internal(err)
		}
		// RFC 5280 4.1.2.2: serial numbers are positive.
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// subjectKeyID derives a key identifier by RFC 7093 section 2 method 1: the
// leftmost 160 bits of the SHA-256 of the subjectPublicKey bit string. It is
// computed here rather than left to crypto/x509, which does so for CA
// certificates only.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, ncm.Invalid("PublicKey", "cannot encode the public key: %v", err)
	}
	var spki struct {
		Algorithm        pkix.AlgorithmIdentifier
		SubjectPublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, ncm.Internal(err)
	}
	sum := sha256.Sum256(spki.SubjectPublicKey.Bytes)
	return sum[:20], nil
}

func encodePEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
