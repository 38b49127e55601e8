package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
)

// BenchmarkListAdvanced lists from the design's reference database: 100,000
// certificates in 20,000 orders of one member, each row carrying PEM of
// realistic size (CSR, leaf and a two-certificate chain: about 3.9 KB).
func BenchmarkListAdvanced(b *testing.B) {
	s := MustOpen(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	member := MustMember(b, s)
	pemOf := func(n int) string { return strings.Repeat("MIIEpAIBAAKCAQEA", n/16) }
	MustWrite(b, s, func(tx ncm.Tx) error {
		for i := range 20000 {
			orderID := MustOrder(b, tx, member)
			for j := range 5 {
				c := advanced(member, orderID, fmt.Sprintf("c%d-%d", i, j))
				c.CSRPEM, c.CertificatePEM, c.ChainPEM = pemOf(1000), pemOf(1300), pemOf(1600)
				MustCertificate(b, tx, c)
			}
		}
		return nil
	})
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		f    ncm.AdvancedFilter
	}{
		{"FirstPage", ncm.AdvancedFilter{Page: 1, PageSize: 20}},
		{"LastPage", ncm.AdvancedFilter{Page: 1000, PageSize: 20}},
		{"Name", ncm.AdvancedFilter{CertificateName: "c10000-3"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				err := s.Read(ctx, func(tx ncm.Tx) error {
					p, err := tx.ListAdvanced(ctx, member, bc.f)
					if err == nil && len(p.Orders) == 0 {
						err = fmt.Errorf("no orders listed")
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
