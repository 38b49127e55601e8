package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/ncpapi"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// certPKI is a root -> intermediate CA and a leaf key, for import tests.
type certPKI struct {
	root, inter *testpki.CA
	key         crypto.Signer
	keyPEM      string
}

func newCertPKI(t *testing.T) certPKI {
	t.Helper()
	root := testpki.NewCA(t, "Import Root")
	inter := root.Intermediate(t, "Import Intermediate")
	key := testpki.MustKey(t, testpki.RSA2048)
	return certPKI{root: root, inter: inter, key: key, keyPEM: testpki.PKCS8PEM(t, key)}
}

// leaf issues a new leaf (a new fingerprint every call) for f.key.
func (f certPKI) leaf(t *testing.T, cn string, sans ...string) *x509.Certificate {
	t.Helper()
	return f.inter.Leaf(t, f.key, testpki.LeafOptions{CommonName: cn, DNSNames: sans})
}

// chainPEM is the intermediate and the root, leaf-up.
func (f certPKI) chainPEM() string { return testpki.CertPEM(f.inter.Cert, f.root.Cert) }

// register imports through API 2.0 and fails the test on error.
func register(t *testing.T, c *client.Client, req ncpapi.RegisterExternalCertificateRequest) (*ncpapi.AdvancedCertificate, []string) {
	t.Helper()
	got, notes, err := c.RegisterExternalCertificate(context.Background(), req)
	if err != nil {
		t.Fatalf("RegisterExternalCertificate(%q): %v", req.CertificateName, err)
	}
	return got, notes
}

// wantAPIError fails unless err is an *client.APIError with this HTTP status
// and returnCode whose message contains msg.
func wantAPIError(t *testing.T, err error, status int, code, msg string) {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an APIError with returnCode %s", err, code)
	}
	if ae.HTTPStatus != status || ae.ReturnCode != code || !strings.Contains(ae.ReturnMessage, msg) {
		t.Fatalf("HTTP %d returnCode %q message %q; want HTTP %d, %q, a message containing %q", ae.HTTPStatus, ae.ReturnCode, ae.ReturnMessage, status, code, msg)
	}
}

// listed returns the numbers of every certificate ListCertificates shows.
func listed(t *testing.T, c *client.Client) []int64 {
	t.Helper()
	resp, err := c.ListCertificates(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}
	if resp.TotalCount != len(resp.SSLCertificateList) {
		t.Errorf("totalCount %d, %d items", resp.TotalCount, len(resp.SSLCertificateList))
	}
	var nos []int64
	for _, x := range resp.SSLCertificateList {
		nos = append(nos, x.CertificateNo)
	}
	return nos
}

// nothingStored checks, after rejected uploads, that the list is what it
// was before and that no number was consumed: the next accepted import gets
// wantNext.
func nothingStored(t *testing.T, c *client.Client, f certPKI, before []int64, wantNext int64) {
	t.Helper()
	if got := listed(t, c); !slices.Equal(got, before) {
		t.Fatalf("after rejections the list is %v, want %v (nothing stored)", got, before)
	}
	got, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "probe-" + time.Now().Format("150405000"),
		CertificateBody: testpki.CertPEM(f.leaf(t, "probe.example.test")), PrivateKey: f.keyPEM, CertificateChain: f.chainPEM()})
	if got.CertificateNo != wantNext {
		t.Fatalf("next accepted import got certificateNo %d, want %d (a rejection consumed a number)", got.CertificateNo, wantNext)
	}
}

// unzip returns the files of a ZIP by name.
func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("download is not a ZIP: %v", err)
	}
	files := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return files
}

