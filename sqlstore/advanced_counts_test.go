package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ncmhq/ncm"
)

// TestListAdvancedCountsFollowWrites checks the order counts that migration
// 0004's triggers keep for unfiltered paging: after certificates are
// created, deleted (status -6), retyped, moved between orders and renamed,
// every page's Total and contents must equal what listing everything at once
// (which reads the certificates themselves) says.
func TestListAdvancedCountsFollowWrites(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := MustOpen(t, b.newDSN(t))
			member, other := MustMember(t, s), MustMember(t, s)
			ctx := context.Background()
			var orders []int64
			var certs []*ncm.Certificate
			MustWrite(t, s, func(tx ncm.Tx) error {
				for i := range 40 {
					orderID := MustOrder(t, tx, member)
					orders = append(orders, orderID)
					for j := range 1 + i%3 {
						certs = append(certs, MustCertificate(t, tx, advanced(member, orderID, fmt.Sprintf("c%d-%d", i, j))))
					}
					o := MustOrder(t, tx, other)
					MustCertificate(t, tx, advanced(other, o, fmt.Sprintf("c%d", i)))
				}
				return nil
			})
			check := func(t *testing.T, when string) {
				t.Helper()
				all := MustListAdvanced(t, s, member, ncm.AdvancedFilter{})
				var paged []listed
				for page := 1; ; page++ {
					p := MustListAdvanced(t, s, member, ncm.AdvancedFilter{Page: page, PageSize: 7})
					if p.Total != all.Total {
						t.Fatalf("%s: page %d Total = %d, want %d (orders listed at once)", when, page, p.Total, all.Total)
					}
					if len(p.Orders) == 0 {
						break
					}
					paged = append(paged, reduce(p)...)
				}
				if diff := cmp.Diff(reduce(all), paged); diff != "" {
					t.Errorf("%s: pages differ from the whole list (-all +pages):\n%s", when, diff)
				}
			}
			check(t, "after create")

			update := func(when string, change func(c *ncm.Certificate)) {
				t.Run(when, func(t *testing.T) {
					MustWrite(t, s, func(tx ncm.Tx) error {
						for i, c := range certs {
							if i%4 != 0 {
								continue
							}
							got, err := tx.Certificate(ctx, member, c.No)
							if err != nil {
								return err
							}
							change(got)
							if err := tx.UpdateCertificate(ctx, got); err != nil {
								return err
							}
						}
						return nil
					})
					check(t, when)
				})
			}
			update("deleted", func(c *ncm.Certificate) { c.Status = ncm.StatusDeleted })
			update("undeleted", func(c *ncm.Certificate) { c.Status = ncm.StatusNormal })
			update("retyped to Global Edge", func(c *ncm.Certificate) { c.Type = ncm.TypeGlobalEdge })
			update("retyped to OV", func(c *ncm.Certificate) { c.Type = ncm.TypePaidOV })
			update("moved to the first order", func(c *ncm.Certificate) { c.OrderID = orders[0] })
			update("moved out of orders", func(c *ncm.Certificate) { c.OrderID = 0 })
			update("moved back", func(c *ncm.Certificate) { c.OrderID = orders[len(orders)-1] })
			update("renamed", func(c *ncm.Certificate) { c.Name += "x" })

			if got := MustListAdvanced(t, s, other, ncm.AdvancedFilter{Page: 1, PageSize: 100}).Total; got != 40 {
				t.Errorf("other member's Total = %d after member's writes, want 40", got)
			}
			if got := MustListAdvanced(t, s, "9999999", ncm.AdvancedFilter{Page: 1, PageSize: 10}); got.Total != 0 || len(got.Orders) != 0 {
				t.Errorf("member without certificates: Total %d, %d orders; want 0, 0", got.Total, len(got.Orders))
			}
		})
	}
}
