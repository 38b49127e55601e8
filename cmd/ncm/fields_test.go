package main

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
)

// TestFieldC41_TimeZoneKeptFromCertificateToWire: the server process runs in
// a non-UTC zone; a certificate whose notBefore is 2026-02-28T15:00:00Z is
// shown as 2026-03-01 00:00:00(UTC+09:00), and reading the wire dates back
// gives exactly the certificate's instants.
func TestFieldC41_TimeZoneKeptFromCertificateToWire(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("EST", -5*3600)
	t.Cleanup(func() { time.Local = saved })

	ts := startServer(t, func(o *serveOptions) {
		// Issued at 15:01:00Z; the CA backdates notBefore by one minute.
		o.clock = &fakeClock{now: time.Date(2026, 2, 28, 15, 1, 0, 0, time.UTC)}
	})
	c := ts.client(ts.ak, ts.sk)
	ctx := context.Background()
	pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
		CSR: mustCSR(t, mustECKey(t), "tz.example.com"), CertificateType: "NCP_PAID_DV_01",
		CertificateName: "tz-cert", CommonName: "tz.example.com", ValidationMethod: "D",
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.approve(pc.CertificateNo)
	r, err := c.ListAdvancedCertificates(ctx, listAll())
	if err != nil {
		t.Fatal(err)
	}
	got := r.Orders[0].Certificates[0]
	if *got.NotBefore != "2026-03-01 00:00:00(UTC+09:00)" {
		t.Errorf("notBefore %q, want 2026-03-01 00:00:00(UTC+09:00)", *got.NotBefore)
	}
	leaf := ts.storedCertificate(pc.CertificateNo)
	for field, pair := range map[string]struct {
		wire string
		want time.Time
	}{"notBefore": {*got.NotBefore, *leaf.NotBefore}, "notAfter": {*got.NotAfter, *leaf.NotAfter}} {
		back, err := c.ParseDate(pair.wire)
		if err != nil || !back.Equal(pair.want) {
			t.Errorf("%s %q reads back as %v (%v), want %v", field, pair.wire, back, err, pair.want)
		}
	}
	if got.StatusCode != "2" {
		t.Errorf("a certificate valid since a minute ago shows status %q, want 2 (valid)", got.StatusCode)
	}
}

// TestRejectedRequestStoresNothing: every refused request leaves the list
// and the number sequences as they were.
func TestRejectedRequestStoresNothing(t *testing.T) {
	ts := startServer(t)
	c := ts.client(ts.ak, ts.sk)
	ctx := context.Background()
	key := mustECKey(t)
	good := ncpapi.AdvancedCertificateRequest{
		CSR: mustCSR(t, key, "ok.example.com"), CertificateType: "NCP_PAID_DV_01",
		CertificateName: "good-name", CommonName: "ok.example.com", ValidationMethod: "D",
	}
	cases := map[string]struct {
		mutate   func(*ncpapi.AdvancedCertificateRequest)
		code     string
		mentions string
	}{
		"ErrNameTooShort":     {func(r *ncpapi.AdvancedCertificateRequest) { r.CertificateName = "ab" }, "2000", "certificateName"},
		"ErrNameLeadingDigit": {func(r *ncpapi.AdvancedCertificateRequest) { r.CertificateName = "1abc" }, "2000", "start with an alphabetic"},
		"ErrNameTooLong":      {func(r *ncpapi.AdvancedCertificateRequest) { r.CertificateName = strings.Repeat("a", 21) }, "2000", "3-20"},
		"ErrType":             {func(r *ncpapi.AdvancedCertificateRequest) { r.CertificateType = "NCP_FREE_DV_01" }, "2000", "certificateType"},
		"ErrValidationMethod": {func(r *ncpapi.AdvancedCertificateRequest) { r.ValidationMethod = "E" }, "2000", "validationMethod"},
		"ErrOVWithoutOrg":     {func(r *ncpapi.AdvancedCertificateRequest) { r.CertificateType = "NCP_PAID_OV_01" }, "2000", "organizationNo"},
		"ErrOVUnknownOrg": {func(r *ncpapi.AdvancedCertificateRequest) {
			r.CertificateType = "NCP_PAID_OV_01"
			r.OrganizationNo = 4242
		}, "26110", "organization"},
		"ErrBadDomain":     {func(r *ncpapi.AdvancedCertificateRequest) { r.DNSName = []string{"bad_name.example.com"} }, "2000", "dnsName"},
		"ErrCSRNotPEM":     {func(r *ncpapi.AdvancedCertificateRequest) { r.CSR = "hello" }, "1002", "PEM"},
		"ErrCSRNamesOther": {func(r *ncpapi.AdvancedCertificateRequest) { r.CSR = mustCSR(t, key, "evil.example.com") }, "26131", "evil.example.com"},
		"ErrCSRSANNotRequested": {func(r *ncpapi.AdvancedCertificateRequest) {
			r.CSR = mustCSR(t, key, "ok.example.com", "ok.example.com", "extra.example.com")
		}, "26131", "extra.example.com"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := good
			tc.mutate(&req)
			_, err := c.RequestAdvancedCertificate(ctx, req)
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.ReturnCode != tc.code || !strings.Contains(ae.ReturnMessage, tc.mentions) {
				t.Fatalf("err = %v; want returnCode %s mentioning %q", err, tc.code, tc.mentions)
			}
			if tc.code == "2000" && ae.HTTPStatus != 400 {
				t.Errorf("HTTP %d, want 400 for a validation error", ae.HTTPStatus)
			}
		})
	}
	r, err := c.ListAdvancedCertificates(ctx, listAll())
	if err != nil || r.TotalCount != 0 {
		t.Fatalf("after refusals: totalCount %v (%v), want 0", r, err)
	}
	pc, err := c.RequestAdvancedCertificate(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if pc.CertificateNo != 100001 || pc.OrderID != "900001" {
		t.Fatalf("first accepted request got %d / %s; refusals must not consume numbers", pc.CertificateNo, pc.OrderID)
	}
	_, err = c.RequestAdvancedCertificate(ctx, good)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.ReturnCode != "26120" {
		t.Fatalf("duplicate name: %v, want 26120", err)
	}
}

// TestFieldC51_NoSuccessWithoutResult: a success answer always carries the
// created object; failures never answer "0".
func TestFieldC51_NoSuccessWithoutResult(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	body := `{"csr":"` + strings.ReplaceAll(mustCSR(t, mustECKey(t), "c51.example.com"), "\n", `\n`) +
		`","certificateType":"NCP_PAID_DV_01","certificateName":"c51-cert","commonName":"c51.example.com","validationMethod":"D"}`
	c := ts.client(ts.ak, ts.sk)
	var raw map[string]any
	if err := c.Do(ctx, "POST", "/api/v2/certificate/requestPaidCertificateIssuance", nil, json.RawMessage(body), &raw); err != nil {
		t.Fatal(err)
	}
	pc, ok := raw["paidCertificate"].(map[string]any)
	if raw["returnCode"] != "0" || raw["totalRows"] != float64(1) || !ok || pc["certificateName"] != "c51-cert" {
		t.Fatalf("success answer %v lacks the created certificate", raw)
	}
	err := c.Do(ctx, "POST", "/api/v2/certificate/requestPaidCertificateIssuance", nil, json.RawMessage(body), &raw)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.ReturnCode == "0" {
		t.Fatalf("duplicate request: %v; want an error with a non-zero returnCode", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
