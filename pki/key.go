package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/ncmhq/ncm"
)

// Key sizes accepted for RSA. 2048 is the CA/Browser Forum minimum; above
// 4096 bits verification gets slow and no public CA issues for such keys.
const (
	MinRSABits = 2048
	MaxRSABits = 4096
)

// keyPolicy returns "" if pub is acceptable, else the reason it is not.
// RSA keys need MinRSABits..MaxRSABits bits and an odd public exponent above
// 1; ECDSA keys P-256 or P-384; Ed25519 only when allowEd25519.
func keyPolicy(pub crypto.PublicKey, allowEd25519 bool) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
			return fmt.Sprintf("RSA key has %d bits; keys must have %d to %d bits", bits, MinRSABits, MaxRSABits)
		}
		if k.E <= 1 || k.E%2 == 0 {
			return fmt.Sprintf("RSA public exponent %d is not allowed; use 65537", k.E)
		}
		return ""
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() || k.Curve == elliptic.P384() {
			return ""
		}
		return fmt.Sprintf("ECDSA curve %s is not allowed; use P-256 or P-384", k.Curve.Params().Name)
	case ed25519.PublicKey:
		if allowEd25519 {
			return ""
		}
		return "Ed25519 keys are not allowed here; public CAs issue only for RSA and ECDSA keys, use RSA 2048+ or ECDSA P-256/P-384"
	}
	use := "RSA 2048-4096 or ECDSA P-256/P-384"
	if allowEd25519 {
		use += " or Ed25519"
	}
	if pub == nil {
		return "the key algorithm is not supported; use " + use
	}
	return fmt.Sprintf("key type %T is not supported; use %s", pub, use)
}

// DescribeKey returns the short form of a public key used in metadata and
// listings: "RSA 2048", "EC P-256", "EC P-384", "Ed25519". Other keys give
// their Go type.
func DescribeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

// Block types that hold a private key.
const (
	typePKCS8          = "PRIVATE KEY"
	typePKCS1          = "RSA PRIVATE KEY"
	typeSEC1           = "EC PRIVATE KEY"
	typeEncryptedPKCS8 = "ENCRYPTED PRIVATE KEY"
	typeECParameters   = "EC PARAMETERS"
)

// ParsePrivateKey parses the one private key in pemText, the value of the
// request field named field. Accepted: PKCS#1 "RSA PRIVATE KEY", PKCS#8
// "PRIVATE KEY" (RSA, ECDSA, Ed25519) and SEC1 "EC PRIVATE KEY", the latter
// with or without the "EC PARAMETERS" block that `openssl ecparam -genkey`
// writes in front of it. A block labelled with the wrong one of these three
// types is still read, as tls.X509KeyPair does, since the DER tells them
// apart.
//
// The key must be RSA 2048..4096 bits, ECDSA P-256/P-384 or Ed25519.
// Encrypted keys (PKCS#8 "ENCRYPTED PRIVATE KEY" or legacy PEM with a
// "Proc-Type: 4,ENCRYPTED" header) are refused with their own message, since
// the API has no passphrase field. Errors are EINVALID with
// ncm.CodeInvalidKey (ncm.CodeNotPEM for unreadable PEM); more than one key,
// or a block of another kind, is refused.
func ParsePrivateKey(field, pemText string) (crypto.Signer, error) {
	blocks, err := readBlocks(field, pemText, "private key")
	if err != nil {
		return nil, err
	}
	var keyBlock *pem.Block
	keyNo := 0
	for i, b := range blocks {
		switch b.Type {
		case typeECParameters:
			// Only names the curve, which the SEC1 key repeats.
			continue
		case typeEncryptedPKCS8:
			return nil, encryptedKey(field)
		case typePKCS8, typePKCS1, typeSEC1:
			if strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
				return nil, encryptedKey(field)
			}
			if keyBlock != nil {
				return nil, keyError(field, "contains more than one private key (PEM blocks %d and %d); upload exactly one", keyNo, i+1)
			}
			keyBlock, keyNo = b, i+1
		default:
			return nil, keyError(field, "PEM block %d is a %s, not a private key; only the private key belongs here", i+1, b.Type)
		}
	}
	if keyBlock == nil {
		return nil, keyError(field, "contains no private key block (-----BEGIN PRIVATE KEY-----)")
	}
	key, err := parseKeyDER(keyBlock)
	if err != nil {
		e := keyError(field, "cannot parse private key in PEM block %d (%s)", keyNo, keyBlock.Type)
		e.Err = err
		return nil, e
	}
	if why := keyPolicy(key.Public(), true); why != "" {
		return nil, keyError(field, "%s", why)
	}
	return key, nil
}

// parseKeyDER tries the form the block type names first, then the others.
func parseKeyDER(b *pem.Block) (crypto.Signer, error) {
	order := []string{typePKCS8, typePKCS1, typeSEC1}
	for i, t := range order {
		if t == b.Type {
			order[0], order[i] = order[i], order[0]
		}
	}
	var first error
	for _, t := range order {
		var key any
		var err error
		switch t {
		case typePKCS8:
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case typePKCS1:
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case typeSEC1:
			key, err = x509.ParseECPrivateKey(b.Bytes)
		}
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("key type %T cannot sign", key)
		}
		return signer, nil
	}
	return nil, first
}

func encryptedKey(field string) *ncm.Error {
	return &ncm.Error{Kind: ncm.EINVALID, Code: ncm.CodeInvalidKey, Field: field,
		Message: field + " is encrypted; decrypt it first and upload the unencrypted key"}
}

func keyError(field, format string, args ...any) *ncm.Error {
	return fieldError(field, ncm.CodeInvalidKey, format, args...)
}

// MarshalPrivateKeyPEM encodes key as one PKCS#8 "PRIVATE KEY" PEM block, the
// single form ncm stores and exports whatever form was uploaded.
func MarshalPrivateKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, ncm.Internal(fmt.Errorf("pki: marshal private key: %w", err))
	}
	return pem.EncodeToMemory(&pem.Block{Type: typePKCS8, Bytes: der}), nil
}

// CheckKeyMatch reports whether key is the private half of cert's public
// key. A mismatch, including keys of different algorithms, is EINVALID with
// ncm.CodeKeyMismatch on field "privateKey" and NCP's own wording, which
// clients may match on.
func CheckKeyMatch(cert *x509.Certificate, key crypto.Signer) error {
	if cert == nil || key == nil {
		return ncm.Internal(fmt.Errorf("pki: CheckKeyMatch needs a certificate and a key"))
	}
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return &ncm.Error{Kind: ncm.EINVALID, Code: ncm.CodeKeyMismatch, Field: "privateKey",
			Message: "Public key in certificate does not match with private key"}
	}
	return nil
}
