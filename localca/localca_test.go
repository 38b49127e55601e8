package localca_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/localca"
)

// now is the fixed time of every test CA.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// labelSealer is a transparent ncm.Sealer that binds each value to its label,
// so the tests see which label was used and a wrong label fails. It does not
// encrypt: encryption is masterkey's job and tested there.
type labelSealer struct{ labels []string }

func (s *labelSealer) Seal(plaintext []byte, label string) ([]byte, error) {
	s.labels = append(s.labels, label)
	return append([]byte(label+"\x00"), plaintext...), nil
}

func (s *labelSealer) Open(sealed []byte, label string) ([]byte, error) {
	rest, ok := bytes.CutPrefix(sealed, []byte(label+"\x00"))
	if !ok {
		return nil, ncm.Errorf(ncm.EINTERNAL, "", "label mismatch")
	}
	return bytes.Clone(rest), nil
}

// MustGenerate returns new CA material sealed by sealer.
func MustGenerate(tb testing.TB, sealer ncm.Sealer, opts localca.Options) *ncm.CAMaterial {
	tb.Helper()
	m, err := localca.Generate(now, sealer, opts)
	if err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	return m
}

// MustCA returns a new CA at the fixed time.
func MustCA(tb testing.TB) *localca.CA {
	tb.Helper()
	return MustCAAt(tb, now)
}

// MustCAAt returns a new CA made at t, whose clock says t.
func MustCAAt(tb testing.TB, t time.Time) *localca.CA {
	tb.Helper()
	sealer := &labelSealer{}
	m, err := localca.Generate(t, sealer, localca.Options{})
	if err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	ca, err := localca.New(m, sealer, fixedClock(t))
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return ca
}

// MustParsePEM parses the only certificate in s.
func MustParsePEM(tb testing.TB, s string) *x509.Certificate {
	tb.Helper()
	certs := MustParseChain(tb, s)
	if len(certs) != 1 {
		tb.Fatalf("%d certificates in PEM, want 1", len(certs))
	}
	return certs[0]
}

// MustParseChain parses every CERTIFICATE block of s, in order.
func MustParseChain(tb testing.TB, s string) []*x509.Certificate {
	tb.Helper()
	var certs []*x509.Certificate
	rest := []byte(s)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			tb.Fatalf("PEM block %d is %q, want CERTIFICATE", len(certs), block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			tb.Fatalf("PEM block %d: %v", len(certs), err)
		}
		certs = append(certs, c)
	}
	if strings.TrimSpace(string(rest)) != "" {
		tb.Fatalf("non-PEM data after %d certificates: %q", len(certs), rest)
	}
	return certs
}

// MustIssue issues a leaf for req.
func MustIssue(tb testing.TB, ca *localca.CA, req ncm.IssueRequest) *ncm.Issued {
	tb.Helper()
	iss, err := ca.Issue(context.Background(), req)
	if err != nil {
		tb.Fatalf("Issue: %v", err)
	}
	return iss
}

func MustRSAKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func MustECKey(tb testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func wantKind(tb testing.TB, err error, kind string) {
	tb.Helper()
	var e *ncm.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err=%v (%T), want *ncm.Error of kind %q", err, err, kind)
	}
	if e.Kind != kind {
		tb.Fatalf("kind=%q, want %q (err=%v)", e.Kind, kind, err)
	}
}

func wantSerial(tb testing.TB, what string, n *big.Int) {
	tb.Helper()
	if n.Sign() <= 0 || n.BitLen() > 128 {
		tb.Fatalf("%s serial=%v, want positive and at most 128 bits", what, n)
	}
	if n.BitLen() < 64 {
		// Probability 2^-64 for a correct generator.
		tb.Fatalf("%s serial=%v has %d bits, want a random 128-bit value", what, n, n.BitLen())
	}
}

