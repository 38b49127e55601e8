package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/dnscheck/dnstest"
	"github.com/ncmhq/ncm/ncpapi"
)

// withDNS points the server's domain validation at a test DNS server and
// runs the worker often.
func withDNS(dns *dnstest.Server) func(*serveOptions) {
	return func(o *serveOptions) {
		o.DNSResolver = dns.Addr
		o.WorkerInterval = 10 * time.Millisecond
	}
}

// eventually polls cond until it holds, failing the test after a generous
// real-time limit. The worker runs on its own goroutine, so its effects
// arrive a few ticks after the clock moves; nothing here measures time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lifecycleView is what the four read operations show of an order at one
// moment: getPaidCertificates, ListOrders, GetOrder and recentChanges.
type lifecycleView struct {
	paid    ncpapi.AdvancedOrder
	listed  ncpapi.Order
	got     *ncpapi.GetOrderResponse
	changes map[int64]string // certificateId -> status of the last minute
}

func readView(t *testing.T, c *client.Client, orderID string) lifecycleView {
	t.Helper()
	ctx := context.Background()
	var v lifecycleView
	paid, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
	if err != nil {
		t.Fatalf("ListAdvancedCertificates: %v", err)
	}
	for _, o := range paid.Orders {
		if o.OrderID == orderID {
			v.paid = o
		}
	}
	orders, err := c.ListOrders(ctx, 0, 0)
	if err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	for _, o := range orders.Orders {
		if o.OrderID == orderID {
			v.listed = o
		}
	}
	if v.got, err = c.GetOrder(ctx, orderID); err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	ch, err := c.ListRecentCertChanges(ctx, client.ChangeWindow{Seconds: 60})
	if err != nil {
		t.Fatalf("ListRecentCertChanges: %v", err)
	}
	v.changes = map[int64]string{}
	for _, o := range ch.Orders {
		if o.OrderID != orderID {
			t.Errorf("recentChanges item %+v: orderId %q, want %q", o, o.OrderID, orderID)
		}
		v.changes[o.CertificateID] = o.Status
	}
	return v
}

// cert returns certificate no as getPaidCertificates lists it, and checks
// that ListOrders and GetOrder list exactly the same item.
func (v lifecycleView) cert(t *testing.T, no int64) ncpapi.AdvancedCertificate {
	t.Helper()
	find := func(list []ncpapi.AdvancedCertificate) *ncpapi.AdvancedCertificate {
		for i := range list {
			if list[i].CertificateNo == no {
				return &list[i]
			}
		}
		return nil
	}
	p := find(v.paid.Certificates)
	if p == nil {
		t.Fatalf("certificate %d not in getPaidCertificates' order %s: %+v", no, v.paid.OrderID, v.paid)
	}
	for name, list := range map[string][]ncpapi.AdvancedCertificate{"ListOrders": v.listed.Certificates, "GetOrder": v.got.Certificates} {
		if o := find(list); o == nil {
			t.Errorf("%s does not list certificate %d", name, no)
		} else if diff := cmpDiff(*p, *o); diff != "" {
			t.Errorf("%s's certificate %d differs from getPaidCertificates' (-paid +%s):\n%s", name, no, name, diff)
		}
	}
	return *p
}

// wantCert checks a listed certificate's status and issue type, and the
// status recentChanges reports for it (want "" = not in the last minute).
func (v lifecycleView) wantCert(t *testing.T, no int64, status, issueType, change string) ncpapi.AdvancedCertificate {
	t.Helper()
	c := v.cert(t, no)
	if c.StatusName != status || c.IssueType != issueType {
		t.Errorf("certificate %d: %s (%s) %s; want %s, %s", no, c.StatusName, c.StatusCode, c.IssueType, status, issueType)
	}
	if got := v.changes[no]; got != change {
		t.Errorf("recentChanges for certificate %d = %q, want %q", no, got, change)
	}
	return c
}

// publish serves the TXT records ListDcvStatuses asks for, for domains
// (every domain when none are named).
func publish(t *testing.T, c *client.Client, dns *dnstest.Server, no int64, domains ...string) {
	t.Helper()
	resp, err := c.ListDcvStatuses(context.Background(), no, "")
	if err != nil {
		t.Fatalf("ListDcvStatuses(%d): %v", no, err)
	}
	values := map[string][]string{}
	for _, d := range resp.DNSVerificationList {
		if len(domains) == 0 || slices.Contains(domains, d.DomainAddress) {
			values[d.TxtName] = append(values[d.TxtName], d.TxtValue)
		}
	}
	for name, vs := range values {
		dns.SetTXT(name, vs...)
	}
}

