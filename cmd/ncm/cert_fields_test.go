package main

// Field cases of certificate intake and export (../shared/cases/
// field-cases.md), end to end through the SDK and the real server. Every
// rejection also checks that nothing was stored and no number consumed.

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// rejectCase is one upload that must be refused.
type rejectCase struct {
	name      string
	req       ncpapi.RegisterExternalCertificateRequest
	status    int
	code, msg string
}

// runRejections sends each case and checks the refusal, then that nothing
// was stored. next is the number the first accepted import after them must
// get.
func runRejections(t *testing.T, ts *testServer, f certPKI, next int64, cases []rejectCase) {
	t.Helper()
	c := ts.client(ts.ak, ts.sk)
	before := listed(t, c)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.RegisterExternalCertificate(context.Background(), tc.req)
			wantAPIError(t, err, tc.status, tc.code, tc.msg)
		})
	}
	t.Run("NothingStored", func(t *testing.T) { nothingStored(t, c, f, before, next) })
}

func TestFieldC01_FullChainInCertificateField(t *testing.T) {
	ts := startServer(t)
	f := newCertPKI(t)
	leaf := testpki.CertPEM(f.leaf(t, "www.example.test", "www.example.test"))
	runRejections(t, ts, f, 100001, []rejectCase{
		{name: "LeafPlusIntermediate", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert",
			CertificateBody: leaf + testpki.CertPEM(f.inter.Cert), PrivateKey: f.keyPEM, CertificateChain: testpki.CertPEM(f.inter.Cert)},
			status: http.StatusOK, code: "26034", msg: "certificateBody contains 2 certificates; only the leaf belongs here, put the intermediates in certificateChain"},
		{name: "FullChainV1FieldName", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert",
			PublicKeyCertificate: leaf + f.chainPEM(), PrivateKey: f.keyPEM},
			status: http.StatusOK, code: "26034", msg: "publicKeyCertificate contains 3 certificates"},
		{name: "KeyPastedIntoCertificateField", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert",
			CertificateBody: leaf + f.keyPEM, PrivateKey: f.keyPEM},
			status: http.StatusOK, code: "26034", msg: "PEM block 2 is a PRIVATE KEY, not a CERTIFICATE"},
	})
}

func TestFieldC02_EmptyChainIsNoChain(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	// (a)-(c): one rule, "no chain", for an omitted, empty and blank chain;
	// the answer warns that clients may lack the issuer.
	for i, chain := range []string{"", "", " \n\t\r\n "} {
		body := map[string]any{"certificateName": "nochain-" + string(rune('a'+i)),
			"certificateBody": testpki.CertPEM(f.leaf(t, "n.example.test")), "privateKey": f.keyPEM}
		if i > 0 {
			body["certificateChain"] = chain // (a) leaves the key out entirely
		}
		var out ncpapi.RegisterExternalCertificateResponse
		if err := c.Do(ctx, http.MethodPost, "/api/v2/certificate/withExternal", nil, body, &out); err != nil {
			t.Fatalf("case %c: %v", 'a'+i, err)
		}
		if out.TotalRows != 1 || len(out.SSLCertificateList) != 1 || out.SSLCertificateList[0].CertificateName != body["certificateName"] {
			t.Fatalf("case %c: totalRows %d with %d items; want 1 and the new certificate (C51)", 'a'+i, out.TotalRows, len(out.SSLCertificateList))
		}
		no := out.SSLCertificateList[0].CertificateNo
		ch, err := c.GetCertificateChain(ctx, no)
		if err != nil || ch.SubCACertificate != "" || ch.RootCACertificate != "" {
			t.Errorf("case %c: chain = %+v, %v; want none", 'a'+i, ch, err)
		}
		if !strings.Contains(strings.Join(out.IntakeNotes, " "), "no certificateChain") {
			t.Errorf("case %c: intakeNotes %q, want the missing-chain warning", 'a'+i, out.IntakeNotes)
		}
	}
	// (d): a correctly split full chain comes back byte for byte.
	got, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "split-chain",
		CertificateBody: testpki.CertPEM(f.leaf(t, "d.example.test")), PrivateKey: f.keyPEM, CertificateChain: f.chainPEM()})
	d, err := c.DownloadCertificate(ctx, got.CertificateNo, ncpapi.DownloadCertificateRequest{Type: "PEM"})
	if err != nil {
		t.Fatal(err)
	}
	if chain := string(unzip(t, d.Zip)["chain.pem"]); chain != f.chainPEM() {
		t.Errorf("chain.pem =\n%s\nwant the uploaded chain", chain)
	}
}