func TestGenerate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		sealer := &labelSealer{}
		m := MustGenerate(t, sealer, localca.Options{})
		if !m.CreatedAt.Equal(now) {
			t.Fatalf("CreatedAt=%v, want %v", m.CreatedAt, now)
		}
		if want := []string{ncm.LabelCAKey, ncm.LabelCAKey}; !slices.Equal(sealer.labels, want) {
			t.Fatalf("sealed with labels %q, want %q", sealer.labels, want)
		}
		root := MustParsePEM(t, m.RootPEM)
		inter := MustParsePEM(t, m.IntermediatePEM)

		if got, want := root.Subject.CommonName, "ncm Local Root CA"; got != want {
			t.Fatalf("root CN=%q, want %q", got, want)
		}
		if got, want := inter.Subject.CommonName, "ncm Local Issuing CA"; got != want {
			t.Fatalf("intermediate CN=%q, want %q", got, want)
		}
		for _, c := range []*x509.Certificate{root, inter} {
			if got, want := c.Subject.Organization, []string{"ncm"}; !slices.Equal(got, want) {
				t.Fatalf("%s O=%q, want %q", c.Subject.CommonName, got, want)
			}
			if !c.BasicConstraintsValid || !c.IsCA {
				t.Fatalf("%s: BasicConstraints valid=%v CA=%v, want both true", c.Subject.CommonName, c.BasicConstraintsValid, c.IsCA)
			}
			if got, want := c.KeyUsage, x509.KeyUsageCertSign|x509.KeyUsageCRLSign; got != want {
				t.Fatalf("%s KeyUsage=%b, want %b", c.Subject.CommonName, got, want)
			}
			if len(c.SubjectKeyId) == 0 || len(c.AuthorityKeyId) == 0 {
				t.Fatalf("%s: SubjectKeyId=%x AuthorityKeyId=%x, want both set", c.Subject.CommonName, c.SubjectKeyId, c.AuthorityKeyId)
			}
			if c.NotBefore.After(now) {
				t.Fatalf("%s NotBefore=%v, after creation time %v", c.Subject.CommonName, c.NotBefore, now)
			}
			wantSerial(t, c.Subject.CommonName, c.SerialNumber)
		}

		rootKey, ok := root.PublicKey.(*ecdsa.PublicKey)
		if !ok || rootKey.Curve != elliptic.P384() {
			t.Fatalf("root key %T, want ECDSA P-384", root.PublicKey)
		}
		interKey, ok := inter.PublicKey.(*ecdsa.PublicKey)
		if !ok || interKey.Curve != elliptic.P256() {
			t.Fatalf("intermediate key %T, want ECDSA P-256", inter.PublicKey)
		}
		if got, want := root.NotAfter, now.AddDate(20, 0, 0); !got.Equal(want) {
			t.Fatalf("root NotAfter=%v, want %v", got, want)
		}
		if got, want := inter.NotAfter, now.AddDate(10, 0, 0); !got.Equal(want) {
			t.Fatalf("intermediate NotAfter=%v, want %v", got, want)
		}
		if root.MaxPathLen != -1 {
			t.Fatalf("root MaxPathLen=%d zero=%v, want unlimited", root.MaxPathLen, root.MaxPathLenZero)
		}
		if inter.MaxPathLen != 0 || !inter.MaxPathLenZero {
			t.Fatalf("intermediate MaxPathLen=%d zero=%v, want 0 (pathlen:0)", inter.MaxPathLen, inter.MaxPathLenZero)
		}
		if err := root.CheckSignatureFrom(root); err != nil {
			t.Fatalf("root not self-signed: %v", err)
		}
		if err := inter.CheckSignatureFrom(root); err != nil {
			t.Fatalf("intermediate not signed by root: %v", err)
		}
		if !bytes.Equal(root.AuthorityKeyId, root.SubjectKeyId) {
			t.Fatalf("root AuthorityKeyId=%x, want its SubjectKeyId %x", root.AuthorityKeyId, root.SubjectKeyId)
		}
		if !bytes.Equal(inter.AuthorityKeyId, root.SubjectKeyId) {
			t.Fatalf("intermediate AuthorityKeyId=%x, want root SubjectKeyId %x", inter.AuthorityKeyId, root.SubjectKeyId)
		}
		if root.SerialNumber.Cmp(inter.SerialNumber) == 0 {
			t.Fatalf("root and intermediate share serial %v", root.SerialNumber)
		}
	})

	t.Run("OKOptions", func(t *testing.T) {
		m := MustGenerate(t, &labelSealer{}, localca.Options{Organization: "Example Corp", CommonNamePrefix: "Example Test"})
		for _, tc := range []struct {
			pem, cn string
		}{
			{m.RootPEM, "Example Test Root CA"},
			{m.IntermediatePEM, "Example Test Issuing CA"},
		} {
			c := MustParsePEM(t, tc.pem)
			got := pkix.Name{CommonName: c.Subject.CommonName, Organization: c.Subject.Organization}
			want := pkix.Name{CommonName: tc.cn, Organization: []string{"Example Corp"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("subject (-want +got):\n%s", diff)
			}
		}
	})
}