func dcvStatus(t *testing.T, c *client.Client, no int64, domain string) string {
	t.Helper()
	resp, err := c.ListDcvStatuses(context.Background(), no, domain)
	if err != nil {
		t.Fatalf("ListDcvStatuses: %v", err)
	}
	if len(resp.DNSVerificationList) != 1 {
		t.Fatalf("ListDcvStatuses(%d, %s): %d records, want 1", no, domain, len(resp.DNSVerificationList))
	}
	return resp.DNSVerificationList[0].ValidStatusCode
}

func listedStatusName(t *testing.T, c *client.Client, no int64) string {
	t.Helper()
	resp, err := c.ListAdvancedCertificates(context.Background(), client.ListAdvancedOptions{})
	if err != nil {
		t.Fatalf("ListAdvancedCertificates: %v", err)
	}
	_, got := findCert(t, resp, no)
	return got.StatusName
}

// findIssueType returns the number of the order's certificate of that
// issueType, or 0.
func findIssueType(t *testing.T, c *client.Client, orderID, issueType string) int64 {
	t.Helper()
	got, err := c.GetOrder(context.Background(), orderID)
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	for _, cert := range got.Certificates {
		if cert.IssueType == issueType {
			return cert.CertificateNo
		}
	}
	return 0
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.ReturnCode != code {
		t.Fatalf("err = %v, want returnCode %s", err, code)
	}
}

