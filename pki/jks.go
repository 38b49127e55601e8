package pki

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/ncmhq/ncm"
)

// The JKS format is Sun's original Java keystore (sun.security.provider.
// JavaKeyStore). It is simple and stable, and keytool and every Java since
// 1.2 read it:
//
//	magic 0xFEEDFEED, version 2, entry count      (big-endian uint32s)
//	per entry: tag 1 (private key), alias (Java modified UTF-8 with a
//	  uint16 length), creation time (uint64 ms), the protected key as DER
//	  EncryptedPrivateKeyInfo (uint32 length), the chain (uint32 count, then
//	  per certificate: type "X.509" and the DER with a uint32 length)
//	SHA-1 over (password as UTF-16BE, "Mighty Aphrodite", everything above)
const (
	jksMagic           = 0xFEEDFEED
	jksVersion         = 2
	jksPrivateKeyEntry = 1
	jksWhitener        = "Mighty Aphrodite" // Sun's constant in the integrity hash
)

// oidSunKeyProtector is the algorithm of Sun's KeyProtector (SHA-1
// keystream XOR), 1.3.6.1.4.1.42.2.17.1.1.
var oidSunKeyProtector = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 42, 2, 17, 1, 1}

// JKS returns a JKS keystore with one PrivateKeyEntry: the key and its chain
// leaf first (field case C35), under alias Export.Name (lower-cased, as JKS
// aliases are), created at created. The key is protected with the store
// password, which is what keytool assumes. A registered key and a non-empty
// password are required.
//
// JKS protects keys with a SHA-1 keystream, which is weak; it exists for
// software that reads nothing else. Prefer PFX.
func JKS(e Export, password string, created time.Time) ([]byte, error) {
	if err := needKeyAndPassword(e, password); err != nil {
		return nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(e.Key)
	if err != nil {
		return nil, ncm.Internal(fmt.Errorf("pki: marshal key for JKS: %w", err))
	}
	pw := utf16BE(password)
	protected, err := protectJKSKey(pkcs8, pw)
	if err != nil {
		return nil, err
	}
	alias := strings.ToLower(e.Name)
	if alias == "" {
		alias = "certificate"
	}

	var b bytes.Buffer
	u32 := func(v uint32) { _ = binary.Write(&b, binary.BigEndian, v) }
	utf := func(s string) {
		m := javaUTF(s)
		_ = binary.Write(&b, binary.BigEndian, uint16(len(m)))
		b.Write(m)
	}
	u32(jksMagic)
	u32(jksVersion)
	u32(1)
	u32(jksPrivateKeyEntry)
	utf(alias)
	_ = binary.Write(&b, binary.BigEndian, uint64(created.UnixMilli()))
	u32(uint32(len(protected)))
	b.Write(protected)
	certs := append([]*x509.Certificate{e.Leaf}, e.Chain...)
	u32(uint32(len(certs)))
	for _, c := range certs {
		utf("X.509")
		u32(uint32(len(c.Raw)))
		b.Write(c.Raw)
	}
	h := sha1.New()
	h.Write(pw)
	h.Write([]byte(jksWhitener))
	h.Write(b.Bytes())
	b.Write(h.Sum(nil))
	return b.Bytes(), nil
}

// protectJKSKey is Sun's KeyProtector.protect: a random 20-byte salt, the
// key XORed with the keystream SHA1(pw||salt), SHA1(pw||previous), ..., and
// SHA1(pw||key) as a check value, wrapped in an EncryptedPrivateKeyInfo.
func protectJKSKey(plain, pw []byte) ([]byte, error) {
	salt := make([]byte, sha1.Size)
	if _, err := rand.Read(salt); err != nil {
		return nil, ncm.Internal(err)
	}
	out := make([]byte, 0, len(salt)+len(plain)+sha1.Size)
	out = append(out, salt...)
	digest := salt
	for off := 0; off < len(plain); off += sha1.Size {
		h := sha1.New()
		h.Write(pw)
		h.Write(digest)
		digest = h.Sum(nil)
		for i := 0; i < sha1.Size && off+i < len(plain); i++ {
			out = append(out, plain[off+i]^digest[i])
		}
	}
	check := sha1.New()
	check.Write(pw)
	check.Write(plain)
	out = check.Sum(out)

	der, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		Data      []byte
	}{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidSunKeyProtector, Parameters: asn1.NullRawValue},
		Data:      out,
	})
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return der, nil
}

// utf16BE is the password as Java's char[] bytes: UTF-16, big-endian.
func utf16BE(s string) []byte {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// javaUTF is Java's modified UTF-8 (DataOutput.writeUTF): NUL as two bytes
// and characters outside the BMP as two 3-byte surrogates.
func javaUTF(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		switch {
		case u != 0 && u < 0x80:
			b = append(b, byte(u))
		case u < 0x800:
			b = append(b, byte(0xC0|u>>6), byte(0x80|u&0x3F))
		default:
			b = append(b, byte(0xE0|u>>12), byte(0x80|(u>>6)&0x3F), byte(0x80|u&0x3F))
		}
	}
	return b
}
