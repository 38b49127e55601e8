package httpapi_test

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"time"

	"github.com/ncmhq/ncm/pki"
)

// The isolation probes of the certificate routes (certificates.go), added
// to isolationProbes so that TestIsolationEveryRoute covers them: member B
// naming member A's certificate by number or name must get the answer it
// gets for a certificate that does not exist.
func init() {
	byNo := func(path, suffix string) []probe {
		return []probe{{"certificate", func(ref string, _ objects) (string, any) { return path + ref + suffix, nil }}}
	}
	byName := func(path string) []probe {
		return []probe{{"certificateName", func(ref string, _ objects) (string, any) {
			return path + "?certificateName=" + url.QueryEscape(ref), nil
		}}}
	}
	for route, probes := range map[string][]probe{
		"GET /api/v1/certificates": append(byName("/api/v1/certificates"),
			probe{"certificate", func(ref string, _ objects) (string, any) { return "/api/v1/certificates?certificateNo=" + ref, nil }}),
		// Creating names nothing of another member: names and duplicate
		// bodies are per member.
		"POST /api/v1/certificate/withExternal":      {},
		"DELETE /api/v1/certificate/{certificateNo}": byNo("/api/v1/certificate/", "?certificateName=a-cert"),
		// A renewal registration names a certificate by number.
		"POST /api/v2/certificate/withExternal": {{"certificate", func(ref string, o objects) (string, any) {
			return "/api/v2/certificate/withExternal", map[string]any{"certificateName": "a-cert", "certificateNo": ref,
				"certificateBody": selfSignedPEM(o["keyPEM"]), "privateKey": o["keyPEM"]}
		}}},
		"GET /api/v2/certificate/certificates":                            byName("/api/v2/certificate/certificates"),
		"GET /api/v2/certificate/getCertificates":                         byName("/api/v2/certificate/getCertificates"),
		"GET /api/v2/certificate/certificateTypes":                        {},
		"GET /api/v2/certificate/exportCertificate/{certificateNo}/chain": byNo("/api/v2/certificate/exportCertificate/", "/chain"),
		"POST /api/v2/certificate/exportCertificate/{certificateNo}": {{"certificate", func(ref string, _ objects) (string, any) {
			return "/api/v2/certificate/exportCertificate/" + ref, map[string]any{}
		}}},
		"DELETE /api/v2/certificate/deleteCertificate/{certificateNo}": byNo("/api/v2/certificate/deleteCertificate/", "?certificateName=a-cert"),
	} {
		isolationProbes[route] = probes
	}
}

// selfSignedPEM returns a fresh self-signed certificate for the PEM key, so
// a renewal probe passes intake and reaches the look-up of the number.
func selfSignedPEM(keyPEM string) string {
	key, err := pki.ParsePrivateKey("privateKey", keyPEM)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "probe.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