func TestFieldC03_KeyMismatch(t *testing.T) {
	ts := startServer(t)
	f := newCertPKI(t)
	leaf := testpki.CertPEM(f.leaf(t, "www.example.test"))
	other := testpki.PKCS8PEM(t, testpki.MustKeyN(t, testpki.RSA2048, 1))
	ecKey := testpki.MustKey(t, testpki.P256)
	ecLeaf := testpki.CertPEM(f.inter.Leaf(t, ecKey, testpki.LeafOptions{CommonName: "ec.example.test"}))
	garbage := "-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5IGF0IGFsbCwganVzdCBzb21lIGJ5dGVz\n-----END PRIVATE KEY-----\n"
	runRejections(t, ts, f, 100001, []rejectCase{
		{name: "OtherRSAKey", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: leaf, PrivateKey: other},
			status: http.StatusOK, code: "26040", msg: "Public key in certificate does not match with private key"},
		{name: "ECDSACertWithRSAKey", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: ecLeaf, PrivateKey: f.keyPEM},
			status: http.StatusOK, code: "26040", msg: "does not match"},
		{name: "GarbageKey", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: leaf, PrivateKey: garbage},
			status: http.StatusOK, code: "26140", msg: "privateKey: cannot parse private key in PEM block 1"},
		{name: "KeyNotPEM", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: leaf, PrivateKey: "hello"},
			status: http.StatusOK, code: "1002", msg: "privateKey: Unable to load private key"},
		{name: "KeyMissing", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: leaf},
			status: http.StatusBadRequest, code: "2000", msg: "privateKey: is required"},
		{name: "CertificateNotPEM", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: "MIIB", PrivateKey: f.keyPEM},
			status: http.StatusOK, code: "1002", msg: "Unable to load certificate. Expecting PEM format file."},
	})
}

func TestFieldC05_GluedChainBlocks(t *testing.T) {
	ts := startServer(t)
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	glued := strings.TrimSuffix(testpki.CertPEM(f.inter.Cert), "\n") + testpki.CertPEM(f.root.Cert)
	leafNoNewline := strings.TrimSuffix(testpki.CertPEM(f.leaf(t, "www.example.test")), "\n")
	got, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "glued",
		CertificateBody: leafNoNewline, PrivateKey: f.keyPEM, CertificateChain: glued})
	ch, err := c.GetCertificateChain(context.Background(), got.CertificateNo)
	if err != nil || ch.SubCACertificate != testpki.CertPEM(f.inter.Cert) || ch.RootCACertificate != testpki.CertPEM(f.root.Cert) {
		t.Fatalf("chain of the glued upload = %+v, %v; want intermediate and root", ch, err)
	}
}

func TestFieldC07_CRLFIsTheSameCertificate(t *testing.T) {
	ts := startServer(t)
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	leaf := testpki.CertPEM(f.leaf(t, "www.example.test"))
	got, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "crlf-cert",
		CertificateBody: crlf(leaf), PrivateKey: crlf(f.keyPEM),
		CertificateChain: crlf(testpki.CertPEM(f.inter.Cert)) + "\r\n\r\n" + testpki.CertPEM(f.root.Cert)})
	ch, err := c.GetCertificateChain(context.Background(), got.CertificateNo)
	if err != nil || ch.Certificate != leaf || strings.Contains(ch.SubCACertificate+ch.RootCACertificate, "\r") || ch.RootCACertificate == "" {
		t.Fatalf("chain = %+v, %v; want the leaf normalised to LF and 2 chain certificates", ch, err)
	}
	// The same certificate with LF endings is a duplicate (C52).
	runRejections(t, ts, f, got.CertificateNo+1, []rejectCase{
		{name: "SameCertificateLF", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "lf-cert", CertificateBody: leaf, PrivateKey: f.keyPEM},
			status: http.StatusOK, code: "26121", msg: "already registered as certificate 100001"},
	})
}

