package client

import (
	"fmt"
	"time"

	"github.com/ncmhq/ncm/ncpapi"
)

// ParseDate reads a wire date leniently (ncpapi.ParseDate): the NCP form
// "2026-03-01 10:15:30(UTC+09:00)", RFC 3339, and zone-less forms, which are
// read in the client's display zone.
func (c *Client) ParseDate(s string) (time.Time, error) {
	return ncpapi.ParseDate(s, c.zone)
}

// CertificateDates are the parsed dates of an AdvancedCertificate. A date
// that is absent (null or "") or unparseable is the zero time.
type CertificateDates struct {
	Regist, Update, Issue, NotBefore, NotAfter, Revoke time.Time
}

// DateProblem is a date field that could not be parsed. The certificate is
// still usable; only this field is unknown (field case C39).
type DateProblem struct {
	OrderID         string
	CertificateNo   int64
	CertificateName string
	Field           string // wire name, e.g. "notAfter"
	Value           string // the raw value as received
	Err             error
}

// Error implements the error interface, naming the certificate and field.
func (p DateProblem) Error() string {
	return fmt.Sprintf("certificate %d (%s) %s: %v", p.CertificateNo, p.CertificateName, p.Field, p.Err)
}

// Unwrap returns the parse error.
func (p DateProblem) Unwrap() error { return p.Err }

// CertificateDates parses the date fields of cert. It never fails as a
// whole: each field that does not parse is left zero and reported in the
// returned problems, so one odd date cannot abort a listing.
func (c *Client) CertificateDates(orderID string, cert ncpapi.AdvancedCertificate) (CertificateDates, []DateProblem) {
	var d CertificateDates
	var problems []DateProblem
	for _, f := range []struct {
		name  string
		value *string
		dst   *time.Time
	}{
		{"registDate", &cert.RegistDate, &d.Regist},
		{"updateDate", &cert.UpdateDate, &d.Update},
		{"issueDate", cert.IssueDate, &d.Issue},
		{"notBefore", cert.NotBefore, &d.NotBefore},
		{"notAfter", cert.NotAfter, &d.NotAfter},
		{"revokeDate", cert.RevokeDate, &d.Revoke},
	} {
		if f.value == nil || *f.value == "" {
			continue
		}
		t, err := c.ParseDate(*f.value)
		if err != nil {
			problems = append(problems, DateProblem{OrderID: orderID, CertificateNo: cert.CertificateNo,
				CertificateName: cert.CertificateName, Field: f.name, Value: *f.value, Err: err})
			continue
		}
		*f.dst = t
	}
	return d, problems
}

// DateProblems returns every unparseable date in orders, for a list
// response that should be shown in full with warnings beside it.
func (c *Client) DateProblems(orders []ncpapi.AdvancedOrder) []DateProblem {
	var all []DateProblem
	for _, o := range orders {
		for _, cert := range o.Certificates {
			_, p := c.CertificateDates(o.OrderID, cert)
			all = append(all, p...)
		}
	}
	return all
}