func TestNew(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		sealer := &labelSealer{}
		m := MustGenerate(t, sealer, localca.Options{})
		ca, err := localca.New(m, sealer, fixedClock(now))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if !MustParsePEM(t, ca.RootPEM()).Equal(MustParsePEM(t, m.RootPEM)) {
			t.Fatalf("RootPEM differs from the stored root")
		}
		if !MustParsePEM(t, ca.IntermediatePEM()).Equal(MustParsePEM(t, m.IntermediatePEM)) {
			t.Fatalf("IntermediatePEM differs from the stored intermediate")
		}
		// A second New of the same material issues under the same chain.
		again, err := localca.New(m, sealer, fixedClock(now))
		if err != nil {
			t.Fatalf("New again: %v", err)
		}
		iss := MustIssue(t, again, leafRequest(MustECKey(t, elliptic.P256()).Public()))
		if err := iss.Certificate.CheckSignatureFrom(MustParsePEM(t, ca.IntermediatePEM())); err != nil {
			t.Fatalf("leaf from reopened CA not signed by the stored intermediate: %v", err)
		}
	})

	t.Run("ErrKeyMismatch", func(t *testing.T) {
		sealer := &labelSealer{}
		m := MustGenerate(t, sealer, localca.Options{})
		other := MustGenerate(t, sealer, localca.Options{})
		for name, mutate := range map[string]func(*ncm.CAMaterial){
			"intermediate": func(m *ncm.CAMaterial) { m.IntermediateKeySealed = other.IntermediateKeySealed },
			"root":         func(m *ncm.CAMaterial) { m.RootKeySealed = other.RootKeySealed },
			"swapped": func(m *ncm.CAMaterial) {
				m.RootKeySealed, m.IntermediateKeySealed = m.IntermediateKeySealed, m.RootKeySealed
			},
		} {
			t.Run(name, func(t *testing.T) {
				bad := *m
				mutate(&bad)
				_, err := localca.New(&bad, sealer, fixedClock(now))
				wantKind(t, err, ncm.EINTERNAL)
				if !strings.Contains(err.Error(), "does not match") {
					t.Fatalf("err=%v, want it to say the key does not match", err)
				}
			})
		}
	})

	t.Run("ErrNotSignedByRoot", func(t *testing.T) {
		sealer := &labelSealer{}
		m := MustGenerate(t, sealer, localca.Options{})
		other := MustGenerate(t, sealer, localca.Options{})
		bad := *m
		bad.IntermediatePEM, bad.IntermediateKeySealed = other.IntermediatePEM, other.IntermediateKeySealed
		_, err := localca.New(&bad, sealer, fixedClock(now))
		wantKind(t, err, ncm.EINTERNAL)
		if !strings.Contains(err.Error(), "not signed by the root") {
			t.Fatalf("err=%v, want it to say the intermediate is not signed by the root", err)
		}
	})

	t.Run("ErrWrongLabel", func(t *testing.T) {
		sealer := &labelSealer{}
		m := MustGenerate(t, sealer, localca.Options{})
		bad := *m
		bad.IntermediateKeySealed = append([]byte(ncm.LabelPrivateKey+"\x00"), m.IntermediateKeySealed[len(ncm.LabelCAKey)+1:]...)
		_, err := localca.New(&bad, sealer, fixedClock(now))
		wantKind(t, err, ncm.EINTERNAL)
	})

	t.Run("ErrBadPEM", func(t *testing.T) {
		sealer := &labelSealer{}
		m := MustGenerate(t, sealer, localca.Options{})
		for name, mutate := range map[string]func(*ncm.CAMaterial){
			"rootEmpty":         func(m *ncm.CAMaterial) { m.RootPEM = "" },
			"intermediateTwice": func(m *ncm.CAMaterial) { m.IntermediatePEM += m.IntermediatePEM },
			"rootGarbage": func(m *ncm.CAMaterial) {
				m.RootPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}))
			},
		} {
			t.Run(name, func(t *testing.T) {
				bad := *m
				mutate(&bad)
				_, err := localca.New(&bad, sealer, fixedClock(now))
				wantKind(t, err, ncm.EINTERNAL)
			})
		}
	})
}

// leafRequest is a DV request for www.example.test valid 90 days from now.
func leafRequest(pub crypto.PublicKey) ncm.IssueRequest {
	return ncm.IssueRequest{
		PublicKey: pub,
		Subject:   pkix.Name{CommonName: "www.example.test"},
		DNSNames:  []string{"www.example.test", "example.test"},
		NotBefore: now,
		NotAfter:  now.AddDate(0, 0, 90),
	}
}