func TestFieldC10_KeyFormats(t *testing.T) {
	ts := startServer(t)
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	rsa := f.key
	p256, p384 := testpki.MustKey(t, testpki.P256), testpki.MustKey(t, testpki.P384)
	for i, tc := range []struct {
		name   string
		key    string
		leaf   *x509.Certificate
		wantPK string
	}{
		{"RSA-PKCS1", testpki.PKCS1PEM(t, rsa), f.leaf(t, "a.example.test"), "RSA 2048"},
		{"RSA-PKCS8", testpki.PKCS8PEM(t, rsa), f.leaf(t, "b.example.test"), "RSA 2048"},
		{"P256-PKCS8", testpki.PKCS8PEM(t, p256), f.inter.Leaf(t, p256, testpki.LeafOptions{CommonName: "c.example.test"}), "EC P-256"},
		{"P256-SEC1", testpki.SEC1PEM(t, p256), f.inter.Leaf(t, p256, testpki.LeafOptions{CommonName: "d.example.test"}), "EC P-256"},
		{"P256-ECParamsSEC1", testpki.SEC1WithParamsPEM(t, p256), f.inter.Leaf(t, p256, testpki.LeafOptions{CommonName: "e.example.test"}), "EC P-256"},
		{"P256-SEC1-CRLF", strings.ReplaceAll(testpki.SEC1PEM(t, p256), "\n", "\r\n"), f.inter.Leaf(t, p256, testpki.LeafOptions{CommonName: "f.example.test"}), "EC P-256"},
		{"P384-SEC1", testpki.SEC1PEM(t, p384), f.inter.Leaf(t, p384, testpki.LeafOptions{CommonName: "g.example.test"}), "EC P-384"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "key-" + string(rune('a'+i)),
				CertificateBody: testpki.CertPEM(tc.leaf), PrivateKey: tc.key})
			if got.CertPublicKeyInfo != tc.wantPK {
				t.Errorf("certPublicKeyInfo = %q, want %q", got.CertPublicKeyInfo, tc.wantPK)
			}
			d, err := c.DownloadCertificate(context.Background(), got.CertificateNo, ncpapi.DownloadCertificateRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if key := string(unzip(t, d.Zip)["private-key.pem"]); !strings.HasPrefix(key, "-----BEGIN PRIVATE KEY-----\n") {
				t.Errorf("stored key is not exported as PKCS#8:\n%s", key)
			}
		})
	}
	// Keys outside the policy are refused with the rule, whatever the form.
	weak, p521 := testpki.MustKey(t, testpki.RSA1024), testpki.MustKey(t, testpki.P521)
	runRejections(t, ts, f, 100008, []rejectCase{
		{name: "RSA1024", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "weak-cert",
			CertificateBody: testpki.CertPEM(f.inter.Leaf(t, weak, testpki.LeafOptions{CommonName: "w.example.test"})), PrivateKey: testpki.PKCS1PEM(t, weak)},
			status: http.StatusOK, code: "26140", msg: "RSA key has 1024 bits; keys must have 2048 to 4096 bits"},
		{name: "P521", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "p521-cert",
			CertificateBody: testpki.CertPEM(f.inter.Leaf(t, p521, testpki.LeafOptions{CommonName: "p.example.test"})), PrivateKey: testpki.SEC1PEM(t, p521)},
			status: http.StatusOK, code: "26140", msg: "ECDSA curve P-521 is not allowed"},
	})
}

