package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/dnscheck/dnstest"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
)

// issuedDV requests a DV certificate and passes its validation on the
// server's clock; it returns the certificate number and order.
func (ts *testServer) issuedDV(c *client.Client, name, cn string) (int64, string) {
	ts.t.Helper()
	pc, err := c.RequestAdvancedCertificate(context.Background(), ncpapi.AdvancedCertificateRequest{
		CSR: mustCSR(ts.t, mustECKey(ts.t), cn), CertificateType: "NCP_PAID_DV_01",
		CertificateName: name, CommonName: cn, ValidationMethod: "D",
	})
	if err != nil {
		ts.t.Fatalf("RequestAdvancedCertificate(%s): %v", name, err)
	}
	ts.approve(pc.CertificateNo)
	return pc.CertificateNo, pc.OrderID
}

func TestRecentChangesWindow(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	no, orderID := ts.issuedDV(c, "window-cert", "window.example.com")
	ts.clock.Advance(10 * time.Minute)

	for _, tc := range []struct {
		name string
		w    client.ChangeWindow
		want int
	}{
		{"Minutes", client.ChangeWindow{Minutes: 11}, 1},
		{"MinutesTooShort", client.ChangeWindow{Minutes: 5}, 0},
		{"Seconds", client.ChangeWindow{Seconds: 700}, 1},
		{"MinutesAndSecondsAnswerNothing", client.ChangeWindow{Minutes: 60, Seconds: 3600}, 0},
		{"StartEnd", client.ChangeWindow{Start: ts.clock.Now().Add(-time.Hour), End: ts.clock.Now()}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.ListRecentCertChanges(ctx, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			if resp.TotalCount != tc.want || len(resp.Orders) != tc.want {
				t.Fatalf("totalCount %d, %d items; want %d", resp.TotalCount, len(resp.Orders), tc.want)
			}
			if tc.want == 1 && (resp.Orders[0] != ncpapi.RecentChange{OrderID: orderID, CertificateID: no, Status: "Normal (private key not registered)"}) {
				t.Fatalf("item %+v", resp.Orders[0])
			}
		})
	}
	t.Run("WireNamesCertificateId", func(t *testing.T) {
		resp, err := c.Raw(ctx, http.MethodGet, "/api/v2/certificate/recentChanges?minutes=60", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var raw struct {
			Orders []map[string]any `json:"orders"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || len(raw.Orders) != 1 {
			t.Fatalf("decode: %v, %+v", err, raw)
		}
		if _, ok := raw.Orders[0]["certificateId"]; !ok || raw.Orders[0]["certificateNo"] != nil {
			t.Fatalf("item keys %v, want certificateId and no certificateNo", raw.Orders[0])
		}
	})
	t.Run("ErrNoWindow", func(t *testing.T) {
		_, err := c.ListRecentCertChanges(ctx, client.ChangeWindow{})
		wantCode(t, err, "2101")
	})
	for name, w := range map[string]client.ChangeWindow{
		"ErrMinutesRange":   {Minutes: 10081},
		"ErrSecondsRange":   {Seconds: 604801},
		"ErrStartAlone":     {Start: ts.clock.Now()},
		"ErrEndBeforeStart": {Start: ts.clock.Now(), End: ts.clock.Now().Add(-time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.ListRecentCertChanges(ctx, w)
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusBadRequest || ae.ReturnCode != "2000" {
				t.Fatalf("err = %v, want HTTP 400 / 2000", err)
			}
		})
	}
	t.Run("OtherMemberSeesNothing", func(t *testing.T) {
		_, ak, sk := ts.newMember()
		resp, err := ts.client(ak, sk).ListRecentCertChanges(ctx, client.ChangeWindow{Minutes: 60})
		if err != nil || resp.TotalCount != 0 {
			t.Fatalf("other member: %+v, %v; want nothing", resp, err)
		}
	})
}

func TestOrdersEndToEnd(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	var orders []string
	for i := range 3 {
		_, o := ts.issuedDV(c, fmt.Sprintf("order-cert-%d", i), fmt.Sprintf("o%d.example.com", i))
		orders = append(orders, o)
	}
	t.Run("Paging", func(t *testing.T) {
		resp, err := c.ListOrders(ctx, 2, 2)
		if err != nil {
			t.Fatal(err)
		}
		if resp.TotalCount != 3 || len(resp.Orders) != 1 || resp.Orders[0].OrderID != orders[2] {
			t.Fatalf("page 2 of 2: totalCount %d, orders %+v; want 3, [%s]", resp.TotalCount, resp.Orders, orders[2])
		}
	})
	t.Run("SubscriptionFields", func(t *testing.T) {
		resp, err := c.GetOrder(ctx, orders[0])
		if err != nil {
			t.Fatal(err)
		}
		start := ts.clock.Now().In(kst).Format("2006-01-02 15:04:05")
		if resp.TotalCount != 1 || *resp.SubscriptionStartDt != start || resp.SubscriptionYears != 1 || *resp.RemainingDays != 365 || resp.ExtendableYears != 2 {
			t.Fatalf("GetOrder = start %s years %d remaining %d extendable %d count %d; want %s, 1, 365, 2, 1",
				*resp.SubscriptionStartDt, resp.SubscriptionYears, *resp.RemainingDays, resp.ExtendableYears, resp.TotalCount, start)
		}
	})
	t.Run("Extend", func(t *testing.T) {
		wantCode(t, c.SubscriptionExtend(ctx, orders[0], "3Y"), "26160")
		if err := c.SubscriptionExtend(ctx, orders[0], "2Y"); err != nil {
			t.Fatal(err)
		}
		resp, _ := c.GetOrder(ctx, orders[0])
		if resp.SubscriptionYears != 3 || resp.ExtendableYears != 0 {
			t.Fatalf("after 2Y: years %d extendable %d; want 3, 0", resp.SubscriptionYears, resp.ExtendableYears)
		}
		wantCode(t, c.SubscriptionExtend(ctx, orders[0], "1Y"), "26160")
		err := c.SubscriptionExtend(ctx, orders[0], "5Y")
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.HTTPStatus != 400 || !strings.Contains(ae.ReturnMessage, "subscriptionPeriod") {
			t.Fatalf("5Y: %v, want 400 naming subscriptionPeriod", err)
		}
	})
	t.Run("ErrUnknownOrder", func(t *testing.T) {
		_, err := c.GetOrder(ctx, "999999")
		wantCode(t, err, "26150")
		_, ak, sk := ts.newMember()
		_, err = ts.client(ak, sk).GetOrder(ctx, orders[0])
		wantCode(t, err, "26150")
	})
	t.Run("CLI", func(t *testing.T) {
		ts := startServer(t, realTime) // the CLI signs with the real time
		ts.cliEnv(t)
		_, order := ts.issuedDV(ts.client(ts.ak, ts.sk), "cli-order", "cli.example.com")
		code, out, errs := ts.run("order", "list")
		if code != 0 || !strings.Contains(out, order) {
			t.Fatalf("order list: exit %d: %s %s", code, out, errs)
		}
		code, out, errs = ts.run("order", "get", order)
		if code != 0 || !strings.Contains(out, `"subscriptionYears": 1`) {
			t.Fatalf("order get: exit %d: %s %s", code, out, errs)
		}
		code, out, errs = ts.run("order", "extend", order, "1y")
		if code != 0 || !strings.Contains(out, "extended by 1Y") {
			t.Fatalf("order extend: exit %d: %s %s", code, out, errs)
		}
	})
}

// cliEnv points the CLI at the server with the main key. The CLI signs
// with the real time, so tests using it run the server on the real time.
func (ts *testServer) cliEnv(t *testing.T) {
	t.Setenv("NCLOUD_ACCESS_KEY_ID", ts.ak)
	t.Setenv("NCLOUD_SECRET_ACCESS_KEY", ts.sk)
	t.Setenv("NCM_ENDPOINT", ts.endpoint)
}

func TestRevokeAndRenewalOff(t *testing.T) {
	ts := startServer(t, realTime, func(o *serveOptions) { o.WorkerInterval = 10 * time.Millisecond })
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	ts.cliEnv(t)
	a, orderA := ts.issuedDV(c, "revoke-a", "ra.example.com")
	b, orderB := ts.issuedDV(c, "revoke-b", "rb.example.com")

	t.Run("ErrBadInput", func(t *testing.T) {
		for _, tc := range []struct {
			order string
			no    int64
			typ   string
			field string
		}{{orderA, a, "because", "revokeType"}, {"x1", a, "superseded", "orderId"}, {orderA, -1, "superseded", "certificateNo"}} {
			_, err := c.RevokeCertificate(ctx, tc.order, tc.no, tc.typ)
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.HTTPStatus != 400 || !strings.Contains(ae.ReturnMessage, tc.field) {
				t.Errorf("revoke %+v = %v, want 400 naming %s", tc, err, tc.field)
			}
		}
		if got := listedStatusName(t, c, a); got != "Normal (private key not registered)" {
			t.Fatalf("after rejected revokes the certificate is %q", got)
		}
	})
	t.Run("ErrNotInOrder", func(t *testing.T) {
		_, err := c.RevokeCertificate(ctx, orderA, a+1000, "superseded")
		wantCode(t, err, "1006")
	})
	t.Run("RevokeOneByCLI", func(t *testing.T) {
		code, out, errs := ts.run("revoke", orderB, strconv.FormatInt(b, 10), "--type", "affiliationChanged")
		if code != 0 || !strings.Contains(out, "1 certificate(s)") {
			t.Fatalf("revoke: exit %d: %s %s", code, out, errs)
		}
		if got := listedStatusName(t, c, b); got != "Revoked" {
			t.Fatalf("status %q, want Revoked", got)
		}
		_, err := c.RevokeCertificate(ctx, orderB, b, "superseded")
		wantCode(t, err, "26100")
		code, out, _ = ts.run("changes", "--minutes", "5")
		if code != 0 || !strings.Contains(out, "Revoked") {
			t.Fatalf("changes: exit %d: %s", code, out)
		}
	})
	t.Run("SetRenewalByCLI", func(t *testing.T) {
		code, out, errs := ts.run("renewal", strconv.FormatInt(b, 10), "on")
		if code != 0 || !strings.Contains(out, "renewal of certificate") {
			t.Fatalf("renewal on: exit %d: %s %s", code, out, errs)
		}
		if code, _, _ := ts.run("renewal", strconv.FormatInt(b, 10), "maybe"); code != exitUsage {
			t.Fatalf("renewal maybe: exit %d, want %d", code, exitUsage)
		}
		err := c.SetRenewalStatus(ctx, 999999, true)
		wantCode(t, err, "1006")
	})
	t.Run("RenewalOffNothingHappens", func(t *testing.T) {
		// Renewal is off by default for Advanced certificates; extend the
		// subscription so that only the flag stands in the way.
		if err := c.SubscriptionExtend(ctx, orderA, "1Y"); err != nil {
			t.Fatal(err)
		}
		ts.clock.Advance(330 * 24 * time.Hour)
		// Wait until the worker has run the (due) renewal job: it is
		// done once it ran, whatever it decided.
		eventually(t, "the renewal job ran", func() bool { return ts.jobDone("renew", a) })
		if no := findIssueType(t, c, orderA, "RENEWAL"); no != 0 {
			t.Fatalf("renewal off, yet certificate %d renewed it", no)
		}
	})
}

// jobDone reports whether the job of kind for subject has run to the end.
func (ts *testServer) jobDone(kind string, subject int64) bool {
	ts.t.Helper()
	a, err := openApp(context.Background(), ts.storeOptions(), service.Config{Clock: ts.clock}, discardLogger())
	if err != nil {
		ts.t.Fatal(err)
	}
	defer a.Close()
	done := false
	err = a.store.Read(context.Background(), func(tx ncm.Tx) error {
		jobs, err := tx.Jobs(context.Background(), kind, subject)
		for _, j := range jobs {
			if j.DoneAt != nil {
				done = true
			}
		}
		return err
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	return done
}

func TestServerKeyRequestsEndToEnd(t *testing.T) {
	dns := dnstest.Start(t)
	ts := startServer(t, withDNS(dns))
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)

	t.Run("CloudBasic", func(t *testing.T) {
		resp, err := c.RequestCloudBasicCertificate(ctx, ncpapi.CloudBasicRequest{
			CertificateName: "basic-cert", CommonName: "basic.example.com", DNSName: []string{"www.basic.example.com"}, ValidationMethod: "D",
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.TotalRows != 1 || resp.DNSName != "basic.example.com,www.basic.example.com" || resp.RequestSn != strconv.FormatInt(resp.CertificateNo, 10) || resp.StatusCode != "0" {
			t.Fatalf("answer %+v", resp)
		}
		publish(t, c, dns, resp.CertificateNo)
		ts.clock.Advance(2 * time.Minute)
		eventually(t, "the Cloud Basic certificate is issued", func() bool {
			ch, err := c.ListRecentCertChanges(ctx, client.ChangeWindow{Minutes: 5})
			return err == nil && len(ch.Orders) > 0 && ch.Orders[len(ch.Orders)-1].Status == "Normal"
		})
		cloud, err := c.ListCloudCertificates(ctx, client.ListOptions{CertificateName: "basic-cert"})
		if err != nil || len(cloud.SSLCertificateList) != 1 || cloud.SSLCertificateList[0].StatusCode != "1" || cloud.SSLCertificateList[0].CertificateType != "NCP_FREE_DV_01" {
			t.Fatalf("ListCloudCertificates = %+v, %v; want the certificate, status 1, NCP_FREE_DV_01", cloud, err)
		}
		stored := ts.storedCertificate(resp.CertificateNo)
		if stored.Status != 1 || stored.PrivateKeySealed == nil || stored.OrderID != 0 || !stored.RenewalEnabled || stored.Type != "NCP_FREE_DV_01" {
			t.Fatalf("stored Cloud Basic certificate: status %d, key %v, order %d, renewal %v, type %s; want 1, a sealed key, none, on, NCP_FREE_DV_01",
				stored.Status, stored.PrivateKeySealed != nil, stored.OrderID, stored.RenewalEnabled, stored.Type)
		}
	})
	t.Run("CloudBasicRenewsInPlace", func(t *testing.T) {
		resp, err := c.RequestCloudBasicCertificate(ctx, ncpapi.CloudBasicRequest{CertificateName: "basic-renew", CommonName: "renew.example.com", ValidationMethod: "D"})
		if err != nil {
			t.Fatal(err)
		}
		publish(t, c, dns, resp.CertificateNo)
		ts.clock.Advance(2 * time.Minute)
		eventually(t, "issued", func() bool { return ts.storedCertificate(resp.CertificateNo).Status == 1 })
		before := ts.storedCertificate(resp.CertificateNo)
		ts.clock.Advance(before.NotAfter.Sub(ts.clock.Now()) - 40*24*time.Hour)
		eventually(t, "renewed in place", func() bool { return ts.storedCertificate(resp.CertificateNo).SerialNumber != before.SerialNumber })
		after := ts.storedCertificate(resp.CertificateNo)
		if after.IssueType != "RENEWAL" || !after.NotAfter.After(*before.NotAfter) || after.Status != 1 {
			t.Fatalf("after renewal: issueType %s notAfter %v status %d; want RENEWAL, later than %v, 1", after.IssueType, after.NotAfter, after.Status, before.NotAfter)
		}
		// A year later the validation is too old to reuse: no renewal.
		ts.clock.Advance(after.NotAfter.Sub(ts.clock.Now()) - 40*24*time.Hour)
		eventually(t, "the second renewal job ran", func() bool { return ts.jobDone("renew", resp.CertificateNo) })
		if again := ts.storedCertificate(resp.CertificateNo); again.SerialNumber != after.SerialNumber {
			t.Fatalf("renewed again with a %s-old validation", ts.clock.Now().Sub(*before.IssueDate))
		}
	})
	t.Run("GlobalEdge", func(t *testing.T) {
		raw, err := c.Raw(ctx, http.MethodPost, "/api/v2/certificate/requestGedCertificateIssuance",
			strings.NewReader(`{"certificateName":"edge-cert","commonName":"edge.example.com","dnsName":["cdn.edge.example.com"]}`))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Body.Close()
		var body map[string]any
		json.NewDecoder(raw.Body).Decode(&body)
		cert, _ := body["certificate"].(map[string]any)
		if cert == nil || cert["statusCode"] != float64(0) || cert["certificateName"] != "edge-cert" {
			t.Fatalf("answer %v: want certificate with integer statusCode 0", body)
		}
		no := int64(cert["certificateNo"].(float64))
		publish(t, c, dns, no)
		ts.clock.Advance(2 * time.Minute)
		eventually(t, "the Global Edge certificate is issued", func() bool { return ts.storedCertificate(no).Status == 3 })
	})
	t.Run("DCVTimesOut", func(t *testing.T) {
		resp, err := c.RequestCloudBasicCertificate(ctx, ncpapi.CloudBasicRequest{CertificateName: "never-cert", CommonName: "never.example.com", ValidationMethod: "D"})
		if err != nil {
			t.Fatal(err)
		}
		ts.clock.Advance(73 * time.Hour)
		eventually(t, "validation times out", func() bool { return ts.storedCertificate(resp.CertificateNo).Status == -4 })
		if got := dcvStatus(t, c, resp.CertificateNo, "never.example.com"); got != "VALID_STATUS_TIMEOUT" {
			t.Fatalf("validStatusCode %s, want VALID_STATUS_TIMEOUT", got)
		}
	})
	t.Run("ErrBadInputStoresNothing", func(t *testing.T) {
		_, err := c.RequestCloudBasicCertificate(ctx, ncpapi.CloudBasicRequest{CertificateName: "bad-method", CommonName: "bad.example.com", ValidationMethod: "E"})
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.HTTPStatus != 400 || !strings.Contains(ae.ReturnMessage, "validationMethod") {
			t.Fatalf("method E: %v, want 400 naming validationMethod", err)
		}
		_, err = c.RequestGlobalEdgeCertificate(ctx, ncpapi.GlobalEdgeRequest{CertificateName: "bad-edge", CommonName: "not a domain"})
		if !errors.As(err, &ae) || ae.HTTPStatus != 400 || !strings.Contains(ae.ReturnMessage, "commonName") {
			t.Fatalf("bad commonName: %v, want 400 naming commonName", err)
		}
		// The next certificate takes the next number: nothing was consumed.
		resp, err := c.RequestCloudBasicCertificate(ctx, ncpapi.CloudBasicRequest{CertificateName: "after-bad", CommonName: "ok.example.com", ValidationMethod: "D"})
		if err != nil {
			t.Fatal(err)
		}
		if prev := ts.storedCertificate(resp.CertificateNo - 1); prev.Name != "never-cert" {
			t.Fatalf("certificate before %d is %q, want never-cert (no number consumed by the rejected requests)", resp.CertificateNo, prev.Name)
		}
	})
	t.Run("CLI", func(t *testing.T) {
		ts2 := startServer(t, realTime)
		ts2.cliEnv(t)
		code, out, errs := ts2.run("basic", "request", "--name", "cli-basic", "--cn", "cli.example.com")
		m := regexp.MustCompile(`certificateNo (\d+) \(requestSn \d+\): Ongoing`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("basic request: exit %d: %s %s", code, out, errs)
		}
		code, out, errs = ts2.run("dcv", "status", m[1])
		if code != 0 || !strings.Contains(out, "_dnsauth.cli.example.com") || !strings.Contains(out, "VALID_STATUS_REG") {
			t.Fatalf("dcv status: exit %d: %s %s", code, out, errs)
		}
		if out := ts2.admin("dcv", "fail", m[1]); !strings.Contains(out, "Validation failed") {
			t.Fatalf("admin dcv fail printed %q", out)
		}
		code, out, errs = ts2.run("edge", "request", "--name", "cli-edge", "--cn", "edge.example.com")
		if code != 0 || !strings.Contains(out, "Ongoing (status 0)") {
			t.Fatalf("edge request: exit %d: %s %s", code, out, errs)
		}
	})
}

func TestDomainsEndToEnd(t *testing.T) {
	dns := dnstest.Start(t)
	ts := startServer(t, withDNS(dns))
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)

	d, err := c.RegisterDomain(ctx, ncpapi.RegisterDomainRequest{DmnAddr: "Pre.Example.com", DcvType: "PTXT", IssueType: "CONSOLE"})
	if err != nil {
		t.Fatal(err)
	}
	if d.DomainAddress != "pre.example.com" || d.ValidState != "PENDING" || d.TxtName != "_dnsauth.pre.example.com" || d.DmnID != 501 {
		t.Fatalf("registered %+v", d)
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		_, err := c.RegisterDomain(ctx, ncpapi.RegisterDomainRequest{DmnAddr: "pre.example.com", DcvType: "PTXT", IssueType: "CONSOLE"})
		wantCode(t, err, "26170")
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		for field, req := range map[string]ncpapi.RegisterDomainRequest{
			"dcvType":   {DmnAddr: "x.example.com", DcvType: "CNAME", IssueType: "CONSOLE"},
			"issueType": {DmnAddr: "x.example.com", DcvType: "TXT", IssueType: "EMAIL"},
			"dmnAddr":   {DmnAddr: "localhost", DcvType: "TXT", IssueType: "CONSOLE"},
		} {
			_, err := c.RegisterDomain(ctx, req)
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.HTTPStatus != 400 || !strings.Contains(ae.ReturnMessage, field) {
				t.Errorf("%+v: %v, want 400 naming %s", req, err, field)
			}
		}
	})
	dns.SetTXT(d.TxtName, d.TxtValue)
	ts.clock.Advance(2 * time.Minute)
	eventually(t, "the domain is validated", func() bool {
		l, err := c.ListDomainValidations(ctx, client.DomainFilter{ValidState: "VALID"})
		return err == nil && l.TotalRows == 1
	})

	t.Run("PersistentRequestReusesIt", func(t *testing.T) {
		pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
			CSR: mustCSR(t, mustECKey(t), "pre.example.com"), CertificateType: "NCP_PAID_DV_01",
			CertificateName: "pre-cert", CommonName: "pre.example.com", ValidationMethod: "PD",
		})
		if err != nil {
			t.Fatal(err)
		}
		if pc.StatusCode != "2" {
			t.Fatalf("PD request for a pre-validated domain: status %s, want 2 (issued at once)", pc.StatusCode)
		}
	})
	t.Run("OneTimeRequestDoesNot", func(t *testing.T) {
		pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
			CSR: mustCSR(t, mustECKey(t), "pre.example.com"), CertificateType: "NCP_PAID_DV_01",
			CertificateName: "pre-cert-d", CommonName: "pre.example.com", ValidationMethod: "D",
		})
		if err != nil {
			t.Fatal(err)
		}
		if pc.StatusCode != "0" {
			t.Fatalf("D request: status %s, want 0 (a new one-time record is needed)", pc.StatusCode)
		}
	})
	t.Run("InvalidAfterTheDeadline", func(t *testing.T) {
		d, err := c.RegisterDomain(ctx, ncpapi.RegisterDomainRequest{DmnAddr: "never.example.com", DcvType: "TXT", IssueType: "ACME"})
		if err != nil {
			t.Fatal(err)
		}
		if d.DmnID != 502 {
			t.Errorf("dmnId %d, want 502: the rejected and duplicate registrations consumed no number", d.DmnID)
		}
		ts.clock.Advance(73 * time.Hour)
		eventually(t, "the domain is INVALID", func() bool {
			l, err := c.ListDomainValidations(ctx, client.DomainFilter{DomainAddress: "never.example.com"})
			return err == nil && l.TotalRows == 1 && l.DomainVldList[0].ValidState == "INVALID"
		})
		if l, _ := c.ListDomainValidations(ctx, client.DomainFilter{ValidState: "VALID"}); l.TotalRows != 1 || l.DomainVldList[0].DmnID == d.DmnID {
			t.Fatalf("VALID domains = %+v, want only pre.example.com", l)
		}
	})
	t.Run("ListFilters", func(t *testing.T) {
		l, err := c.ListDomainValidations(ctx, client.DomainFilter{DomainAddress: "pre.example.com", DcvType: "PTXT"})
		if err != nil || l.TotalRows != 1 || l.DomainVldList[0].ValidState != "VALID" || l.DomainVldList[0].ExpireDate == nil {
			t.Fatalf("list = %+v, %v", l, err)
		}
	})
	t.Run("DeleteAndCLI", func(t *testing.T) {
		ts2 := startServer(t, realTime)
		ts2.cliEnv(t)
		code, out, errs := ts2.run("domain", "register", "cli.example.com", "--type", "TXT")
		m := regexp.MustCompile(`dmnId (\d+) \(PENDING\); publish: _dnsauth.cli.example.com TXT "[a-z2-7]{32}"`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("domain register: exit %d: %s %s", code, out, errs)
		}
		if code, out, _ = ts2.run("domain", "list"); code != 0 || !strings.Contains(out, "cli.example.com") {
			t.Fatalf("domain list: exit %d: %s", code, out)
		}
		if code, out, errs = ts2.run("domain", "delete", m[1]); code != 0 {
			t.Fatalf("domain delete: exit %d: %s %s", code, out, errs)
		}
		code, _, errs = ts2.run("domain", "delete", m[1])
		if code != exitError || !strings.Contains(errs, "2200") {
			t.Fatalf("second delete: exit %d: %s; want 1 with 2200", code, errs)
		}
	})
}

func TestOrganizationsAndEabEndToEnd(t *testing.T) {
	ts := startServer(t, realTime)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	orgNo, _ := strconv.ParseInt(ts.createOrg(), 10, 64)

	t.Run("ListOrganizations", func(t *testing.T) {
		l, err := c.ListOrganizations(ctx, ncpapi.ListOrganizationsRequest{})
		if err != nil || l.TotalRows != 1 || l.OrganizationInfoList[0].OrganizationNo != orgNo || l.OrganizationInfoList[0].VerificationProgressCode != "7" {
			t.Fatalf("all = %+v, %v", l, err)
		}
		l, err = c.ListOrganizations(ctx, ncpapi.ListOrganizationsRequest{OrganizationNameEng: "Nobody Ltd"})
		if err != nil || l.TotalRows != 0 || l.OrganizationInfoList == nil {
			t.Fatalf("filtered = %+v, %v; want an empty list", l, err)
		}
		_, ak, sk := ts.newMember()
		if l, _ := ts.client(ak, sk).ListOrganizations(ctx, ncpapi.ListOrganizationsRequest{}); l == nil || l.TotalRows != 0 {
			t.Fatalf("other member sees %+v", l)
		}
	})
	var created *ncpapi.CreateEabResponse
	t.Run("CreateEab", func(t *testing.T) {
		var err error
		created, err = c.CreateEabCredential(ctx, ncpapi.CreateEabRequest{ValidationMode: "PRE", CertificateTypeCode: "NPO_01", ValidityDays: 198, Alias: "ci", OrganizationNo: ncpapi.FlexInt(orgNo)})
		if err != nil {
			t.Fatal(err)
		}
		if created.AccountID != 50001 || created.Status != "pending" || len(created.EabHmacKey) != 43 || created.EabKid == "" || !created.Success {
			t.Fatalf("created %+v", created)
		}
		_, err = c.CreateEabCredential(ctx, ncpapi.CreateEabRequest{ValidationMode: "PRE", CertificateTypeCode: "NPO_01", ValidityDays: 198, Alias: "no-org"})
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.HTTPStatus != 400 || !strings.Contains(ae.ReturnMessage, "organizationNo") {
			t.Fatalf("OV without organization: %v", err)
		}
	})
	t.Run("ListEabMasksTheKey", func(t *testing.T) {
		l, err := c.ListEabCredentials(ctx)
		if err != nil || l.TotalCount != 1 || l.TotalRows != 0 {
			t.Fatalf("list = %+v, %v", l, err)
		}
		a := l.Accounts[0]
		if a.EabHmacKey == created.EabHmacKey || !strings.HasSuffix(a.EabHmacKey, created.EabHmacKey[39:]) || !strings.HasPrefix(a.EabHmacKey, "****") {
			t.Fatalf("listed key %q: want it masked, ending like the created one", a.EabHmacKey)
		}
		if a.OrganizationName != "Example Corporation" || a.CertificateTypeName != "Advanced OV" || !a.EabActive {
			t.Fatalf("listed account %+v", a)
		}
	})
	t.Run("Deactivate", func(t *testing.T) {
		if err := c.DeactivateEabCredential(ctx, created.AccountID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, c.DeactivateEabCredential(ctx, created.AccountID), "26180")
		wantCode(t, c.DeactivateEabCredential(ctx, 12345), "2200")
		l, _ := c.ListEabCredentials(ctx)
		if l.Accounts[0].Status != "deactivated" || l.Accounts[0].EabActive {
			t.Fatalf("after deactivation: %+v", l.Accounts[0])
		}
	})
	t.Run("CLI", func(t *testing.T) {
		ts.cliEnv(t)
		code, out, errs := ts.run("eab", "create", "--alias", "cli")
		m := regexp.MustCompile(`account (\d+) \(pending\)\neabKid: \S+\neabHmacKey: \S{43}\n`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("eab create: exit %d: %q %s", code, out, errs)
		}
		if code, out, _ = ts.run("eab", "list"); code != 0 || !strings.Contains(out, `"alias": "cli"`) {
			t.Fatalf("eab list: exit %d: %s", code, out)
		}
		if code, out, _ = ts.run("eab", "deactivate", m[1]); code != 0 || !strings.Contains(out, "deactivated") {
			t.Fatalf("eab deactivate: exit %d: %s", code, out)
		}
		if code, out, _ = ts.run("org", "list"); code != 0 || !strings.Contains(out, `"organizationNameEng": "Example Corporation"`) {
			t.Fatalf("org list: exit %d: %s", code, out)
		}
	})
}

func TestReissueAndDcvEndToEnd(t *testing.T) {
	ts := startServer(t, realTime)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	no, orderID := ts.issuedDV(c, "re-cert", "re.example.com")
	key := mustECKey(t)

	t.Run("ErrBadInputStoresNothing", func(t *testing.T) {
		for field, req := range map[string]ncpapi.ReissueRequest{
			"certificateName":  {CSR: mustCSR(t, key, "re.example.com"), CertificateName: "1bad", CommonName: "re.example.com", ValidationMethod: "D"},
			"validationMethod": {CSR: mustCSR(t, key, "re.example.com"), CertificateName: "re-2", CommonName: "re.example.com", ValidationMethod: "X"},
			"csr":              {CSR: "nope", CertificateName: "re-2", CommonName: "re.example.com", ValidationMethod: "D"},
		} {
			_, err := c.ReissueCertificate(ctx, no, req)
			var ae *client.APIError
			if !errors.As(err, &ae) || !strings.Contains(ae.ReturnMessage, field) {
				t.Errorf("%s: %v, want an error naming it", field, err)
			}
		}
		if got, _ := c.GetOrder(ctx, orderID); got.TotalCount != 1 {
			t.Fatalf("after rejected reissues the order holds %d certificates, want 1", got.TotalCount)
		}
	})
	t.Run("ErrNotIssued", func(t *testing.T) {
		pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
			CSR: mustCSR(t, key, "wait.example.com"), CertificateType: "NCP_PAID_DV_01", CertificateName: "wait-cert",
			CommonName: "wait.example.com", ValidationMethod: "D"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ReissueCertificate(ctx, pc.CertificateNo, ncpapi.ReissueRequest{CSR: mustCSR(t, key, "wait.example.com"), CertificateName: "wait-2", CommonName: "wait.example.com", ValidationMethod: "D"})
		wantCode(t, err, "26100")
	})
	t.Run("ErrWithinADayOfExpiry", func(t *testing.T) {
		ts := startServer(t)
		c := ts.client(ts.ak, ts.sk)
		no, _ := ts.issuedDV(c, "late-cert", "late.example.com")
		na := ts.storedCertificate(no).NotAfter
		req := ncpapi.ReissueRequest{CSR: mustCSR(t, key, "late.example.com"), CertificateName: "late-2", CommonName: "late.example.com", ValidationMethod: "D"}
		ts.clock.Advance(na.Sub(ts.clock.Now()) - 23*time.Hour)
		_, err := c.ReissueCertificate(ctx, no, req)
		wantCode(t, err, "26100")
		ts.clock.Advance(24 * time.Hour) // expired: shown as such, and still refused
		_, err = c.ReissueCertificate(ctx, no, req)
		wantCode(t, err, "26100")
		if got := listedStatusName(t, c, no); got != "Expired" {
			t.Fatalf("after notAfter the certificate lists as %q, want Expired", got)
		}
	})
	t.Run("WrongActionIs404", func(t *testing.T) {
		resp, err := c.Raw(ctx, http.MethodPost, fmt.Sprintf("/api/v2/certificate/%d/reissued", no), strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("POST .../reissued = %d, want 404", resp.StatusCode)
		}
	})
	t.Run("CLI", func(t *testing.T) {
		ts.cliEnv(t)
		csr := writeFile(t, "re.csr", mustCSR(t, key, "re.example.com"))
		code, out, errs := ts.run("reissue", strconv.FormatInt(no, 10), "--csr", csr, "--name", "re-cert-2", "--cn", "re.example.com")
		m := regexp.MustCompile(`certificateNo (\d+) in order ` + orderID + `: Ongoing`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("reissue: exit %d: %s %s", code, out, errs)
		}
		code, out, errs = ts.run("dcv", "status", m[1], "--json")
		if code != 0 || !strings.Contains(out, `"txtName": "_dnsauth.re.example.com"`) {
			t.Fatalf("dcv status --json: exit %d: %s %s", code, out, errs)
		}
		if out := ts.admin("dcv", "timeout", m[1], "--domain", "re.example.com"); !strings.Contains(out, "Validation timed out") {
			t.Fatalf("admin dcv timeout printed %q", out)
		}
		code, _, errs = ts.run("dcv", "status", "999999")
		if code != exitError || !strings.Contains(errs, "1006") {
			t.Fatalf("dcv status of nothing: exit %d %s", code, errs)
		}
	})
}
