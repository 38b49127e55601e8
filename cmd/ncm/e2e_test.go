package main

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
)

var kst = time.FixedZone("UTC+09:00", 9*3600)

// storedCertificate reads a certificate's row directly from the server's
// data directory, to compare the API's answer with what was really issued.
func (ts *testServer) storedCertificate(no int64) *ncm.Certificate {
	ts.t.Helper()
	a, err := openApp(context.Background(), ts.storeOptions(), service.Config{}, discardLogger())
	if err != nil {
		ts.t.Fatal(err)
	}
	defer a.Close()
	var c *ncm.Certificate
	if err := a.store.Read(context.Background(), func(tx ncm.Tx) (err error) {
		c, err = tx.CertificateByNo(context.Background(), no)
		return err
	}); err != nil {
		ts.t.Fatal(err)
	}
	return c
}

func findCert(t *testing.T, resp *ncpapi.ListAdvancedCertificatesResponse, no int64) (ncpapi.AdvancedOrder, ncpapi.AdvancedCertificate) {
	t.Helper()
	for _, o := range resp.Orders {
		for _, c := range o.Certificates {
			if c.CertificateNo == no {
				return o, c
			}
		}
	}
	t.Fatalf("certificate %d not in the list: %+v", no, resp)
	return ncpapi.AdvancedOrder{}, ncpapi.AdvancedCertificate{}
}

func wireDate(t time.Time) string { return t.In(kst).Format("2006-01-02 15:04:05(UTC-07:00)") }