func TestFieldC12_EncryptedKey(t *testing.T) {
	ts := startServer(t)
	f := newCertPKI(t)
	leaf := testpki.CertPEM(f.leaf(t, "www.example.test"))
	runRejections(t, ts, f, 100001, []rejectCase{
		{name: "PKCS8Encrypted", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: leaf,
			PrivateKey: testpki.EncryptedPKCS8PEM(t, f.key, "changeit")},
			status: http.StatusOK, code: "26140", msg: "privateKey is encrypted; decrypt it first and upload the unencrypted key"},
		{name: "LegacyProcType", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: leaf,
			PrivateKey: testpki.EncryptedLegacyPEM(t, f.key, "changeit")},
			status: http.StatusOK, code: "26140", msg: "privateKey is encrypted"},
	})
}

func TestFieldC14_NegativeSerial(t *testing.T) {
	ts := startServer(t)
	f := newCertPKI(t)
	neg := testpki.NegativeSerialPEM(t, f.key)
	runRejections(t, ts, f, 100001, []rejectCase{
		{name: "Leaf", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: neg, PrivateKey: f.keyPEM},
			status: http.StatusOK, code: "26034", msg: "certificate serial number is negative, which RFC 5280 forbids"},
		{name: "ChainElement", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert",
			CertificateBody: testpki.CertPEM(f.leaf(t, "www.example.test")), PrivateKey: f.keyPEM, CertificateChain: testpki.CertPEM(f.inter.Cert) + neg},
			status: http.StatusOK, code: "26034", msg: "certificateChain: certificate 2 of 2: certificate serial number is negative"},
	})
}

func TestFieldC20_ChainOrder(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	// Root first: accepted, stored leaf-up, and the answer says so.
	got, notes := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "root-first",
		CertificateBody: testpki.CertPEM(f.leaf(t, "www.example.test")), PrivateKey: f.keyPEM,
		CertificateChain: testpki.CertPEM(f.root.Cert, f.inter.Cert)})
	if !strings.Contains(strings.Join(notes, " "), "certificateChain was reordered leaf-up") {
		t.Errorf("intakeNotes = %q, want the reorder reported", notes)
	}
	ch, err := c.GetCertificateChain(ctx, got.CertificateNo)
	if err != nil || ch.SubCACertificate != testpki.CertPEM(f.inter.Cert) || ch.RootCACertificate != testpki.CertPEM(f.root.Cert) {
		t.Fatalf("stored chain = %+v, %v; want leaf-up", ch, err)
	}
	// An unrelated intermediate is refused, naming the element and its CN.
	x := testpki.NewCA(t, "Other Root").Intermediate(t, "X")
	runRejections(t, ts, f, got.CertificateNo+1, []rejectCase{
		{name: "UnrelatedIntermediate", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert",
			CertificateBody: testpki.CertPEM(f.leaf(t, "www.example.test")), PrivateKey: f.keyPEM,
			CertificateChain: testpki.CertPEM(f.inter.Cert, x.Cert)},
			status: http.StatusOK, code: "26034", msg: "certificateChain: chain element 2 (CN=X) is not part of the path from the leaf"},
	})
}

