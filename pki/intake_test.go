package pki_test

import (
	"crypto/x509"
	"slices"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/pki"
)

// fourLevels is root -> Inter-A -> Inter-B -> leaf, field case C20's
// repro, plus an unrelated intermediate X under another root.
type fourLevels struct {
	root, a, b, x *testpki.CA
	leaf          *x509.Certificate
	keyPEM        string
}

func mustFourLevels(tb testing.TB) fourLevels {
	tb.Helper()
	root := testpki.NewCA(tb, "Root")
	a := root.Intermediate(tb, "Inter-A")
	b := a.Intermediate(tb, "Inter-B")
	x := testpki.NewCA(tb, "Other Root").Intermediate(tb, "X")
	key := testpki.MustKey(tb, testpki.RSA2048)
	leaf := b.Leaf(tb, key, testpki.LeafOptions{CommonName: "www.example.test", DNSNames: []string{"www.example.test"}})
	return fourLevels{root: root, a: a, b: b, x: x, leaf: leaf, keyPEM: testpki.PKCS1PEM(tb, key)}
}

// subjects returns the CNs of certs, for comparing chains.
func subjects(certs []*x509.Certificate) []string {
	var s []string
	for _, c := range certs {
		s = append(s, c.Subject.CommonName)
	}
	return s
}