// TestAdvancedOVEndToEnd walks an OV order through the SDK against the real
// server: request, approve validation, register a wrong and the right key,
// and list, comparing every field of the listed certificate with the issued
// X.509 certificate and the order.
func TestAdvancedOVEndToEnd(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	orgNo := ts.createOrg()
	org, _ := strconv.ParseInt(orgNo, 10, 64)
	key := mustRSAKey(t, 0)

	pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
		CSR:              mustCSR(t, key, "example.com", "example.com", "www.example.com"),
		CertificateType:  "NCP_PAID_OV_01",
		CertificateName:  "sample-cert-01",
		CommonName:       "example.com",
		DNSName:          []string{"www.example.com", "api.example.com"},
		ValidationMethod: "D",
		OrganizationNo:   ncpapi.FlexInt(org),
	})
	if err != nil {
		t.Fatalf("RequestAdvancedCertificate: %v", err)
	}
	if pc.StatusCode != "0" || pc.CertificateNo != 100001 || pc.OrderID != "900001" {
		t.Fatalf("request answer = %+v, want status 0, certificate 100001 in order 900001", pc)
	}
	registered := ts.clock.Now()

	// Ongoing: listed with no notAfter yet.
	resp, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, got := findCert(t, resp, pc.CertificateNo)
	if got.StatusCode != "0" || got.StatusName != "Ongoing" || got.NotAfter != nil || got.SerialNumber != "" {
		t.Fatalf("before validation: status %q/%q notAfter %v serial %q; want 0/Ongoing, null, empty", got.StatusCode, got.StatusName, got.NotAfter, got.SerialNumber)
	}

	ts.clock.Advance(90 * time.Minute)
	issuedAt := ts.clock.Now()
	// The server runs on a fake clock, so approve on that clock (the CLI
	// form, `ncm admin dcv approve`, is driven by TestCLIAdvancedOVEndToEnd).
	ts.approve(pc.CertificateNo)

	resp, err = c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, got = findCert(t, resp, pc.CertificateNo); got.StatusCode != "2" {
		t.Fatalf("after approval: statusCode %q, want 2 (private key not registered)", got.StatusCode)
	}

	// The wrong key is refused with 26040 and changes nothing.
	err = c.RegisterPrivateKey(ctx, pc.CertificateNo, mustKeyPEM(t, mustRSAKey(t, 1)))
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.ReturnCode != "26040" {
		t.Fatalf("RegisterPrivateKey(wrong key) = %v, want returnCode 26040", err)
	}
	ts.clock.Advance(time.Minute)
	keyAt := ts.clock.Now()
	if err := c.RegisterPrivateKey(ctx, pc.CertificateNo, mustKeyPEM(t, key)); err != nil {
		t.Fatalf("RegisterPrivateKey: %v", err)
	}

	resp, err = c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.TotalCount != 1 || len(resp.Orders) != 1 {
		t.Fatalf("totalCount %d, %d orders; want 1, 1", resp.TotalCount, len(resp.Orders))
	}
	order, got := findCert(t, resp, pc.CertificateNo)

	stored := ts.storedCertificate(pc.CertificateNo)
	block, _ := pem.Decode([]byte(stored.CertificatePEM))
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	verifyChain(t, ts.dataDir, leaf, stored.ChainPEM)

	want := ncpapi.AdvancedCertificate{
		CertificateNo:      pc.CertificateNo,
		CertificateName:    "sample-cert-01",
		MemberNo:           ts.memberNo,
		CommonName:         leaf.Subject.CommonName,
		DNSName:            strings.Join(leaf.DNSNames, ","),
		StatusCode:         "1",
		StatusName:         "Normal",
		CertificateType:    "NCP_PAID_OV_01",
		DomainCode:         "PUB",
		UpdateDate:         wireDate(keyAt),
		OrderID:            order.OrderID,
		IssueType:          "ORIGINAL",
		SubjectDN:          "cn=example.com,o=Example Corporation,l=Sample-city,s=Sample-state,c=KR",
		RegistDate:         wireDate(registered),
		NotAfter:           ptr(wireDate(leaf.NotAfter)),
		CertPublicKeyInfo:  "RSA 2048",
		Issuer:             "cn=ncm Local Issuing CA,o=ncm",
		SerialNumber:       strings.ToUpper(hex.EncodeToString(leaf.SerialNumber.Bytes())),
		SignatureAlgorithm: "SHA256withECDSA",
		IssueDate:          ptr(wireDate(issuedAt)),
		NotBefore:          ptr(wireDate(leaf.NotBefore)),
		RevokeDate:         nil,
		UsedInstanceNoList: "",
	}
	if len(want.SerialNumber)%2 == 1 {
		want.SerialNumber = "0" + want.SerialNumber
	}
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("listed certificate differs from the issued certificate (-want +got):\n%s", diff)
	}
	if order.OrderID != pc.OrderID {
		t.Errorf("orderId %q, want %q", order.OrderID, pc.OrderID)
	}
	if got.CommonName != "example.com" || got.DNSName != "example.com,www.example.com,api.example.com" {
		t.Errorf("names = %q / %q, want the CN first and the SANs in request order", got.CommonName, got.DNSName)
	}
	if !strings.HasSuffix(*got.NotAfter, "23:59:59(UTC+09:00)") {
		t.Errorf("notAfter %q, want the end of a day in KST like the seed", *got.NotAfter)
	}
	if leaf.Subject.Organization[0] != "Example Corporation" || leaf.Subject.Province[0] != "Sample-state" {
		t.Errorf("OV subject = %v, want the organization's details", leaf.Subject)
	}

	t.Run("OtherMemberSeesNothing", func(t *testing.T) {
		_, ak, sk := ts.newMember()
		other := ts.client(ak, sk)
		resp, err := other.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.TotalCount != 0 || len(resp.Orders) != 0 {
			t.Fatalf("other member sees totalCount %d, orders %v; want nothing", resp.TotalCount, resp.Orders)
		}
		err = other.RegisterPrivateKey(ctx, pc.CertificateNo, mustKeyPEM(t, key))
		if !errors.As(err, &ae) || ae.ReturnCode != "1006" {
			t.Fatalf("other member's RegisterPrivateKey = %v, want 1006 like a missing certificate", err)
		}
		// Another member's certificate answers exactly like a number that
		// does not exist (up to the number itself, which the message names).
		missing := pc.CertificateNo + 1000
		err = other.RegisterPrivateKey(ctx, missing, mustKeyPEM(t, key))
		var ae2 *client.APIError
		if !errors.As(err, &ae2) || ae2.ReturnCode != ae.ReturnCode || ae2.HTTPStatus != ae.HTTPStatus ||
			strings.ReplaceAll(ae2.ReturnMessage, itoa(missing), "N") != strings.ReplaceAll(ae.ReturnMessage, itoa(pc.CertificateNo), "N") {
			t.Fatalf("missing certificate answers %v, another member's %v: they must be identical", err, ae)
		}
	})
}