func TestFieldC32_PFXLegacyOption(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	got, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "pfx-cert",
		CertificateBody: testpki.CertPEM(f.leaf(t, "www.example.test")), PrivateKey: f.keyPEM, CertificateChain: f.chainPEM()})
	for _, tc := range []struct{ encoding, want string }{{"", "Modern2023"}, {"LegacyDES", "LegacyDES"}} {
		d, err := c.DownloadCertificate(ctx, got.CertificateNo, ncpapi.DownloadCertificateRequest{Type: "PFX", Passwd: "Test-1234", PFXEncoding: tc.encoding})
		if err != nil {
			t.Fatalf("PFX %q: %v", tc.encoding, err)
		}
		if d.PFXEncoding != tc.want {
			t.Errorf("PFX %q: server says encoding %q, want %q", tc.encoding, d.PFXEncoding, tc.want)
		}
		if _, _, _, err := pkcs12.DecodeChain(unzip(t, d.Zip)["certificate.pfx"], "Test-1234"); err != nil {
			t.Errorf("PFX %q does not decode: %v", tc.encoding, err)
		}
	}
	for name, tc := range map[string]struct {
		req       ncpapi.DownloadCertificateRequest
		status    int
		code, msg string
	}{
		"ErrUnknownEncoding": {ncpapi.DownloadCertificateRequest{Type: "PFX", Passwd: "x", PFXEncoding: "RC2"}, 400, "2000", "pfxEncoding: must be Modern2023"},
		"ErrUnknownType":     {ncpapi.DownloadCertificateRequest{Type: "DER"}, 400, "2000", "type: must be PEM (default), PFX or JKS"},
		"ErrNoPassword":      {ncpapi.DownloadCertificateRequest{Type: "PFX"}, 400, "2000", "passwd: is required"},
		"ErrBodyNoMismatch":  {ncpapi.DownloadCertificateRequest{CertificateNo: 5}, 400, "2000", "certificateNo: in the body (5) differs from the path"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.DownloadCertificate(ctx, got.CertificateNo, tc.req)
			wantAPIError(t, err, tc.status, tc.code, tc.msg)
		})
	}
	t.Run("ErrNoBody", func(t *testing.T) {
		resp, err := c.Raw(ctx, http.MethodPost, "/api/v2/certificate/exportCertificate/100001", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r ncpapi.Result
		json.NewDecoder(resp.Body).Decode(&r)
		if resp.StatusCode != 400 || r.ReturnCode != "2000" {
			t.Errorf("download without body: HTTP %d %+v, want 400 / 2000", resp.StatusCode, r)
		}
	})
}

