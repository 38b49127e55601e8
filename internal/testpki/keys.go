package testpki

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"testing"
)

// PKCS1PEM encodes an RSA key as a PKCS#1 "RSA PRIVATE KEY" block.
func PKCS1PEM(tb testing.TB, key crypto.Signer) string {
	tb.Helper()
	k, ok := key.(*rsa.PrivateKey)
	if !ok {
		tb.Fatalf("testpki: PKCS1PEM needs an RSA key, got %T", key)
	}
	return encode("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
}

// PKCS8PEM encodes any key as a PKCS#8 "PRIVATE KEY" block.
func PKCS8PEM(tb testing.TB, key crypto.Signer) string {
	tb.Helper()
	return encode("PRIVATE KEY", pkcs8(tb, key))
}

// SEC1PEM encodes an ECDSA key as a SEC1 "EC PRIVATE KEY" block.
func SEC1PEM(tb testing.TB, key crypto.Signer) string {
	tb.Helper()
	return encode("EC PRIVATE KEY", sec1(tb, key))
}

// SEC1WithParamsPEM is SEC1PEM preceded by the "EC PARAMETERS" block naming
// the curve, as `openssl ecparam -genkey` writes it.
func SEC1WithParamsPEM(tb testing.TB, key crypto.Signer) string {
	tb.Helper()
	der := sec1(tb, key)
	oid := map[elliptic.Curve]asn1.ObjectIdentifier{
		elliptic.P256(): {1, 2, 840, 10045, 3, 1, 7},
		elliptic.P384(): {1, 3, 132, 0, 34},
		elliptic.P521(): {1, 3, 132, 0, 35},
	}[key.(*ecdsa.PrivateKey).Curve]
	params, err := asn1.Marshal(oid)
	if err != nil {
		tb.Fatalf("testpki: marshal curve OID: %v", err)
	}
	return encode("EC PARAMETERS", params) + encode("EC PRIVATE KEY", der)
}

// EncryptedLegacyPEM encrypts the key's traditional form (PKCS#1 for RSA,
// SEC1 for ECDSA) the legacy OpenSSL way: AES-256-CBC with "Proc-Type:
// 4,ENCRYPTED" and "DEK-Info" headers.
func EncryptedLegacyPEM(tb testing.TB, key crypto.Signer, password string) string {
	tb.Helper()
	typ, der := "EC PRIVATE KEY", []byte(nil)
	if k, ok := key.(*rsa.PrivateKey); ok {
		typ, der = "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)
	} else {
		der = sec1(tb, key)
	}
	// Deprecated in x509 because the format is weak; here it is the input under test.
	block, err := x509.EncryptPEMBlock(rand.Reader, typ, der, []byte(password), x509.PEMCipherAES256)
	if err != nil {
		tb.Fatalf("testpki: encrypt PEM block: %v", err)
	}
	return string(pem.EncodeToMemory(block))
}

// Object identifiers of RFC 8018 (PBES2) and NIST AES.
var (
	oidPBES2          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidAES256CBC      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

// EncryptedPKCS8PEM encrypts the key's PKCS#8 form as a real PKCS#8
// "ENCRYPTED PRIVATE KEY" (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), what
// `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes.
func EncryptedPKCS8PEM(tb testing.TB, key crypto.Signer, password string) string {
	tb.Helper()
	salt, iv := make([]byte, 16), make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		tb.Fatal(err)
	}
	if _, err := rand.Read(iv); err != nil {
		tb.Fatal(err)
	}
	const iterations = 2048
	dk, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		tb.Fatalf("testpki: pbkdf2: %v", err)
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		tb.Fatal(err)
	}
	plain := pkcs8(tb, key)
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	for range pad {
		plain = append(plain, byte(pad))
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(plain, plain)

	type pbkdf2Params struct {
		Salt       []byte
		Iterations int
		PRF        pkix.AlgorithmIdentifier
	}
	type pbes2Params struct {
		KDF, Scheme pkix.AlgorithmIdentifier
	}
	kdf := mustMarshal(tb, pbkdf2Params{salt, iterations,
		pkix.AlgorithmIdentifier{Algorithm: oidHMACWithSHA256, Parameters: asn1.NullRawValue}})
	params := mustMarshal(tb, pbes2Params{
		KDF:    pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		Scheme: pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: mustMarshal(tb, iv)}},
	})
	der := mustMarshal(tb, struct {
		Alg  pkix.AlgorithmIdentifier
		Data []byte
	}{pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}}, plain})
	return encode("ENCRYPTED PRIVATE KEY", der)
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	der, err := asn1.Marshal(v)
	if err != nil {
		tb.Fatalf("testpki: asn1: %v", err)
	}
	return der
}

func pkcs8(tb testing.TB, key crypto.Signer) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatalf("testpki: marshal PKCS#8: %v", err)
	}
	return der
}

func sec1(tb testing.TB, key crypto.Signer) []byte {
	tb.Helper()
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		tb.Fatalf("testpki: SEC1 needs an ECDSA key, got %T", key)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		tb.Fatalf("testpki: marshal SEC1: %v", err)
	}
	return der
}

func encode(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}