// TestCertificateAPIEndToEnd drives every certificate operation through the
// SDK against the real server: register (v1, v2, renewal), the three lists,
// types, chain, the three download formats and delete (v1, v2).
func TestCertificateAPIEndToEnd(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	leaf := f.leaf(t, "www.example.test", "www.example.test", "example.test")

	// v2 register: totalRows 1 and the certificate in sslCertificateList
	// (C51); the client finds it by name.
	got, notes := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert",
		CertificateBody: testpki.CertPEM(leaf), PrivateKey: f.keyPEM, CertificateChain: f.chainPEM()})
	if got.CertificateNo != 100001 || got.StatusCode != "1" || got.CertificateType != "EXTERNAL" || got.IssueType != "EXTERNAL" || len(notes) != 0 {
		t.Fatalf("registered %+v notes %q; want 100001, status 1, EXTERNAL/EXTERNAL, no notes", got, notes)
	}
	if got.DNSName != "www.example.test,example.test" || got.Issuer != "o=ncm test,cn=Import Intermediate" && got.Issuer != "cn=Import Intermediate,o=ncm test" {
		t.Errorf("dnsName %q issuer %q", got.DNSName, got.Issuer)
	}

	// v1 list: the §2.1.1 fields from stored metadata.
	v1, err := c.V1ListCertificates(ctx, client.V1ListOptions{CertificateNo: got.CertificateNo})
	if err != nil || v1.TotalRows != 1 || len(v1.SSLCertificateList) != 1 {
		t.Fatalf("V1ListCertificates = %+v, %v; want one item", v1, err)
	}
	item := v1.SSLCertificateList[0]
	wantStart, wantEnd := wireDate(leaf.NotBefore), wireDate(leaf.NotAfter)
	if item.ExternalYn != "Y" || item.DomainAddress != "www.example.test" || item.SubDomainAddress != "www.example.test,example.test" ||
		item.CAInfo != got.Issuer || item.DNInfo != "cn=www.example.test" || item.CertPublicKeyInfo != "RSA 2048" ||
		item.CertSignAlgorithmName != "SHA256withECDSA" || item.StatusCode != "1" || item.StatusName != "Normal" ||
		certDate(item.ValidStartDate) != wantStart || certDate(item.ValidEndDate) != wantEnd || item.UsedInstanceNoList != "" {
		t.Errorf("v1 item = %+v; want externalYn Y, SANs joined, caInfo = issuer DN, dates %s..%s", item, wantStart, wantEnd)
	}

	// v1 create answers the v1 item.
	v1c, _, err := c.V1CreateExternalCertificate(ctx, ncpapi.CreateExternalCertificateRequest{CertificateName: "api-cert",
		PublicKeyCertificate: testpki.CertPEM(f.leaf(t, "api.example.test")), PrivateKey: f.keyPEM})
	if err != nil || v1c.CertificateNo != 100002 || v1c.ExternalYn != "Y" {
		t.Fatalf("V1CreateExternalCertificate = %+v, %v; want 100002", v1c, err)
	}

	// An Advanced certificate requested through getPaidCertificates' API is
	// listed by ListCertificates too, but not by ListCloudCertificates.
	pc, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{CSR: mustCSR(t, mustRSAKey(t, 0), "paid.example.com"),
		CertificateType: "NCP_PAID_DV_01", CertificateName: "paid-cert", CommonName: "paid.example.com", ValidationMethod: "D"})
	if err != nil {
		t.Fatal(err)
	}
	if nos := listed(t, c); !slices.Equal(nos, []int64{100001, 100002, pc.CertificateNo}) {
		t.Errorf("ListCertificates = %v, want both imports and the Advanced request", nos)
	}
	page, err := c.ListCertificates(ctx, client.ListOptions{Page: 2, PageSize: 2})
	if err != nil || page.TotalCount != 3 || len(page.SSLCertificateList) != 1 || page.SSLCertificateList[0].CertificateNo != pc.CertificateNo {
		t.Errorf("page 2 of 2 = %+v, %v; want total 3 and the Advanced certificate", page, err)
	}
	byName, err := c.ListCertificates(ctx, client.ListOptions{CertificateName: "api-cert"})
	if err != nil || byName.TotalCount != 1 || byName.SSLCertificateList[0].CertificateNo != 100002 {
		t.Errorf("ListCertificates(name) = %+v, %v", byName, err)
	}
	cloud, err := c.ListCloudCertificates(ctx, client.ListOptions{})
	if err != nil || cloud.TotalCount != 0 || cloud.SSLCertificateList == nil {
		t.Errorf("ListCloudCertificates = %+v, %v; want an empty list", cloud, err)
	}

	// ListCertificateTypes: the lower-case key is on the wire.
	resp, err := c.Raw(ctx, http.MethodGet, "/api/v2/certificate/certificateTypes", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(raw, []byte(`"certificatetype":[`)) {
		t.Errorf("certificateTypes body lacks the certificatetype key: %s", raw)
	}
	types, err := c.ListCertificateTypes(ctx)
	if err != nil || types.TotalCount != len(types.CertificateType) || types.TotalCount < 4 {
		t.Errorf("ListCertificateTypes = %+v, %v", types, err)
	}

	// Chain: leaf, intermediate, root, each as stored.
	ch, err := c.GetCertificateChain(ctx, 100001)
	if err != nil {
		t.Fatal(err)
	}
	if ch.SubjectCommonName != "www.example.test" || ch.Certificate != testpki.CertPEM(leaf) ||
		ch.SubCACertificate != testpki.CertPEM(f.inter.Cert) || ch.RootCACertificate != testpki.CertPEM(f.root.Cert) {
		t.Errorf("chain = %+v", ch)
	}

	// Downloads: PEM ZIP, PFX, JKS.
	d, err := c.DownloadCertificate(ctx, 100001, ncpapi.DownloadCertificateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, d.Zip)
	if string(files["certificate.pem"]) != testpki.CertPEM(leaf) || string(files["chain.pem"]) != f.chainPEM() ||
		string(files["fullchain.pem"]) != testpki.CertPEM(leaf)+f.chainPEM() || !bytes.HasPrefix(files["private-key.pem"], []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Errorf("PEM ZIP files = %v", keys(files))
	}
	d, err = c.DownloadCertificate(ctx, 100001, ncpapi.DownloadCertificateRequest{Type: "pfx", Passwd: "Test-1234"})
	if err != nil {
		t.Fatal(err)
	}
	if _, pfxLeaf, _, err := pkcs12.DecodeChain(unzip(t, d.Zip)["certificate.pfx"], "Test-1234"); err != nil || !pfxLeaf.Equal(leaf) || d.PFXEncoding != "Modern2023" {
		t.Errorf("PFX download: %v, encoding %q", err, d.PFXEncoding)
	}
	d, err = c.DownloadCertificate(ctx, 100001, ncpapi.DownloadCertificateRequest{Type: "JKS", Passwd: "changeit"})
	if err != nil || !bytes.HasPrefix(unzip(t, d.Zip)["keystore.jks"], []byte{0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2}) {
		t.Errorf("JKS download: %v", err)
	}

	// Renewal registration: new files, same number, name and instances.
	renewed := f.leaf(t, "www.example.test", "www.example.test")
	got, _ = register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateNo: 100001,
		CertificateBody: testpki.CertPEM(renewed), PrivateKey: f.keyPEM, CertificateChain: f.chainPEM()})
	if got.CertificateNo != 100001 || got.SerialNumber == item.CertSerialNumber {
		t.Errorf("renewal answered %d serial %s; want 100001 with the new serial", got.CertificateNo, got.SerialNumber)
	}
	_, _, err = c.RegisterExternalCertificate(ctx, ncpapi.RegisterExternalCertificateRequest{CertificateName: "wrong-name", CertificateNo: 100001,
		CertificateBody: testpki.CertPEM(f.leaf(t, "x.example.test")), PrivateKey: f.keyPEM})
	wantAPIError(t, err, http.StatusBadRequest, "2000", "must be the name of certificate 100001")

	// Deletes, v2 and v1.
	if err := c.DeleteCertificate(ctx, 100001, "web-cert"); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}
	if err := c.V1DeleteCertificate(ctx, 100002, "api-cert"); err != nil {
		t.Fatalf("V1DeleteCertificate: %v", err)
	}
	if nos := listed(t, c); !slices.Equal(nos, []int64{pc.CertificateNo}) {
		t.Errorf("after deletes ListCertificates = %v, want only %d", nos, pc.CertificateNo)
	}
	_, err = c.GetCertificateChain(ctx, 100001)
	wantAPIError(t, err, http.StatusOK, "1006", "No certificate exists")
	_, err = c.DownloadCertificate(ctx, 100001, ncpapi.DownloadCertificateRequest{})
	wantAPIError(t, err, http.StatusOK, "1006", "No certificate exists")

	// Another member sees none of it.
	_, ak, sk := ts.newMember()
	if nos := listed(t, ts.client(ak, sk)); len(nos) != 0 {
		t.Errorf("another member lists %v", nos)
	}
	_, err = ts.client(ak, sk).GetCertificateChain(ctx, pc.CertificateNo)
	wantAPIError(t, err, http.StatusOK, "1006", "No certificate exists")
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}