func TestFieldC35_PFXChainOrder(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	leaf := f.leaf(t, "www.example.test")
	// Uploaded root first; exported leaf-up.
	got, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "pfx-cert",
		CertificateBody: testpki.CertPEM(leaf), PrivateKey: f.keyPEM, CertificateChain: testpki.CertPEM(f.root.Cert, f.inter.Cert)})
	d, err := c.DownloadCertificate(ctx, got.CertificateNo, ncpapi.DownloadCertificateRequest{Type: "PFX", Passwd: "Test-1234"})
	if err != nil {
		t.Fatal(err)
	}
	_, pfxLeaf, cas, err := pkcs12.DecodeChain(unzip(t, d.Zip)["certificate.pfx"], "Test-1234")
	if err != nil || !pfxLeaf.Equal(leaf) || len(cas) != 2 || !cas[0].Equal(f.inter.Cert) || !cas[1].Equal(f.root.Cert) {
		t.Fatalf("PFX: err %v, leaf ok %v, %d CA certificates; want leaf, intermediate, root", err, err == nil && pfxLeaf.Equal(leaf), len(cas))
	}
	// Without a chain: a PFX of the leaf alone, no error.
	solo, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "solo-cert",
		CertificateBody: testpki.CertPEM(f.leaf(t, "solo.example.test")), PrivateKey: f.keyPEM})
	d, err = c.DownloadCertificate(ctx, solo.CertificateNo, ncpapi.DownloadCertificateRequest{Type: "PFX", Passwd: "Test-1234"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, cas, err = pkcs12.DecodeChain(unzip(t, d.Zip)["certificate.pfx"], "Test-1234"); err != nil || len(cas) != 0 {
		t.Fatalf("PFX without chain: %v, %d CA certificates; want 0", err, len(cas))
	}
}

func TestFieldC52_NamesAndDuplicates(t *testing.T) {
	ts := startServer(t)
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	ok := []string{"a-1", "abc", strings.Repeat("a", 20)}
	for _, name := range ok {
		register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: name,
			CertificateBody: testpki.CertPEM(f.leaf(t, "ok.example.test")), PrivateKey: f.keyPEM})
	}
	taken := testpki.CertPEM(f.leaf(t, "taken.example.test"))
	first, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: taken, PrivateKey: f.keyPEM})
	var cases []rejectCase
	for _, name := range []string{"ab", strings.Repeat("a", 21), strings.Repeat("a", 30), "1abc", "-abc", "my_cert", "my.cert", "web.example.test", "한글이름", ""} {
		cases = append(cases, rejectCase{name: "BadName/" + name, req: ncpapi.RegisterExternalCertificateRequest{CertificateName: name,
			CertificateBody: testpki.CertPEM(f.leaf(t, "bad.example.test")), PrivateKey: f.keyPEM},
			status: http.StatusBadRequest, code: "2000", msg: "can only contain 3-20 English alphabet, numbers, and '-' and must start with an alphabetic character"})
	}
	cases = append(cases,
		rejectCase{name: "DuplicateName", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert",
			CertificateBody: testpki.CertPEM(f.leaf(t, "other.example.test")), PrivateKey: f.keyPEM},
			status: http.StatusOK, code: "26120", msg: "is already the name of another of your certificates"},
		rejectCase{name: "DuplicateBody", req: ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert-2",
			CertificateBody: taken, PrivateKey: f.keyPEM},
			status: http.StatusOK, code: "26121", msg: "already registered as certificate " + noStr(first.CertificateNo)},
	)
	runRejections(t, ts, f, first.CertificateNo+1, cases)
	// A deleted certificate frees its name and its body (soft delete).
	if err := c.DeleteCertificate(context.Background(), first.CertificateNo, "web-cert"); err != nil {
		t.Fatal(err)
	}
	again, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert", CertificateBody: taken, PrivateKey: f.keyPEM})
	if again.CertificateNo <= first.CertificateNo+1 {
		t.Errorf("re-import after delete got number %d, want a new number above %d", again.CertificateNo, first.CertificateNo+1)
	}

	// A certificate named under the old 3-30 rule still lists and deletes.
	const oldName = "old-rule-name-of-25-chars"
	a, err := openApp(context.Background(), ts.storeOptions(), service.Config{}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	old := &ncm.Certificate{MemberNo: ts.memberNo, Name: oldName, Type: ncm.TypeExternal, Status: ncm.StatusNormal,
		IssueType: ncm.IssueExternal, DomainCode: ncm.ZonePublic, RegistDate: ts.clock.Now(), UpdateDate: ts.clock.Now()}
	err = a.store.Write(context.Background(), func(tx ncm.Tx) error { return tx.CreateCertificate(context.Background(), old) })
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	byName, err := c.ListCertificates(context.Background(), client.ListOptions{CertificateName: oldName})
	if err != nil || byName.TotalCount != 1 {
		t.Fatalf("ListCertificates(%q) = %+v, %v; want it listed", oldName, byName, err)
	}
	if err := c.V1DeleteCertificate(context.Background(), old.No, oldName); err != nil {
		t.Fatalf("deleting %q: %v", oldName, err)
	}
}

