package pki

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Export is a stored certificate ready to be written out: leaf, chain
// (leaf-up, as stored) and the private key when one is registered.
type Export struct {
	Leaf  *x509.Certificate
	Chain []*x509.Certificate
	// Key is nil when no private key is registered.
	Key crypto.Signer
	// Name is the friendly name (PFX) and alias (JKS): the certificate's
	// name in ncm.
	Name string
}

// Names of the files in the download ZIP (docs/compat.md).
const (
	FileCertificate = "certificate.pem"
	FileChain       = "chain.pem"
	FileFullChain   = "fullchain.pem"
	FilePrivateKey  = "private-key.pem"
	FilePFX         = "certificate.pfx"
	FileJKS         = "keystore.jks"
)

// PFX encodings. PFXModern is go-pkcs12's Modern2023 (PBES2 with
// AES-256-CBC and PBKDF2-SHA256, SHA-256 MAC), readable by OpenSSL 1.1.1+,
// Java 12+ and Windows Server 2019+. PFXLegacy is LegacyDES (3DES and a
// SHA-1 MAC), for Windows Server 2016 and older Java (field case C32).
const (
	PFXModern = "Modern2023"
	PFXLegacy = "LegacyDES"
)

// PEMZip returns the ZIP of the PEM download: certificate.pem (the leaf),
// chain.pem (the chain leaf-up; empty when there is none), fullchain.pem
// (leaf then chain, what nginx wants) and private-key.pem (PKCS#8) when a
// key is registered. All PEM has LF line endings.
func PEMZip(e Export) ([]byte, error) {
	files := []zipFile{
		{FileCertificate, []byte(EncodeCertificatesPEM(e.Leaf))},
		{FileChain, []byte(EncodeCertificatesPEM(e.Chain...))},
		{FileFullChain, []byte(EncodeCertificatesPEM(append([]*x509.Certificate{e.Leaf}, e.Chain...)...))},
	}
	if e.Key != nil {
		keyPEM, err := MarshalPrivateKeyPEM(e.Key)
		if err != nil {
			return nil, err
		}
		files = append(files, zipFile{FilePrivateKey, keyPEM})
	}
	return writeZip(files)
}

// PFX returns a PKCS#12 file holding the key, the leaf and the chain in
// leaf-up order (field case C35), encrypted under password with the given
// encoding (PFXModern or PFXLegacy, any case; empty is PFXModern). A registered key and a non-empty
// password are required. go-pkcs12 sets no friendly name on the key and
// leaf bags; the leaf and key share a localKeyID.
func PFX(e Export, password, encoding string) ([]byte, error) {
	var enc *pkcs12.Encoder
	switch {
	case encoding == "" || strings.EqualFold(encoding, PFXModern):
		enc = pkcs12.Modern2023
	case strings.EqualFold(encoding, PFXLegacy):
		enc = pkcs12.LegacyDES
	default:
		return nil, ncm.Invalid("pfxEncoding", "must be %s (default) or %s, got %q", PFXModern, PFXLegacy, encoding)
	}
	if err := needKeyAndPassword(e, password); err != nil {
		return nil, err
	}
	b, err := enc.WithRand(rand.Reader).Encode(e.Key, e.Leaf, e.Chain, password)
	if err != nil {
		return nil, ncm.Internal(fmt.Errorf("pki: encode PFX: %w", err))
	}
	return b, nil
}

// PFXZip is PFX inside a ZIP as certificate.pfx.
func PFXZip(e Export, password, encoding string) ([]byte, error) {
	b, err := PFX(e, password, encoding)
	if err != nil {
		return nil, err
	}
	return writeZip([]zipFile{{FilePFX, b}})
}

// JKSZip is JKS inside a ZIP as keystore.jks.
func JKSZip(e Export, password string, created time.Time) ([]byte, error) {
	b, err := JKS(e, password, created)
	if err != nil {
		return nil, err
	}
	return writeZip([]zipFile{{FileJKS, b}})
}

func needKeyAndPassword(e Export, password string) error {
	if e.Key == nil {
		return ncm.Errorf(ncm.ECONFLICT, ncm.CodeBadState, "the certificate has no registered private key; PFX and JKS need one (download type PEM instead)")
	}
	if password == "" {
		return ncm.Invalid("passwd", "is required for PFX and JKS downloads")
	}
	return nil
}

type zipFile struct {
	name string
	data []byte
}

// writeZip writes files into a ZIP with a fixed modification time, so the
// same content always gives the same archive.
func writeZip(files []zipFile) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate,
			Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return nil, ncm.Internal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, ncm.Internal(err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, ncm.Internal(err)
	}
	return buf.Bytes(), nil
}