func TestFieldC20_ChainOrder(t *testing.T) {
	f := mustFourLevels(t)
	want := []string{"Inter-B", "Inter-A", "Root"}
	for _, tc := range []struct {
		name      string
		chain     []*x509.Certificate
		want      []string
		reordered bool
	}{
		{"ok/LeafUp", []*x509.Certificate{f.b.Cert, f.a.Cert, f.root.Cert}, want, false},
		{"ok/RootFirst", []*x509.Certificate{f.root.Cert, f.a.Cert, f.b.Cert}, want, true},
		{"ok/ReversedNoRoot", []*x509.Certificate{f.a.Cert, f.b.Cert}, []string{"Inter-B", "Inter-A"}, true},
		{"ok/Shuffled", []*x509.Certificate{f.a.Cert, f.root.Cert, f.b.Cert}, want, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := pki.Accept(pki.IntakeInput{Certificate: testpki.CertPEM(f.leaf), PrivateKey: f.keyPEM, Chain: testpki.CertPEM(tc.chain...)})
			if err != nil {
				t.Fatalf("Accept: %v", err)
			}
			if got := subjects(in.Chain); !slices.Equal(got, tc.want) {
				t.Errorf("chain=%v, want %v", got, tc.want)
			}
			noted := strings.Contains(strings.Join(in.Notes, "\n"), "reordered")
			if noted != tc.reordered {
				t.Errorf("notes=%q, want a 'reordered' note: %v", in.Notes, tc.reordered)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		chain []*x509.Certificate
		msg   string
	}{
		{"error/UnrelatedIntermediate", []*x509.Certificate{f.b.Cert, f.x.Cert}, "chain element 2 (CN=X) is not part of the path from the leaf"},
		{"error/UnrelatedFirst", []*x509.Certificate{f.x.Cert, f.b.Cert, f.a.Cert}, "chain element 1 (CN=X) is not part of the path from the leaf"},
		{"error/OnlyUnrelated", []*x509.Certificate{f.x.Cert}, "chain element 1 (CN=X) is not part of the path from the leaf (no uploaded certificate issued the leaf"},
		{"error/MissingLink", []*x509.Certificate{f.b.Cert, f.root.Cert}, "chain element 2 (CN=Root) is not part of the path from the leaf (nothing uploaded issued CN=Inter-B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pki.Accept(pki.IntakeInput{Certificate: testpki.CertPEM(f.leaf), PrivateKey: f.keyPEM, Chain: testpki.CertPEM(tc.chain...)})
			wantError(t, err, ncm.CodeInvalidCert, "certificateChain", tc.msg)
		})
	}
	t.Run("ok/LeafRepeatedInChain", func(t *testing.T) {
		in, err := pki.Accept(pki.IntakeInput{Certificate: testpki.CertPEM(f.leaf), PrivateKey: f.keyPEM,
			Chain: testpki.CertPEM(f.leaf, f.b.Cert, f.a.Cert, f.a.Cert)})
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		if got := subjects(in.Chain); !slices.Equal(got, []string{"Inter-B", "Inter-A"}) {
			t.Errorf("chain=%v, want [Inter-B Inter-A]", got)
		}
		notes := strings.Join(in.Notes, "\n")
		for _, want := range []string{"element 1 is the leaf certificate itself", "element 4 repeats an earlier element"} {
			if !strings.Contains(notes, want) {
				t.Errorf("notes=%q, want %q", notes, want)
			}
		}
	})
}

func TestFieldC02_EmptyChainIsNoChain(t *testing.T) {
	f := mustFourLevels(t)
	for name, chain := range map[string]string{"Absent": "", "Empty": "", "Whitespace": " \r\n\t \n", "EscapedNewlines": `\n\n`} {
		t.Run("ok/"+name, func(t *testing.T) {
			in, err := pki.Accept(pki.IntakeInput{Certificate: testpki.CertPEM(f.leaf), PrivateKey: f.keyPEM, Chain: chain})
			if err != nil {
				t.Fatalf("Accept: %v", err)
			}
			if len(in.Chain) != 0 || in.ChainPEM() != "" {
				t.Errorf("chain=%v (PEM %q), want none", subjects(in.Chain), in.ChainPEM())
			}
			if !strings.Contains(strings.Join(in.Notes, "\n"), "no certificateChain") {
				t.Errorf("notes=%q, want a warning that the chain is missing", in.Notes)
			}
		})
	}
	t.Run("ok/SplitFullChainRoundTrips", func(t *testing.T) {
		chain := testpki.CertPEM(f.b.Cert, f.a.Cert)
		in, err := pki.Accept(pki.IntakeInput{Certificate: testpki.CertPEM(f.leaf), PrivateKey: f.keyPEM, Chain: chain})
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		if in.ChainPEM() != chain {
			t.Errorf("stored chain differs from the upload:\n%s\nwant\n%s", in.ChainPEM(), chain)
		}
	})
	t.Run("ok/SelfSignedWithoutChainHasNoWarning", func(t *testing.T) {
		key := testpki.MustKey(t, testpki.P256)
		in, err := pki.Accept(pki.IntakeInput{Certificate: testpki.CertPEM(testpki.SelfSigned(t, key, "self.example.test")), PrivateKey: testpki.SEC1PEM(t, key)})
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		if len(in.Notes) != 0 {
			t.Errorf("notes=%q, want none", in.Notes)
		}
	})
}

func TestAcceptRequiredFields(t *testing.T) {
	f := mustFourLevels(t)
	_, err := pki.Accept(pki.IntakeInput{CertificateField: "publicKeyCertificate", PrivateKey: f.keyPEM})
	wantError(t, err, ncm.CodeValidation, "publicKeyCertificate", "is required")
	_, err = pki.Accept(pki.IntakeInput{Certificate: testpki.CertPEM(f.leaf), PrivateKey: "  \n"})
	wantError(t, err, ncm.CodeValidation, "privateKey", "is required")
}

func TestFieldC07_CRLFSameFingerprint(t *testing.T) {
	f := mustFourLevels(t)
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	lf, err := pki.Accept(pki.IntakeInput{Certificate: testpki.CertPEM(f.leaf), PrivateKey: f.keyPEM, Chain: testpki.CertPEM(f.b.Cert, f.a.Cert)})
	if err != nil {
		t.Fatal(err)
	}
	// Mixed: leaf LF, chain CRLF with blank lines between blocks.
	mixed, err := pki.Accept(pki.IntakeInput{Certificate: crlf(testpki.CertPEM(f.leaf)), PrivateKey: crlf(f.keyPEM),
		Chain: crlf(testpki.CertPEM(f.b.Cert)) + "\r\n\r\n" + crlf(testpki.CertPEM(f.a.Cert))})
	if err != nil {
		t.Fatal(err)
	}
	if lf.Metadata.Fingerprint != mixed.Metadata.Fingerprint {
		t.Errorf("fingerprint %s with CRLF, %s with LF; want equal", mixed.Metadata.Fingerprint, lf.Metadata.Fingerprint)
	}
	if len(mixed.Chain) != 2 || mixed.ChainPEM() != lf.ChainPEM() || strings.Contains(mixed.ChainPEM(), "\r") {
		t.Errorf("chain of the CRLF upload = %d certificates, PEM normalised to LF: %v; want 2 and true", len(mixed.Chain), !strings.Contains(mixed.ChainPEM(), "\r"))
	}
}