func TestFieldC54_DeleteRules(t *testing.T) {
	ts := startServer(t, realTime) // the CLI signs with the real time
	ctx := context.Background()
	c := ts.client(ts.ak, ts.sk)
	f := newCertPKI(t)
	web, _ := register(t, c, ncpapi.RegisterExternalCertificateRequest{CertificateName: "web-cert",
		CertificateBody: testpki.CertPEM(f.leaf(t, "www.example.test")), PrivateKey: f.keyPEM})
	n := web.CertificateNo

	err := c.DeleteCertificate(ctx, n, "other-name") // (b)
	wantAPIError(t, err, http.StatusOK, "1004", "No certificate was found with a matching with requested certificate name and certificate number.")
	err = c.DeleteCertificate(ctx, n+999, "web-cert") // (c)
	wantAPIError(t, err, http.StatusOK, "1006", "No certificate exists")
	err = c.DeleteCertificate(ctx, n, "")
	wantAPIError(t, err, http.StatusBadRequest, "2000", "certificateName: is required")

	// (d) in use: attached through the admin command, found by the v1
	// instanceNo filter, rendered in usedInstanceNoList.
	if out := ts.admin("instance", "attach", noStr(n), "7001"); !strings.Contains(out, "used by: 7001") {
		t.Fatalf("instance attach printed %q", out)
	}
	ts.admin("instance", "attach", noStr(n), "7002")
	v1, err := c.V1ListCertificates(ctx, client.V1ListOptions{InstanceNo: "7002"})
	if err != nil || len(v1.SSLCertificateList) != 1 || v1.SSLCertificateList[0].UsedInstanceNoList != "7001,7002" {
		t.Fatalf("v1 list by instance 7002 = %+v, %v; want web-cert used by 7001,7002", v1, err)
	}
	err = c.DeleteCertificate(ctx, n, "web-cert")
	wantAPIError(t, err, http.StatusOK, "1004", "Delete the instance being used first")
	err = c.V1DeleteCertificate(ctx, n, "web-cert")
	wantAPIError(t, err, http.StatusOK, "1004", "Delete the instance being used first")
	if nos := listed(t, c); len(nos) != 1 || nos[0] != n {
		t.Fatalf("after refused deletes the list is %v, want [%d]", nos, n)
	}
	ts.admin("instance", "detach", noStr(n), "7001")
	ts.admin("instance", "detach", noStr(n), "7002")

	// (a), then (e): the second delete is 1006, through the CLI too.
	t.Setenv("NCLOUD_ACCESS_KEY_ID", ts.ak)
	t.Setenv("NCLOUD_SECRET_ACCESS_KEY", ts.sk)
	t.Setenv("NCM_ENDPOINT", ts.endpoint)
	if err := c.DeleteCertificate(ctx, n, "web-cert"); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}
	if nos := listed(t, c); len(nos) != 0 {
		t.Fatalf("after delete the list is %v", nos)
	}
	err = c.DeleteCertificate(ctx, n, "web-cert")
	wantAPIError(t, err, http.StatusOK, "1006", "No certificate exists")
	if code, _, errs := ts.run("cert", "delete", noStr(n), "web-cert"); code != 1 || !strings.Contains(errs, "1006") {
		t.Errorf("ncm cert delete (again): exit %d, stderr %q; want 1 and 1006", code, errs)
	}
}

func noStr(n int64) string { return strconv.FormatInt(n, 10) }

// TestFieldC52_ConcurrentDuplicateUploads sends the same certificate under
// different names at once: exactly one is stored, every other is 26121, and
// no number is lost (the duplicate check runs after the number is taken,
// which serialises uploads on the counter row; see service.RegisterExternal).
func TestFieldC52_ConcurrentDuplicateUploads(t *testing.T) {
	ts := startServer(t)
	// Concurrent requests make the transport dial connections that may
	// end up unused; http.Server.Shutdown waits 5 s for such never-used
	// connections, as long as the harness's shutdown timeout. Closing them
	// first (cleanups run last-registered first) keeps shutdown prompt.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := client.New(client.Config{Endpoint: ts.endpoint, AccessKey: ts.ak, SecretKey: ts.sk, Now: ts.clock.Now,
		HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	f := newCertPKI(t)
	body := testpki.CertPEM(f.leaf(t, "race.example.test"))
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, _, err := c.RegisterExternalCertificate(context.Background(), ncpapi.RegisterExternalCertificateRequest{
				CertificateName: "race-" + strconv.Itoa(i), CertificateBody: body, PrivateKey: f.keyPEM})
			errs <- err
		}()
	}
	ok := 0
	for range n {
		err := <-errs
		if err == nil {
			ok++
			continue
		}
		wantAPIError(t, err, http.StatusOK, "26121", "already registered")
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent uploads of one certificate were stored, want 1", ok, n)
	}
	nothingStored(t, c, f, listed(t, c), 100002)
}
