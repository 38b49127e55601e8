package pki_test

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/pki"
)

// seedSubject is the subject of the seed document's example.
var seedSubject = pkix.Name{
	CommonName:   "example.com",
	Organization: []string{"Example Corporation"},
	Locality:     []string{"Sample-city"},
	Province:     []string{"Sample-state"},
	Country:      []string{"KR"},
}

func TestDescribe(t *testing.T) {
	rsaKey := testpki.MustKey(t, testpki.RSA2048)
	ca := testpki.NewCAWithKey(t, "Example CA", testpki.MustKeyN(t, testpki.RSA2048, 1))
	notBefore := time.Date(2026, 2, 28, 15, 0, 0, 0, time.UTC)
	notAfter := time.Date(2026, 5, 29, 14, 59, 59, 0, time.UTC)
	leaf := ca.Leaf(t, rsaKey, testpki.LeafOptions{
		Subject:   seedSubject,
		DNSNames:  []string{"www.example.com", "example.com", "api.example.com"},
		NotBefore: notBefore.In(time.FixedZone("KST", 9*3600)),
		NotAfter:  notAfter,
		Serial:    big.NewInt(0xA1B),
	})
	sum := sha256.Sum256(leaf.Raw)

	got := pki.Describe(leaf)
	want := pki.Metadata{
		CommonName:         "example.com",
		DNSNames:           []string{"www.example.com", "example.com", "api.example.com"},
		SubjectDN:          "cn=example.com,o=Example Corporation,l=Sample-city,s=Sample-state,c=KR",
		Issuer:             "cn=Example CA,o=ncm test",
		SerialNumber:       "0A1B",
		SignatureAlgorithm: "SHA256withRSA",
		PublicKeyInfo:      "RSA 2048",
		Fingerprint:        hex.EncodeToString(sum[:]),
		NotBefore:          notBefore,
		NotAfter:           notAfter,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Describe mismatch (-want +got):\n%s", diff)
	}
	if got.NotBefore.Location() != time.UTC {
		t.Errorf("NotBefore location=%v, want UTC", got.NotBefore.Location())
	}
}

// selfSignedWith creates a self-signed certificate with the given template
// changes, for signature algorithms and subjects testpki does not offer.
func selfSignedWith(tb testing.TB, key crypto.Signer, edit func(*x509.Certificate)) *x509.Certificate {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x7F),
		Subject:      pkix.Name{CommonName: "algo.example.test"},
		NotBefore:    testpki.Now,
		NotAfter:     testpki.Now.AddDate(0, 0, 30),
	}
	edit(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatalf("CreateCertificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("ParseCertificate: %v", err)
	}
	return cert
}

func TestDescribeAlgorithms(t *testing.T) {
	tests := []struct {
		name     string
		kind     testpki.KeyKind
		alg      x509.SignatureAlgorithm
		wantAlg  string
		wantInfo string
	}{
		{"RSA/SHA256", testpki.RSA2048, x509.SHA256WithRSA, "SHA256withRSA", "RSA 2048"},
		{"RSA/SHA384", testpki.RSA2048, x509.SHA384WithRSA, "SHA384withRSA", "RSA 2048"},
		{"RSA/SHA512", testpki.RSA4096, x509.SHA512WithRSA, "SHA512withRSA", "RSA 4096"},
		{"RSA/PSS", testpki.RSA2048, x509.SHA256WithRSAPSS, "SHA256withRSA/PSS", "RSA 2048"},
		{"EC/P256", testpki.P256, x509.ECDSAWithSHA256, "SHA256withECDSA", "EC P-256"},
		{"EC/P384", testpki.P384, x509.ECDSAWithSHA384, "SHA384withECDSA", "EC P-384"},
		{"EC/SHA512", testpki.P384, x509.ECDSAWithSHA512, "SHA512withECDSA", "EC P-384"},
		{"Ed25519", testpki.Ed25519, x509.PureEd25519, "Ed25519", "Ed25519"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cert := selfSignedWith(t, testpki.MustKey(t, tc.kind), func(c *x509.Certificate) { c.SignatureAlgorithm = tc.alg })
			m := pki.Describe(cert)
			if m.SignatureAlgorithm != tc.wantAlg || m.PublicKeyInfo != tc.wantInfo {
				t.Errorf("SignatureAlgorithm, PublicKeyInfo = %q, %q; want %q, %q", m.SignatureAlgorithm, m.PublicKeyInfo, tc.wantAlg, tc.wantInfo)
			}
			if m.SerialNumber != "7F" {
				t.Errorf("SerialNumber=%q, want 7F", m.SerialNumber)
			}
		})
	}
}

func TestFormatDN(t *testing.T) {
	oidEmail := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidCustom := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 60, 2, 1, 3}
	tests := []struct {
		name string
		in   pkix.Name
		want string
	}{
		{"ok/SeedOrder", seedSubject, "cn=example.com,o=Example Corporation,l=Sample-city,s=Sample-state,c=KR"},
		{"ok/AllKeys", pkix.Name{
			CommonName: "a", OrganizationalUnit: []string{"b"}, Organization: []string{"c"}, StreetAddress: []string{"d"},
			Locality: []string{"e"}, Province: []string{"f"}, PostalCode: []string{"06236"}, Country: []string{"KR"},
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidEmail, Value: "admin@example.test"}},
		}, "e=admin@example.test,cn=a,ou=b,o=c,postalcode=06236,street=d,l=e,s=f,c=KR"},
		{"ok/UnknownOID", pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCustom, Value: "KR"}}}, "1.3.6.1.4.1.311.60.2.1.3=KR"},
		{"ok/Escaping", pkix.Name{CommonName: `a,b+c"d\e<f>g;h`, Organization: []string{"#hash"}, Locality: []string{" padded "}},
			`cn=a\,b\+c\"d\\e\<f\>g\;h,o=\#hash,l=\ padded\ `},
		{"ok/Empty", pkix.Name{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := pki.FormatDN(tc.in); got != tc.want {
				t.Errorf("FormatDN=%q, want %q", got, tc.want)
			}
		})
	}

	t.Run("ok/ParsedOrderKept", func(t *testing.T) {
		// Encoded most specific first, the reverse of the usual order:
		// the output follows the encoding, not a fixed key order.
		raw, err := asn1.Marshal(pkix.RDNSequence{
			{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "example.com"}},
			{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "KR"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		cert := selfSignedWith(t, testpki.MustKey(t, testpki.P256), func(c *x509.Certificate) { c.RawSubject = raw })
		if got, want := pki.FormatDN(cert.Subject), "c=KR,cn=example.com"; got != want {
			t.Errorf("FormatDN=%q, want %q", got, want)
		}
		if got, want := pki.Describe(cert).SubjectDN, "c=KR,cn=example.com"; got != want {
			t.Errorf("SubjectDN=%q, want %q", got, want)
		}
	})
	t.Run("ok/MultiValuedRDN", func(t *testing.T) {
		raw, err := asn1.Marshal(pkix.RDNSequence{
			{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "KR"}},
			{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "example.com"}, {Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "Web"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		cert := selfSignedWith(t, testpki.MustKey(t, testpki.P256), func(c *x509.Certificate) { c.RawSubject = raw })
		// DER sorts the members of a SET, so OU (shorter encoding) comes first.
		if got, want := pki.Describe(cert).SubjectDN, "ou=Web+cn=example.com,c=KR"; got != want {
			t.Errorf("SubjectDN=%q, want %q", got, want)
		}
	})
}
