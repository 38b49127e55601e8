package loadtest_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/masterkey"
	"github.com/ncmhq/ncm/pki"
	"github.com/ncmhq/ncm/sqlstore"
)

// intakeFixture is one external certificate as a caller uploads it: leaf,
// key and chain in PEM, and an empty store with a member to import into.
type intakeFixture struct {
	in     pki.IntakeInput
	store  *sqlstore.DB
	sealer *masterkey.Key
	member string
}

func newIntakeFixture(b *testing.B, kind testpki.KeyKind) *intakeFixture {
	b.Helper()
	root := testpki.NewCA(b, "Bench Root")
	inter := root.Intermediate(b, "Bench Intermediate")
	key := testpki.MustKey(b, kind)
	leaf := inter.Leaf(b, key, testpki.LeafOptions{CommonName: "bench.example.com",
		DNSNames: []string{"bench.example.com", "www.bench.example.com"}})
	store, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "intake.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	sealer, err := masterkey.Generate()
	if err != nil {
		b.Fatal(err)
	}
	m := &ncm.Member{Name: "bench", CreatedAt: time.Now()}
	if err := store.Write(context.Background(), func(tx ncm.Tx) error { return tx.CreateMember(context.Background(), m) }); err != nil {
		b.Fatal(err)
	}
	return &intakeFixture{
		in: pki.IntakeInput{Certificate: testpki.CertPEM(leaf), PrivateKey: testpki.PKCS8PEM(b, key),
			Chain: testpki.CertPEM(inter.Chain()...)},
		store: store, sealer: sealer, member: m.No,
	}
}

// certificate runs the intake pipeline on the upload: parse, key match,
// chain, metadata, seal the key. Name makes it unique for the store.
func (fx *intakeFixture) certificate(name string) (*ncm.Certificate, error) {
	in, err := pki.Accept(fx.in)
	if err != nil {
		return nil, err
	}
	sealed, err := fx.sealer.Seal(in.KeyPEM, ncm.LabelPrivateKey)
	if err != nil {
		return nil, err
	}
	m := in.Metadata
	now := time.Now()
	return &ncm.Certificate{
		MemberNo: fx.member, Name: name, Type: ncm.TypeExternal, Status: ncm.StatusNormal,
		IssueType: ncm.IssueExternal, DomainCode: ncm.ZonePublic,
		CommonName: m.CommonName, DNSNames: m.DNSNames, SubjectDN: m.SubjectDN, Issuer: m.Issuer,
		SerialNumber: m.SerialNumber, SignatureAlgorithm: m.SignatureAlgorithm, PublicKeyInfo: m.PublicKeyInfo,
		Fingerprint: m.Fingerprint, NotBefore: &m.NotBefore, NotAfter: &m.NotAfter,
		CertificatePEM: in.CertificatePEM(), ChainPEM: in.ChainPEM(), PrivateKeySealed: sealed,
		RegistDate: now, UpdateDate: now,
	}, nil
}

// BenchmarkIntake measures the intake of one uploaded certificate (leaf, key
// and chain in PEM): pki.Accept (lenient PEM reading, parsing, key match,
// chain building, metadata), sealing the key, and storing the row, against
// the floor of tls.X509KeyPair (parse leaf and chain, parse key, match them)
// on the same PEM. docs/PERFORMANCE.md reports Single and Batch as
// fractions of Baseline.
func BenchmarkIntake(b *testing.B) {
	for _, kind := range []testpki.KeyKind{testpki.P256, testpki.RSA2048} {
		b.Run(kind.String(), func(b *testing.B) {
			fx := newIntakeFixture(b, kind)
			ctx := context.Background()
			b.Run("Baseline", func(b *testing.B) {
				certPEM := []byte(fx.in.Certificate + fx.in.Chain)
				keyPEM := []byte(fx.in.PrivateKey)
				for b.Loop() {
					if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
						b.Fatal(err)
					}
				}
			})
			n := 0
			b.Run("Single", func(b *testing.B) {
				// One transaction per certificate, as one API import is.
				for b.Loop() {
					n++
					c, err := fx.certificate(fmt.Sprintf("single-%d", n))
					if err != nil {
						b.Fatal(err)
					}
					if err := fx.store.Write(ctx, func(tx ncm.Tx) error { return tx.CreateCertificate(ctx, c) }); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Batch", func(b *testing.B) {
				// A bulk import: 100 certificates per transaction.
				const batch = 100
				var pending []*ncm.Certificate
				flush := func() {
					err := fx.store.Write(ctx, func(tx ncm.Tx) error {
						for _, c := range pending {
							if err := tx.CreateCertificate(ctx, c); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
					pending = pending[:0]
				}
				for b.Loop() {
					n++
					c, err := fx.certificate(fmt.Sprintf("batch-%d", n))
					if err != nil {
						b.Fatal(err)
					}
					if pending = append(pending, c); len(pending) == batch {
						flush()
					}
				}
				if len(pending) > 0 {
					flush()
				}
			})
		})
	}
}
