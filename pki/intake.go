package pki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"

	"github.com/ncmhq/ncm"
)

// IntakeInput is an external certificate as a request carries it: three PEM
// texts and the names of the fields they came from, for messages.
type IntakeInput struct {
	// CertificateField is "certificateBody" (API 2.0) or
	// "publicKeyCertificate" (API 1.0).
	CertificateField string
	Certificate      string
	PrivateKey       string
	Chain            string
}

// Intake is an external certificate that passed every intake check, in the
// normalised form ncm stores.
type Intake struct {
	Leaf *x509.Certificate
	// Chain is the issuing certificates, leaf-up: the leaf's issuer first,
	// then its issuer, ending with the root only if it was uploaded.
	Chain []*x509.Certificate
	Key   crypto.Signer
	// KeyPEM is Key as one PKCS#8 "PRIVATE KEY" block.
	KeyPEM []byte
	// Metadata of the leaf, extracted once here.
	Metadata Metadata
	// Notes say what intake repaired or what a person should know
	// ("certificateChain was reordered leaf-up"). Empty when nothing.
	Notes []string
}

// CertificatePEM is the leaf as one LF-ended PEM block.
func (in *Intake) CertificatePEM() string { return EncodeCertificatesPEM(in.Leaf) }

// ChainPEM is the chain, leaf-up, as LF-ended PEM blocks; "" when there is
// no chain.
func (in *Intake) ChainPEM() string { return EncodeCertificatesPEM(in.Chain...) }

