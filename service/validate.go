package service

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ncmhq/ncm"
)

// Name rules from NCP (api-reference §1.8, live behaviour recorded in field
// case C52): letters, digits and '-', starting with a letter. Creation allows
// NameMaxLength characters; look-ups and deletes accept up to 30 because
// older certificates were created under the 3-30 rule.
var nameChars = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// LookupNameMaxLength is the longest name a look-up or delete accepts.
const LookupNameMaxLength = 30

func (s *Service) checkNewName(field, name string) error {
	max := s.cfg.NameMaxLength
	if len(name) < 3 || len(name) > max || !nameChars.MatchString(name) {
		return ncm.Invalid(field, "can only contain 3-%d English alphabet, numbers, and '-' and must start with an alphabetic character (got %q)", max, name)
	}
	return nil
}

// CheckLookupName validates a certificateName used to find a certificate.
func CheckLookupName(field, name string) error {
	if len(name) > LookupNameMaxLength || (name != "" && !nameChars.MatchString(name)) {
		return ncm.Invalid(field, "must be at most %d English letters, digits and '-', starting with a letter (got %q)", LookupNameMaxLength, name)
	}
	return nil
}

// maxDomains bounds the names of one request.
const maxDomains = 100

// normalizeDomain lower-cases a domain name and checks it is a host name a
// public CA would certify: labels of letters, digits and '-', at least two
// labels, an optional leading "*." wildcard.
func normalizeDomain(field, d string) (string, error) {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimSuffix(d, ".")
	host := strings.TrimPrefix(d, "*.")
	if d == "" {
		return "", ncm.Invalid(field, "must not be empty")
	}
	if len(d) > 253 {
		return "", ncm.Invalid(field, "%q is longer than 253 characters", d)
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return "", ncm.Invalid(field, "%q is not a fully qualified domain name (e.g. www.example.com)", d)
	}
	// A dNSName never holds an IP address (RFC 5280 4.2.1.6), and no
	// top-level domain is all digits, so "10.0.0.1" and "999.1.1.1" are
	// refused here rather than certified as names.
	if tld := labels[len(labels)-1]; allDigits(tld) {
		return "", ncm.Invalid(field, "%q is an IP address or ends in a numeric label; certificates here name domains only (e.g. www.example.com)", d)
	}
	for _, l := range labels {
		if !validLabel(l) {
			return "", ncm.Invalid(field, "%q is not a valid domain name: label %q must be 1-63 letters, digits or '-', not starting or ending with '-'", d, l)
		}
	}
	return d, nil
}

func validLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// domainList returns the certificate's SAN list: the common name first, then
// the requested dnsName entries in order, without duplicates.
func domainList(commonName string, dnsNames []string) ([]string, error) {
	cn, err := normalizeDomain("commonName", commonName)
	if err != nil {
		return nil, err
	}
	out := []string{cn}
	seen := map[string]bool{cn: true}
	for _, d := range dnsNames {
		n, err := normalizeDomain("dnsName", d)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) > maxDomains {
		return nil, ncm.Invalid("dnsName", "at most %d domains per certificate (got %d)", maxDomains, len(out))
	}
	return out, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkText checks a free-text field a person reads back (aliases, e-mail
// addresses, organization names): at most max bytes of valid UTF-8 without
// control or bidirectional-override characters, which would corrupt logs,
// tables and mail headers when shown.
func checkText(field, v string, max int) error {
	if len(v) > max {
		return ncm.Invalid(field, "is at most %d bytes, got %d", max, len(v))
	}
	if !utf8.ValidString(v) {
		return ncm.Invalid(field, "must be valid UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return ncm.Invalid(field, "must not contain control characters (found %U)", r)
		}
	}
	return nil
}
