package pki

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Metadata is what ncm stores about a certificate beside its PEM, extracted
// once at intake so that listings never parse PEM again.
type Metadata struct {
	CommonName string   // subject CN, "" if none
	DNSNames   []string // SAN DNS names in certificate order

	SubjectDN          string // FormatDN form: "cn=example.com,o=Example Corporation,c=KR"
	Issuer             string // FormatDN form of the issuer
	SerialNumber       string // upper-case hex, even number of digits, no separators
	SignatureAlgorithm string // Java-style name, see SignatureAlgorithmName
	PublicKeyInfo      string // DescribeKey form: "RSA 2048", "EC P-256", "Ed25519"
	Fingerprint        string // lower-case hex SHA-256 of the DER

	NotBefore, NotAfter time.Time // in UTC
}

// Describe extracts the Metadata of cert. The DNs are formatted from the
// certificate's raw subject and issuer, so their order and multi-valued RDNs
// are exactly as encoded.
func Describe(cert *x509.Certificate) Metadata {
	return Metadata{
		CommonName:         cert.Subject.CommonName,
		DNSNames:           append([]string(nil), cert.DNSNames...),
		SubjectDN:          formatRaw(cert.RawSubject, cert.Subject),
		Issuer:             formatRaw(cert.RawIssuer, cert.Issuer),
		SerialNumber:       FormatSerial(cert),
		SignatureAlgorithm: SignatureAlgorithmName(cert.SignatureAlgorithm),
		PublicKeyInfo:      DescribeKey(cert.PublicKey),
		Fingerprint:        Fingerprint(cert),
		NotBefore:          cert.NotBefore.UTC(),
		NotAfter:           cert.NotAfter.UTC(),
	}
}

// Fingerprint returns the lower-case hex SHA-256 of cert's DER. It is the
// same whatever line endings or surrounding text the PEM had, so it detects
// a certificate uploaded twice.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// FormatSerial returns cert's serial number in upper-case hex with an even
// number of digits and no separators ("0A1B"), as NCP shows it.
func FormatSerial(cert *x509.Certificate) string {
	if cert.SerialNumber == nil {
		return ""
	}
	s := strings.ToUpper(cert.SerialNumber.Text(16))
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

// SignatureAlgorithmName returns the name a Java backend (as NCP's is) prints
// for alg: "SHA256withRSA", "SHA384withECDSA", "SHA256withRSA/PSS", "Ed25519".
// Algorithms without such a name give x509's own String().
func SignatureAlgorithmName(alg x509.SignatureAlgorithm) string {
	switch alg {
	case x509.MD5WithRSA:
		return "MD5withRSA"
	case x509.SHA1WithRSA:
		return "SHA1withRSA"
	case x509.SHA256WithRSA:
		return "SHA256withRSA"
	case x509.SHA384WithRSA:
		return "SHA384withRSA"
	case x509.SHA512WithRSA:
		return "SHA512withRSA"
	case x509.ECDSAWithSHA1:
		return "SHA1withECDSA"
	case x509.ECDSAWithSHA256:
		return "SHA256withECDSA"
	case x509.ECDSAWithSHA384:
		return "SHA384withECDSA"
	case x509.ECDSAWithSHA512:
		return "SHA512withECDSA"
	case x509.SHA256WithRSAPSS:
		return "SHA256withRSA/PSS"
	case x509.SHA384WithRSAPSS:
		return "SHA384withRSA/PSS"
	case x509.SHA512WithRSAPSS:
		return "SHA512withRSA/PSS"
	case x509.PureEd25519:
		return "Ed25519"
	}
	return alg.String()
}

// dnKeys are the attribute names used in DNs, lower case as in NCP's
// subjectDN ("s" for stateOrProvinceName, "e" for emailAddress).
var dnKeys = map[string]string{
	"2.5.4.3":                    "cn",
	"2.5.4.11":                   "ou",
	"2.5.4.10":                   "o",
	"2.5.4.9":                    "street",
	"2.5.4.7":                    "l",
	"2.5.4.8":                    "s",
	"2.5.4.17":                   "postalcode",
	"2.5.4.6":                    "c",
	"1.2.840.113549.1.9.1":       "e",
	"2.5.4.5":                    "serialnumber",
	"0.9.2342.19200300.100.1.25": "dc",
	"0.9.2342.19200300.100.1.1":  "uid",
}

// FormatDN formats name in ncm's subjectDN form: lower-case keys (cn, ou, o,
// street, l, s, postalcode, c, e, serialnumber, dc, uid; other attributes by
// dotted OID), most specific first (the RDN sequence reversed, as RFC 4514
// does), joined by "," without spaces, values escaped per RFC 4514:
//
//	cn=example.com,o=Example Corporation,l=Sample-city,s=Sample-state,c=KR
//
// A parsed name keeps its encoded order (Name.Names); a name built in code
// is taken in the order pkix.Name.ToRDNSequence gives. Multi-valued RDNs
// cannot be told apart in a pkix.Name; Describe formats the raw DER instead,
// joining their values with "+".
func FormatDN(name pkix.Name) string {
	if len(name.Names) == 0 {
		return formatRDNs(name.ToRDNSequence())
	}
	seq := make(pkix.RDNSequence, 0, len(name.Names)+len(name.ExtraNames))
	for _, atv := range name.Names {
		seq = append(seq, pkix.RelativeDistinguishedNameSET{atv})
	}
	for _, atv := range name.ExtraNames {
		seq = append(seq, pkix.RelativeDistinguishedNameSET{atv})
	}
	return formatRDNs(seq)
}

// formatRaw formats a DER-encoded name, falling back to the parsed one.
func formatRaw(der []byte, name pkix.Name) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 {
		return FormatDN(name)
	}
	return formatRDNs(seq)
}

func formatRDNs(seq pkix.RDNSequence) string {
	var sb strings.Builder
	for i := len(seq) - 1; i >= 0; i-- {
		for j, atv := range seq[i] {
			switch {
			case j > 0:
				sb.WriteByte('+')
			case sb.Len() > 0:
				sb.WriteByte(',')
			}
			key, ok := dnKeys[atv.Type.String()]
			if !ok {
				key = atv.Type.String()
			}
			sb.WriteString(key)
			sb.WriteByte('=')
			sb.WriteString(dnValue(atv.Value))
		}
	}
	return sb.String()
}

// dnValue escapes an attribute value per RFC 4514 §2.4; a value that is not
// a string is written as '#' and the hex of its DER.
func dnValue(v any) string {
	s, ok := v.(string)
	if !ok {
		der, err := asn1.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return "#" + hex.EncodeToString(der)
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(",+\"\\<>;", c) >= 0,
			i == 0 && (c == '#' || c == ' '),
			i == len(s)-1 && c == ' ':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c == 0:
			sb.WriteString(`\00`)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}