// TestLifecycleScenarioDNS walks an OV order through its whole life with
// real DNS validation: organization, request with D, TXT records served by
// a DNS server on the loopback, issuance, private key, reissue, the clock
// moved into the renewal window, renewal, and revocation of the whole
// order. After every step getPaidCertificates, ListOrders, GetOrder and
// recentChanges must all show it.
func TestLifecycleScenarioDNS(t *testing.T) {
	dns := dnstest.Start(t)
	ts := startServer(t, withDNS(dns))
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	org, _ := strconv.ParseInt(ts.createOrg(), 10, 64)
	key := mustRSAKey(t, 0)

	// 1. Request with one-time DNS TXT validation.
	pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
		CSR: mustCSR(t, key, "example.com"), CertificateType: "NCP_PAID_OV_01", CertificateName: "shop-cert",
		CommonName: "example.com", DNSName: []string{"www.example.com"}, ValidationMethod: "D",
		OrganizationNo: ncpapi.FlexInt(org),
	})
	if err != nil {
		t.Fatalf("RequestAdvancedCertificate: %v", err)
	}
	orig, orderID := pc.CertificateNo, pc.OrderID
	v := readView(t, c, orderID)
	v.wantCert(t, orig, "Ongoing", "ORIGINAL", "Ongoing")
	if v.listed.SubscriptionStartDt != nil || v.listed.RemainingDays != nil || v.listed.ExtendableYears != 0 {
		t.Errorf("before issuance ListOrders shows %+v; want null dates, null remainingDays, extendableYears 0", v.listed)
	}

	dcv, err := c.ListDcvStatuses(ctx, orig, "")
	if err != nil {
		t.Fatal(err)
	}
	if dcv.DNSVerificationCount != 2 {
		t.Fatalf("dnsVerificationCount = %d, want 2", dcv.DNSVerificationCount)
	}
	names := map[string]string{}
	for _, d := range dcv.DNSVerificationList {
		names[d.DomainAddress] = d.TxtName
		if d.ValidStatusCode != "VALID_STATUS_REG" || len(d.TxtValue) != 32 || d.RequestSn != strconv.FormatInt(orig, 10) {
			t.Errorf("DCV record %+v: want VALID_STATUS_REG, a 32-character value, requestSn %d", d, orig)
		}
	}
	if names["example.com"] != "_dnsauth.example.com" || names["www.example.com"] != "_dnsauth.www.example.com" {
		t.Fatalf("TXT names = %v", names)
	}

	// 2. Only one record published: that domain passes, the request waits.
	publish(t, c, dns, orig, "example.com")
	ts.clock.Advance(2 * time.Minute)
	eventually(t, "example.com is validated", func() bool { return dcvStatus(t, c, orig, "example.com") == "VALID_STATUS_SUCCESS" })
	if got := dcvStatus(t, c, orig, "www.example.com"); got != "VALID_STATUS_REG" {
		t.Fatalf("www.example.com without its record: %s, want VALID_STATUS_REG", got)
	}
	if got := listedStatusName(t, c, orig); got != "Ongoing" {
		t.Fatalf("with one domain pending the certificate is %q, want Ongoing", got)
	}

	// 3. Both published: the CA issues and the subscription starts.
	publish(t, c, dns, orig)
	ts.clock.Advance(5 * time.Minute)
	eventually(t, "the certificate is issued", func() bool { return listedStatusName(t, c, orig) != "Ongoing" })
	issuedAt := ts.clock.Now()
	v = readView(t, c, orderID)
	got := v.wantCert(t, orig, "Normal (private key not registered)", "ORIGINAL", "Normal (private key not registered)")
	if got.SerialNumber == "" || got.NotAfter == nil || !strings.HasPrefix(got.SubjectDN, "cn=example.com,o=Example Corporation") {
		t.Errorf("issued certificate %+v lacks its metadata", got)
	}
	wantStart := ts.clock.Now().Add(-7 * time.Minute).In(kst).Format("2006-01-02 15:04:05")
	if v.listed.SubscriptionStartDt == nil || *v.listed.SubscriptionStartDt != wantStart || v.listed.SubscriptionYears != 1 ||
		// The subscription ends a year after registration at 23:59:59 KST,
		// like the certificates in it: 365 whole days from 10:22 today.
		v.listed.RemainingDays == nil || *v.listed.RemainingDays != 365 || v.listed.ExtendableYears != 2 {
		t.Errorf("ListOrders after issuance = start %v years %d remaining %v extendable %d; want %s, 1, 365, 2",
			orDash(v.listed.SubscriptionStartDt), v.listed.SubscriptionYears, derefInt(v.listed.RemainingDays), v.listed.ExtendableYears, wantStart)
	}
	// No certificate outlives its order's subscription.
	if v.listed.SubscriptionEndDt != nil && got.NotAfter != nil {
		end, err1 := c.ParseDate(*v.listed.SubscriptionEndDt)
		na, err2 := c.ParseDate(*got.NotAfter)
		if err1 != nil || err2 != nil || na.After(end) {
			t.Errorf("certificate notAfter %s is after the subscription end %s (%v %v)", *got.NotAfter, *v.listed.SubscriptionEndDt, err1, err2)
		}
	}
	if v.got.TotalCount != 1 || v.got.OrderID != orderID {
		t.Errorf("GetOrder totalCount %d orderId %q; want 1, %s", v.got.TotalCount, v.got.OrderID, orderID)
	}

	// 4. Private key registered.
	ts.clock.Advance(time.Minute)
	if err := c.RegisterPrivateKey(ctx, orig, mustKeyPEM(t, key)); err != nil {
		t.Fatal(err)
	}
	readView(t, c, orderID).wantCert(t, orig, "Normal", "ORIGINAL", "Normal")

	// 5. Reissue with a new key: a REISSUE certificate in the same order,
	// validated again (D is one-time).
	ts.clock.Advance(time.Hour)
	key2 := mustRSAKey(t, 1)
	rc, err := c.ReissueCertificate(ctx, orig, ncpapi.ReissueRequest{
		CSR: mustCSR(t, key2, "example.com"), CertificateName: "shop-cert-2", CommonName: "example.com",
		DNSName: []string{"www.example.com"}, ValidationMethod: "D",
	})
	if err != nil {
		t.Fatalf("ReissueCertificate: %v", err)
	}
	if rc == nil || rc.OrderID != orderID || rc.StatusCode != "0" {
		t.Fatalf("reissue answer %+v, want an Ongoing certificate in order %s", rc, orderID)
	}
	reissue := rc.CertificateNo
	v = readView(t, c, orderID)
	v.wantCert(t, orig, "Normal", "ORIGINAL", "")
	v.wantCert(t, reissue, "Ongoing", "REISSUE", "Ongoing")
	t.Run("ErrReissueWhileIssuing", func(t *testing.T) {
		_, err := c.ReissueCertificate(ctx, orig, ncpapi.ReissueRequest{
			CSR: mustCSR(t, key2, "example.com"), CertificateName: "shop-cert-3", CommonName: "example.com", ValidationMethod: "D",
		})
		wantCode(t, err, "26100")
	})
	dns.SetTXT("_dnsauth.example.com")
	dns.SetTXT("_dnsauth.www.example.com")
	publish(t, c, dns, reissue)
	ts.clock.Advance(2 * time.Minute)
	eventually(t, "the reissue is issued", func() bool { return listedStatusName(t, c, reissue) != "Ongoing" })
	if err := c.RegisterPrivateKey(ctx, reissue, mustKeyPEM(t, key2)); err != nil {
		t.Fatal(err)
	}
	v = readView(t, c, orderID)
	re := v.wantCert(t, reissue, "Normal", "REISSUE", "Normal")

	// 6. Renewal on, the subscription extended so that it covers a renewal
	// (a 1-year order ends with its first certificate), and the clock moved
	// into the window (45 to 30 days before notAfter).
	if err := c.SetRenewalStatus(ctx, reissue, true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.SubscriptionExtend(ctx, orderID, "3Y"), "26160")
	if err := c.SubscriptionExtend(ctx, orderID, "1Y"); err != nil {
		t.Fatalf("SubscriptionExtend: %v", err)
	}
	v = readView(t, c, orderID)
	if v.listed.SubscriptionYears != 2 || v.listed.ExtendableYears != 1 || v.got.SubscriptionYears != 2 {
		t.Errorf("after extending by 1Y: years %d (GetOrder %d), extendable %d; want 2, 1", v.listed.SubscriptionYears, v.got.SubscriptionYears, v.listed.ExtendableYears)
	}
	notAfter, err := c.ParseDate(*re.NotAfter)
	if err != nil {
		t.Fatal(err)
	}
	ts.clock.Advance(notAfter.Sub(ts.clock.Now()) - 40*24*time.Hour)
	var renewal int64
	eventually(t, "the renewal is issued", func() bool {
		renewal = findIssueType(t, c, orderID, "RENEWAL")
		return renewal != 0 && listedStatusName(t, c, renewal) == "Normal"
	})
	v = readView(t, c, orderID)
	v.wantCert(t, orig, "Normal", "ORIGINAL", "")
	v.wantCert(t, reissue, "Normal", "REISSUE", "")
	rn := v.wantCert(t, renewal, "Normal", "RENEWAL", "Normal")
	if rn.CertificateName != "shop-cert-2-r1" || rn.OrderID != orderID {
		t.Errorf("renewal named %q in order %q; want shop-cert-2-r1 in %s", rn.CertificateName, rn.OrderID, orderID)
	}
	if renewedUntil, _ := c.ParseDate(*rn.NotAfter); !renewedUntil.After(notAfter) {
		t.Errorf("renewal valid until %s, not after the reissue's %s", *rn.NotAfter, *re.NotAfter)
	}
	if rn.SerialNumber == re.SerialNumber {
		t.Error("the renewal has the reissue's serial number")
	}

	// 7. Revoke the whole order.
	ts.clock.Advance(time.Hour)
	n, err := c.RevokeCertificate(ctx, orderID, 0, "superseded")
	if err != nil || n != 3 {
		t.Fatalf("RevokeCertificate(order) = %d, %v; want 3 revoked", n, err)
	}
	v = readView(t, c, orderID)
	for _, no := range []int64{orig, reissue, renewal} {
		if got := v.wantCert(t, no, "Revoked", v.cert(t, no).IssueType, "Revoked"); got.RevokeDate == nil || *got.RevokeDate != wireDate(ts.clock.Now()) || got.StatusCode != "-5" {
			t.Errorf("revoked certificate %d: statusCode %s revokeDate %v; want -5, %s", no, got.StatusCode, orDash(got.RevokeDate), wireDate(ts.clock.Now()))
		}
	}
	_, err = c.RevokeCertificate(ctx, orderID, 0, "superseded")
	wantCode(t, err, "26100")
	_ = issuedAt
}