// Accept runs the whole intake pipeline on an uploaded certificate, its
// private key and its chain:
//
//   - the certificate field must hold exactly one certificate (C01), read
//     leniently (ReadBlocks: CRLF, BOM, glued blocks, escapes; C05, C07);
//   - the private key is required, in any form ParsePrivateKey reads (C10),
//     never encrypted (C12), and must be the leaf's (26040, C03);
//   - an absent, empty or whitespace-only chain is no chain (C02), one rule
//     for all three;
//   - otherwise the chain is built with BuildChain (C20).
//
// Errors are *ncm.Error values naming the field, with NCP's codes: 1002 for
// text that is not PEM, 26034 for an unusable certificate or chain, 26040 for
// a key that does not match, ncm.CodeInvalidKey for an unreadable or
// encrypted key, and 2000 (EINVALID) for a missing field. Accept never
// panics, whatever the input (FuzzIntake).
func Accept(in IntakeInput) (*Intake, error) {
	field := in.CertificateField
	if field == "" {
		field = "certificateBody"
	}
	if strings.TrimSpace(in.Certificate) == "" {
		return nil, ncm.Invalid(field, "is required: the PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	if strings.TrimSpace(in.PrivateKey) == "" {
		return nil, ncm.Invalid("privateKey", "is required: the unencrypted PEM private key of the certificate")
	}
	leaf, err := ParseCertificate(field, in.Certificate)
	if err != nil {
		return nil, err
	}
	key, err := ParsePrivateKey("privateKey", in.PrivateKey)
	if err != nil {
		return nil, err
	}
	if err := CheckKeyMatch(leaf, key); err != nil {
		return nil, err
	}
	keyPEM, err := MarshalPrivateKeyPEM(key)
	if err != nil {
		return nil, err
	}
	out := &Intake{Leaf: leaf, Key: key, KeyPEM: keyPEM, Metadata: Describe(leaf)}
	if strings.TrimSpace(normaliseText(in.Chain)) != "" {
		certs, err := ParseCertificates("certificateChain", in.Chain)
		if err != nil {
			return nil, err
		}
		out.Chain, out.Notes, err = BuildChain("certificateChain", leaf, certs)
		if err != nil {
			return nil, err
		}
	}
	if len(out.Chain) == 0 && !selfSigned(leaf) {
		out.Notes = append(out.Notes, "no certificateChain was given; TLS clients that do not already have the issuer ("+
			out.Metadata.Issuer+") will fail with \"unable to get local issuer certificate\"")
	}
	return out, nil
}

// BuildChain orders certs, the chain uploaded for leaf, leaf-up: the leaf's
// issuer first, then each certificate's issuer, ending at a self-signed root
// or at the last issuer uploaded. A certificate signs the one below it when
// its subject is that certificate's issuer and its key verifies that
// certificate's signature.
//
// It repairs what has one meaning and says so in notes: an out-of-order
// chain is reordered (C20), the leaf repeated in the chain and a chain
// certificate uploaded twice are dropped. It refuses a certificate that is
// not on the path from the leaf, naming its 1-based position in field and
// its CN ("certificateChain: chain element 2 (CN=X) is not part of the path
// from the leaf"), with ncm.CodeInvalidCert; a missing link in the middle
// shows up as such an element.
func BuildChain(field string, leaf *x509.Certificate, certs []*x509.Certificate) (chain []*x509.Certificate, notes []string, err error) {
	type element struct {
		pos  int // 1-based position in the upload
		cert *x509.Certificate
	}
	var rest []element
	for i, c := range certs {
		switch {
		case bytes.Equal(c.Raw, leaf.Raw):
			notes = append(notes, fmt.Sprintf("%s element %d is the leaf certificate itself; it was dropped from the chain", field, i+1))
			continue
		case containsCert(certs[:i], c):
			notes = append(notes, fmt.Sprintf("%s element %d repeats an earlier element; the repeat was dropped", field, i+1))
			continue
		}
		rest = append(rest, element{i + 1, c})
	}
	uploaded := make([]int, 0, len(rest))
	for _, e := range rest {
		uploaded = append(uploaded, e.pos)
	}
	var order []int
	cur := leaf
	for len(rest) > 0 && !selfSigned(cur) {
		found := -1
		for i, e := range rest {
			if signs(e.cert, cur) {
				found = i
				break
			}
		}
		if found < 0 {
			break
		}
		chain = append(chain, rest[found].cert)
		order = append(order, rest[found].pos)
		cur = rest[found].cert
		rest = append(rest[:found], rest[found+1:]...)
	}
	if len(rest) > 0 {
		e := rest[0]
		why := "is not part of the path from the leaf"
		switch {
		case selfSigned(cur) && len(chain) > 0:
			why += " (the path already ends at the root " + describeName(cur) + ")"
		case len(chain) == 0:
			why += " (no uploaded certificate issued the leaf, whose issuer is " + FormatDN(leaf.Issuer) + ")"
		default:
			why += " (nothing uploaded issued " + describeName(cur) + "; a certificate may be missing, or this one belongs to another chain)"
		}
		return nil, nil, certError(field, "chain element %d (%s) %s; upload the leaf's issuer first, then its issuer, and so on", e.pos, describeName(e.cert), why)
	}
	if !slices.Equal(order, uploaded) {
		notes = append(notes, fmt.Sprintf("%s was reordered leaf-up (elements uploaded as %s, stored as %s)", field, joinInts(uploaded), joinInts(order)))
	}
	return chain, notes, nil
}

// signs reports whether parent issued child: names chain and the signature
// verifies. CheckSignatureFrom also requires parent to be a CA.
func signs(parent, child *x509.Certificate) bool {
	return bytes.Equal(parent.RawSubject, child.RawIssuer) && child.CheckSignatureFrom(parent) == nil
}

// selfSigned reports whether c is its own issuer: a root, or a self-signed
// leaf (which is no CA, so CheckSignatureFrom would refuse it).
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, l := range list {
		if bytes.Equal(l.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// describeName names a certificate for messages: "CN=..." or, without a CN,
// its subject DN.
func describeName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	if dn := FormatDN(c.Subject); dn != "" {
		return dn
	}
	return "empty subject"
}

func joinInts(a []int) string {
	s := make([]string, len(a))
	for i, n := range a {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}