func TestCA_Issue(t *testing.T) {
	ca := MustCA(t)
	root := MustParsePEM(t, ca.RootPEM())
	inter := MustParsePEM(t, ca.IntermediatePEM())

	for _, tc := range []struct {
		name     string
		key      crypto.Signer
		keyUsage x509.KeyUsage
	}{
		{"OKRSA2048", MustRSAKey(t), x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment},
		{"OKECDSAP256", MustECKey(t, elliptic.P256()), x509.KeyUsageDigitalSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := leafRequest(tc.key.Public())
			iss := MustIssue(t, ca, req)
			leaf := iss.Certificate

			if !leaf.Equal(MustParsePEM(t, iss.CertificatePEM)) {
				t.Fatalf("Certificate is not the leaf in CertificatePEM")
			}
			chain := MustParseChain(t, iss.ChainPEM)
			if len(chain) != 2 || !chain[0].Equal(inter) || !chain[1].Equal(root) {
				t.Fatalf("ChainPEM holds %d certificates, want intermediate then root", len(chain))
			}
			intermediates := x509.NewCertPool()
			intermediates.AddCert(chain[0])
			for _, name := range req.DNSNames {
				if _, err := leaf.Verify(x509.VerifyOptions{
					DNSName:       name,
					Roots:         ca.Roots(),
					Intermediates: intermediates,
					CurrentTime:   now.Add(time.Hour),
					KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
				}); err != nil {
					t.Fatalf("Verify for %s: %v", name, err)
				}
			}

			if !leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(tc.key.Public()) {
				t.Fatalf("leaf public key is not the requested one")
			}
			if got, want := leaf.Subject.String(), "CN=www.example.test"; got != want {
				t.Fatalf("Subject=%q, want %q", got, want)
			}
			if diff := cmp.Diff(req.DNSNames, leaf.DNSNames); diff != "" {
				t.Fatalf("DNSNames (-want +got):\n%s", diff)
			}
			if !leaf.NotBefore.Equal(req.NotBefore) || !leaf.NotAfter.Equal(req.NotAfter) {
				t.Fatalf("validity %v..%v, want %v..%v", leaf.NotBefore, leaf.NotAfter, req.NotBefore, req.NotAfter)
			}
			if leaf.KeyUsage != tc.keyUsage {
				t.Fatalf("KeyUsage=%b, want %b", leaf.KeyUsage, tc.keyUsage)
			}
			wantEKU := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
			if !slices.Equal(leaf.ExtKeyUsage, wantEKU) {
				t.Fatalf("ExtKeyUsage=%v, want %v", leaf.ExtKeyUsage, wantEKU)
			}
			if !leaf.BasicConstraintsValid || leaf.IsCA {
				t.Fatalf("BasicConstraints valid=%v CA=%v, want true, false", leaf.BasicConstraintsValid, leaf.IsCA)
			}
			if !bytes.Equal(leaf.AuthorityKeyId, inter.SubjectKeyId) {
				t.Fatalf("AuthorityKeyId=%x, want intermediate SubjectKeyId %x", leaf.AuthorityKeyId, inter.SubjectKeyId)
			}
			if len(leaf.SubjectKeyId) != 20 {
				t.Fatalf("SubjectKeyId=%x, want 20 bytes", leaf.SubjectKeyId)
			}
			wantSerial(t, "leaf", leaf.SerialNumber)
		})
	}

	t.Run("OKOrganizationValidated", func(t *testing.T) {
		req := leafRequest(MustECKey(t, elliptic.P256()).Public())
		req.Subject = pkix.Name{
			CommonName:   "www.example.test",
			Organization: []string{"Example Corp"},
			Locality:     []string{"Seongnam-si"},
			Province:     []string{"Gyeonggi-do"},
			Country:      []string{"KR"},
		}
		leaf := MustIssue(t, ca, req).Certificate
		got := pkix.Name{
			CommonName:   leaf.Subject.CommonName,
			Organization: leaf.Subject.Organization,
			Locality:     leaf.Subject.Locality,
			Province:     leaf.Subject.Province,
			Country:      leaf.Subject.Country,
		}
		if diff := cmp.Diff(req.Subject, got); diff != "" {
			t.Fatalf("subject (-want +got):\n%s", diff)
		}
	})

	t.Run("OKCommonNameAddedFirst", func(t *testing.T) {
		req := leafRequest(MustECKey(t, elliptic.P256()).Public())
		req.DNSNames = []string{"example.test", "api.example.test"}
		leaf := MustIssue(t, ca, req).Certificate
		want := []string{"www.example.test", "example.test", "api.example.test"}
		if diff := cmp.Diff(want, leaf.DNSNames); diff != "" {
			t.Fatalf("DNSNames (-want +got):\n%s", diff)
		}
		if got := req.DNSNames; len(got) != 2 {
			t.Fatalf("Issue changed the caller's DNSNames to %q", got)
		}
	})

	t.Run("OKCommonNameOnly", func(t *testing.T) {
		req := leafRequest(MustECKey(t, elliptic.P256()).Public())
		req.DNSNames = nil
		leaf := MustIssue(t, ca, req).Certificate
		if want := []string{"www.example.test"}; !slices.Equal(leaf.DNSNames, want) {
			t.Fatalf("DNSNames=%q, want %q", leaf.DNSNames, want)
		}
	})

	t.Run("OKNotAfterClamped", func(t *testing.T) {
		req := leafRequest(MustECKey(t, elliptic.P256()).Public())
		req.NotAfter = now.AddDate(30, 0, 0)
		leaf := MustIssue(t, ca, req).Certificate
		if !leaf.NotAfter.Equal(inter.NotAfter) {
			t.Fatalf("NotAfter=%v, want the intermediate's %v", leaf.NotAfter, inter.NotAfter)
		}
	})

	t.Run("OKZeroNotBeforeIsNow", func(t *testing.T) {
		req := leafRequest(MustECKey(t, elliptic.P256()).Public())
		req.NotBefore = time.Time{}
		leaf := MustIssue(t, ca, req).Certificate
		if !leaf.NotBefore.Equal(now) {
			t.Fatalf("NotBefore=%v, want the clock's %v", leaf.NotBefore, now)
		}
	})

	t.Run("OKSerialsDiffer", func(t *testing.T) {
		pub := MustECKey(t, elliptic.P256()).Public()
		a := MustIssue(t, ca, leafRequest(pub)).Certificate
		b := MustIssue(t, ca, leafRequest(pub)).Certificate
		if a.SerialNumber.Cmp(b.SerialNumber) == 0 {
			t.Fatalf("two leaves share serial %v", a.SerialNumber)
		}
	})

	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*ncm.IssueRequest){
		"ErrEd25519Key":    func(r *ncm.IssueRequest) { r.PublicKey = edPub },
		"ErrWeakRSAKey":    func(r *ncm.IssueRequest) { r.PublicKey = weakRSA.Public() },
		"ErrP224Key":       func(r *ncm.IssueRequest) { r.PublicKey = MustECKey(t, elliptic.P224()).Public() },
		"ErrNoKey":         func(r *ncm.IssueRequest) { r.PublicKey = nil },
		"ErrNoNames":       func(r *ncm.IssueRequest) { r.Subject.CommonName, r.DNSNames = "", nil },
		"ErrNoNotAfter":    func(r *ncm.IssueRequest) { r.NotAfter = time.Time{} },
		"ErrEmptyValidity": func(r *ncm.IssueRequest) { r.NotAfter = r.NotBefore },
		"ErrAfterCA":       func(r *ncm.IssueRequest) { r.NotBefore = inter.NotAfter.Add(time.Hour) },
	} {
		t.Run(name, func(t *testing.T) {
			req := leafRequest(MustECKey(t, elliptic.P256()).Public())
			mutate(&req)
			iss, err := ca.Issue(context.Background(), req)
			if iss != nil {
				t.Fatalf("Issue returned a certificate, want an error")
			}
			wantKind(t, err, ncm.EINVALID)
		})
	}
}

// TestCA_Issue_OpenSSL checks the chain with a second, independent verifier.
func TestCA_Issue_OpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not on PATH: skipping the cross-check with openssl verify")
	}
	// openssl verifies at the real time, so this CA and leaf are made now.
	realNow := time.Now()
	ca := MustCAAt(t, realNow)
	req := leafRequest(MustRSAKey(t).Public())
	req.NotBefore = realNow
	req.NotAfter = realNow.AddDate(0, 0, 90)
	iss := MustIssue(t, ca, req)

	dir := t.TempDir()
	files := map[string]string{
		"root.pem":         ca.RootPEM(),
		"intermediate.pem": ca.IntermediatePEM(),
		"leaf.pem":         iss.CertificatePEM,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(openssl, "verify", "-purpose", "sslserver", "-x509_strict",
		"-CAfile", "root.pem", "-untrusted", "intermediate.pem", "leaf.pem")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "leaf.pem: OK" {
		t.Fatalf("openssl verify said %q, want %q", got, "leaf.pem: OK")
	}
}