func ptr(s string) *string { return &s }

// verifyChain checks the issued leaf against the CA files in the data
// directory with crypto/x509 and, when it is installed, openssl verify.
func verifyChain(t *testing.T, dataDir string, leaf *x509.Certificate, chainPEM string) {
	t.Helper()
	rootPEM, err := os.ReadFile(filepath.Join(dataDir, "ca", "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM)
	inter.AppendCertsFromPEM([]byte(chainPEM))
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: leaf.DNSNames[0],
		CurrentTime: leaf.NotBefore.Add(time.Hour)}); err != nil {
		t.Fatalf("issued certificate does not verify against the local CA: %v", err)
	}
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Log("openssl not installed; verified with crypto/x509 only")
		return
	}
	dir := t.TempDir()
	leafFile, chainFile := filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "chain.pem")
	os.WriteFile(leafFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}), 0o600)
	os.WriteFile(chainFile, []byte(chainPEM), 0o600)
	// -attime: the test clock is in 2026-03, the certificate's validity too.
	out, err := exec.Command(openssl, "verify", "-attime", strconv.FormatInt(leaf.NotBefore.Add(time.Hour).Unix(), 10),
		"-CAfile", filepath.Join(dataDir, "ca", "root.pem"), "-untrusted", chainFile, leafFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
}

// TestAdvancedKeySetGolden pins the JSON key set of a listed certificate:
// the seed example's keys plus the documented 2026-09-17 additions.
func TestAdvancedKeySetGolden(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) {
			ts := startServer(t, func(o *serveOptions) { o.LegacyFieldNames = legacy })
			c := ts.client(ts.ak, ts.sk)
			ctx := context.Background()
			if _, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
				CSR: mustCSR(t, mustECKey(t), "example.com"), CertificateType: "NCP_PAID_DV_01",
				CertificateName: "golden", CommonName: "example.com", ValidationMethod: "D",
			}); err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			resp := rawGet(t, ts, "/api/v2/certificate/getPaidCertificates")
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			cert := body["orders"].([]any)[0].(map[string]any)["certificates"].([]any)[0].(map[string]any)
			got := sortedKeys(cert)

			var seed map[string]any
			b, err := os.ReadFile("testdata/seed_response_example.json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &seed); err != nil {
				t.Fatal(err)
			}
			seedCert := seed["orders"].([]any)[0].(map[string]any)["certificates"].([]any)[0].(map[string]any)
			for k := range seedCert {
				if _, ok := cert[k]; !ok {
					t.Errorf("key %q of the seed example is missing", k)
				}
			}
			for k := range seed {
				if _, ok := body[k]; !ok {
					t.Errorf("top-level key %q of the seed example is missing", k)
				}
			}
			golden := "testdata/advanced_certificate_keys.golden"
			if legacy {
				golden = "testdata/advanced_certificate_keys_legacy.golden"
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n")+"\n" != string(want) {
				t.Errorf("key set differs from %s:\ngot:\n%s", golden, strings.Join(got, "\n"))
			}
			if cert["notAfter"] != nil {
				t.Errorf("notAfter = %v while Ongoing, want null", cert["notAfter"])
			}
			if _, isNumber := cert["certificateNo"].(float64); !isNumber {
				t.Errorf("certificateNo is %T, want a JSON number", cert["certificateNo"])
			}
			if _, isString := cert["statusCode"].(string); !isString {
				t.Errorf("statusCode is %T, want a JSON string", cert["statusCode"])
			}
		})
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

// rawGet sends a GET signed with the server's main key, as curl would.
func rawGet(t *testing.T, ts *testServer, target string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.endpoint+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	signHeaders(req, target, ts.ak, ts.sk, ts.clock.Now())
	return ts.do(req)
}