// TestLifecycleScenarioControlPlane drives the same life through the
// control plane alone: no DNS server, validation passed with `ncm admin
// validation pass`, and time moved with `ncm admin clock advance`.
func TestLifecycleScenarioControlPlane(t *testing.T) {
	ts := startServer(t, withEmulator)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	org, _ := strconv.ParseInt(ts.createOrg(), 10, 64)
	key := mustRSAKey(t, 0)

	pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
		CSR: mustCSR(t, key, "cp.example.com"), CertificateType: "NCP_PAID_OV_01", CertificateName: "cp-cert",
		CommonName: "cp.example.com", DNSName: []string{"www.cp.example.com"}, ValidationMethod: "D",
		OrganizationNo: ncpapi.FlexInt(org), SubscriptionPeriod: "2Y",
	})
	if err != nil {
		t.Fatal(err)
	}
	orig, orderID := pc.CertificateNo, pc.OrderID
	readView(t, c, orderID).wantCert(t, orig, "Ongoing", "ORIGINAL", "Ongoing")

	// One domain passed: still Ongoing. The other: issued.
	ts.ctl("validation", "pass", fmt.Sprint(orig), "--domain", "cp.example.com")
	if got := dcvStatus(t, c, orig, "cp.example.com"); got != "VALID_STATUS_SUCCESS" {
		t.Fatalf("passed domain: %s", got)
	}
	readView(t, c, orderID).wantCert(t, orig, "Ongoing", "ORIGINAL", "Ongoing")
	ts.ctl("validation", "pass", fmt.Sprint(orig), "--domain", "www.cp.example.com")
	v := readView(t, c, orderID)
	v.wantCert(t, orig, "Normal (private key not registered)", "ORIGINAL", "Normal (private key not registered)")
	if v.listed.SubscriptionYears != 2 || v.listed.ExtendableYears != 1 {
		t.Errorf("2Y order: years %d extendable %d; want 2, 1", v.listed.SubscriptionYears, v.listed.ExtendableYears)
	}
	if err := c.RegisterPrivateKey(ctx, orig, mustKeyPEM(t, key)); err != nil {
		t.Fatal(err)
	}
	readView(t, c, orderID).wantCert(t, orig, "Normal", "ORIGINAL", "Normal")

	key2 := mustRSAKey(t, 1)
	rc, err := c.ReissueCertificate(ctx, orig, ncpapi.ReissueRequest{
		CSR: mustCSR(t, key2, "cp.example.com"), CertificateName: "cp-cert-2", CommonName: "cp.example.com",
		DNSName: []string{"www.cp.example.com"}, ValidationMethod: "D",
	})
	if err != nil {
		t.Fatal(err)
	}
	reissue := rc.CertificateNo
	ts.ctl("validation", "pass", fmt.Sprint(reissue))
	if err := c.RegisterPrivateKey(ctx, reissue, mustKeyPEM(t, key2)); err != nil {
		t.Fatal(err)
	}
	v = readView(t, c, orderID)
	re := v.wantCert(t, reissue, "Normal", "REISSUE", "Normal")
	if err := c.SetRenewalStatus(ctx, reissue, true); err != nil {
		t.Fatal(err)
	}

	// Into the renewal window: the control plane runs the due jobs at once.
	notAfter, _ := c.ParseDate(*re.NotAfter)
	days := int(notAfter.Sub(ts.clock.Now()).Hours()/24) - 40
	ts.ctl("clock", "advance", fmt.Sprintf("%dd", days))
	renewal := findIssueType(t, c, orderID, "RENEWAL")
	if renewal == 0 {
		t.Fatalf("no RENEWAL certificate right after the clock moved %d days", days)
	}
	v = readView(t, c, orderID)
	v.wantCert(t, renewal, "Normal", "RENEWAL", "Normal")
	v.wantCert(t, reissue, "Normal", "REISSUE", "")

	n, err := c.RevokeCertificate(ctx, orderID, 0, "cessationOfOperation")
	if err != nil || n != 3 {
		t.Fatalf("RevokeCertificate(order) = %d, %v; want 3", n, err)
	}
	v = readView(t, c, orderID)
	for _, no := range []int64{orig, reissue, renewal} {
		v.wantCert(t, no, "Revoked", v.cert(t, no).IssueType, "Revoked")
	}

	// A year on, the revoked certificates stay revoked (not "expired"),
	// and the order's subscription shows its end.
	ts.ctl("clock", "advance", "800d")
	v = readView(t, c, orderID)
	if got := v.cert(t, renewal).StatusName; got != "Revoked" {
		t.Errorf("revoked renewal after its expiry: %q, want Revoked", got)
	}
	if v.listed.RemainingDays == nil || *v.listed.RemainingDays >= 0 || v.listed.ExtendableYears != 0 {
		t.Errorf("after the subscription ended: remainingDays %s extendable %d; want negative, 0", derefInt(v.listed.RemainingDays), v.listed.ExtendableYears)
	}
}
