package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/ncmhq/ncm/internal/testpki"
	"github.com/ncmhq/ncm/masterkey"
	"github.com/ncmhq/ncm/pki"
	"github.com/ncmhq/ncm/service"
	"github.com/ncmhq/ncm/sqlstore"
)

// BenchmarkImport compares a whole import (intake pipeline, sealing the key,
// duplicate check and storing in SQLite, one transaction) with the bare
// minimum any import does: parse the leaf and the key and match them. The
// design's target is that Service runs at least a third as fast as Bare.
// Each iteration imports a new leaf (made with the timer stopped), since a
// certificate is accepted once.
func BenchmarkImport(b *testing.B) {
	root := testpki.NewCA(b, "Bench Root")
	inter := root.Intermediate(b, "Bench Intermediate")
	key := testpki.MustKey(b, testpki.RSA2048)
	keyPEM := testpki.PKCS8PEM(b, key)
	chainPEM := testpki.CertPEM(inter.Cert, root.Cert)
	newLeaf := func(i int) string {
		return testpki.CertPEM(inter.Leaf(b, key, testpki.LeafOptions{CommonName: fmt.Sprintf("b%d.example.test", i)}))
	}

	b.Run("Bare", func(b *testing.B) {
		leafPEM := newLeaf(0)
		for b.Loop() {
			leaf, err := pki.ParseCertificate("certificateBody", leafPEM)
			if err != nil {
				b.Fatal(err)
			}
			k, err := pki.ParsePrivateKey("privateKey", keyPEM)
			if err != nil {
				b.Fatal(err)
			}
			if err := pki.CheckKeyMatch(leaf, k); err != nil {
				b.Fatal(err)
			}
			if _, err := pki.ParseCertificates("certificateChain", chainPEM); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Service", func(b *testing.B) {
		ctx := context.Background()
		store, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		mk, err := masterkey.Generate()
		if err != nil {
			b.Fatal(err)
		}
		svc := service.New(service.Config{Store: store, Sealer: mk, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		creds, err := svc.Bootstrap(ctx)
		if err != nil {
			b.Fatal(err)
		}
		p := &service.Principal{MemberNo: creds.MemberNo}
		i := 0
		for b.Loop() {
			b.StopTimer()
			i++
			leafPEM := newLeaf(i)
			b.StartTimer()
			if _, err := svc.RegisterExternal(ctx, p, service.ExternalRequest{CertificateName: fmt.Sprintf("bench-%d", i),
				Certificate: leafPEM, PrivateKey: keyPEM, Chain: chainPEM}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
