package pki

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"strconv"
	"strings"

	"github.com/ncmhq/ncm"
)

// ParseCSR parses the one certificate signing request in pemText (field
// "csr"): a "CERTIFICATE REQUEST" block, or "NEW CERTIFICATE REQUEST" as
// older tools write it. The request must be self-signed correctly and its key
// must be RSA 2048..4096 bits or ECDSA P-256/P-384. Ed25519 is refused for
// CSRs because publicly trusted CAs (CA/Browser Forum Baseline Requirements
// §6.1.5) issue only for RSA and ECDSA keys, and an ACME upstream would
// refuse it later, after the order exists.
//
// Errors are EINVALID with ncm.CodeInvalidCSR and Field "csr"
// (ncm.CodeNotPEM when the PEM itself cannot be read).
func ParseCSR(pemText string) (*x509.CertificateRequest, error) {
	const field = "csr"
	blocks, err := readBlocks(field, pemText, "certificate request")
	if err != nil {
		return nil, err
	}
	for i, b := range blocks {
		if b.Type != "CERTIFICATE REQUEST" && b.Type != "NEW CERTIFICATE REQUEST" {
			return nil, csrError("PEM block %d is a %s, not a CERTIFICATE REQUEST", i+1, b.Type)
		}
	}
	if len(blocks) > 1 {
		return nil, csrError("contains %d certificate requests; send exactly one", len(blocks))
	}
	csr, err := x509.ParseCertificateRequest(blocks[0].Bytes)
	if err != nil {
		e := csrError("cannot parse the certificate request")
		e.Err = err
		return nil, e
	}
	if why := keyPolicy(csr.PublicKey, false); why != "" {
		return nil, csrError("%s", why)
	}
	if err := csr.CheckSignature(); err != nil {
		e := csrError("the certificate request's signature is invalid (the CSR was altered or not signed with its own key)")
		e.Err = err
		return nil, e
	}
	return csr, nil
}

func csrError(format string, args ...any) *ncm.Error {
	return fieldError("csr", ncm.CodeInvalidCSR, format, args...)
}

// isCertificateType reports whether a PEM block type holds an X.509
// certificate ("X509 CERTIFICATE" is what old OpenSSL versions wrote).
func isCertificateType(t string) bool { return t == "CERTIFICATE" || t == "X509 CERTIFICATE" }

// ParseCertificate parses the one certificate in pemText, the leaf sent in
// the field named field (certificateBody, or publicKeyCertificate in API
// 1.0). A full chain pasted there is refused rather than silently split (field
// case C01), and so is any other kind of block. Errors are EINVALID with
// ncm.CodeInvalidCert (ncm.CodeNotPEM when the PEM cannot be read); a negative
// serial number gets its own message (field case C14).
func ParseCertificate(field, pemText string) (*x509.Certificate, error) {
	blocks, err := readBlocks(field, pemText, "certificate")
	if err != nil {
		return nil, err
	}
	if err := onlyCertificates(field, blocks); err != nil {
		return nil, err
	}
	if len(blocks) > 1 {
		return nil, &ncm.Error{Kind: ncm.EINVALID, Code: ncm.CodeInvalidCert, Field: field,
			Message: field + " contains " + strconv.Itoa(len(blocks)) + " certificates; only the leaf belongs here, put the intermediates in certificateChain"}
	}
	return parseCertDER(field, "", blocks[0].Bytes)
}

// ParseCertificates parses every certificate in pemText, in the order given,
// for chain fields. Each error names the certificate's position (1-based, the
// same as its PEM block number).
func ParseCertificates(field, pemText string) ([]*x509.Certificate, error) {
	blocks, err := readBlocks(field, pemText, "certificate")
	if err != nil {
		return nil, err
	}
	if err := onlyCertificates(field, blocks); err != nil {
		return nil, err
	}
	certs := make([]*x509.Certificate, len(blocks))
	for i, b := range blocks {
		where := "certificate " + strconv.Itoa(i+1) + " of " + strconv.Itoa(len(blocks)) + ": "
		if certs[i], err = parseCertDER(field, where, b.Bytes); err != nil {
			return nil, err
		}
	}
	return certs, nil
}

// onlyCertificates refuses blocks that are not certificates; a private key
// pasted beside the certificate must not be stored as part of it.
func onlyCertificates(field string, blocks []*pem.Block) error {
	for i, b := range blocks {
		if !isCertificateType(b.Type) {
			return certError(field, "PEM block %d is a %s, not a CERTIFICATE; only certificates belong here", i+1, b.Type)
		}
	}
	return nil
}

// parseCertDER parses one certificate; where prefixes error details.
func parseCertDER(field, where string, der []byte) (*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(der)
	if err == nil {
		return cert, nil
	}
	if negativeSerial(der) {
		// Go refuses these since 1.23; say why instead of "cannot parse".
		return nil, certError(field, "%scertificate serial number is negative, which RFC 5280 forbids; re-issue the certificate", where)
	}
	e := certError(field, "%scannot parse the certificate", where)
	e.Err = err
	return nil, e
}

// negativeSerial reports whether der is shaped like a certificate whose
// serialNumber INTEGER has its sign bit set. It reads the structure instead
// of matching x509's error text, which is not part of its API.
func negativeSerial(der []byte) bool {
	var cert, tbs, el asn1.RawValue
	if _, err := asn1.Unmarshal(der, &cert); err != nil {
		return false
	}
	if _, err := asn1.Unmarshal(cert.Bytes, &tbs); err != nil {
		return false
	}
	rest, err := asn1.Unmarshal(tbs.Bytes, &el)
	if err != nil {
		return false
	}
	if el.Class == asn1.ClassContextSpecific && el.Tag == 0 { // [0] version
		if _, err := asn1.Unmarshal(rest, &el); err != nil {
			return false
		}
	}
	return el.Class == asn1.ClassUniversal && el.Tag == asn1.TagInteger && len(el.Bytes) > 0 && el.Bytes[0]&0x80 != 0
}

func certError(field, format string, args ...any) *ncm.Error {
	return fieldError(field, ncm.CodeInvalidCert, format, args...)
}

// EncodeCertificatesPEM encodes certs as consecutive "CERTIFICATE" blocks
// with LF line endings, whatever line endings the upload had.
func EncodeCertificatesPEM(certs ...*x509.Certificate) string {
	var sb strings.Builder
	for _, c := range certs {
		// pem.Encode to a strings.Builder cannot fail.
		_ = pem.Encode(&sb, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return sb.String()
}
