package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ncmhq/ncm"
)

// listed is one order of a ListAdvanced page reduced to its numbers.
type listed struct {
	OrderID      int64
	Certificates []int64
}

func reduce(p *ncm.AdvancedPage) []listed {
	var out []listed
	for _, oc := range p.Orders {
		l := listed{OrderID: oc.Order.ID}
		for _, c := range oc.Certificates {
			l.Certificates = append(l.Certificates, c.No)
		}
		out = append(out, l)
	}
	return out
}

// MustListAdvanced runs ListAdvanced in a Read of its own.
func MustListAdvanced(tb testing.TB, s ncm.Store, memberNo string, f ncm.AdvancedFilter) *ncm.AdvancedPage {
	tb.Helper()
	var p *ncm.AdvancedPage
	MustRead(tb, s, func(tx ncm.Tx) (err error) {
		p, err = tx.ListAdvanced(context.Background(), memberNo, f)
		return err
	})
	return p
}

// listFixture is what storeListFixture stored.
type listFixture struct {
	a, b   string   // members
	wantA  []listed // ListAdvanced of a, unfiltered
	wantB  []listed
	orders map[int64]int // fixture index of each order of a
}

// storeListFixture stores, interleaved across two members and all with the
// same timestamps: 250 orders of member a with one or two Advanced
// certificates each (every fifth all deleted), orders holding only a Global
// Edge certificate, imported certificates without order, and orders of
// member b whose certificates share a's names.
func storeListFixture(t *testing.T, s ncm.Store) listFixture {
	fx := listFixture{a: MustMember(t, s), b: MustMember(t, s), orders: map[int64]int{}}
	statuses := []ncm.Status{ncm.StatusOngoing, ncm.StatusNormal, ncm.StatusNormalNoKey, ncm.StatusExpired, ncm.StatusRevoked}
	MustWrite(t, s, func(tx ncm.Tx) error {
		for i := range 250 {
			orderID := MustOrder(t, tx, fx.a)
			fx.orders[orderID] = i
			var nos []int64
			for j, suffix := range []string{"x", "y"} {
				if suffix == "y" && i%3 != 0 {
					continue
				}
				c := advanced(fx.a, orderID, fmt.Sprintf("a%d-%s", i, suffix))
				c.Status = statuses[(i+j)%len(statuses)]
				if i%2 == 1 {
					c.Type = ncm.TypePaidOV
				}
				if i%5 == 4 {
					c.Status = ncm.StatusDeleted
				}
				MustCertificate(t, tx, c)
				if c.Status != ncm.StatusDeleted {
					nos = append(nos, c.No)
				}
			}
			if nos != nil {
				fx.wantA = append(fx.wantA, listed{orderID, nos})
			}
			if i%10 == 0 {
				edge := advanced(fx.a, MustOrder(t, tx, fx.a), fmt.Sprintf("edge%d", i))
				edge.Type = ncm.TypeGlobalEdge
				MustCertificate(t, tx, edge)
			}
			if i%25 == 0 {
				imported := advanced(fx.a, 0, fmt.Sprintf("imported%d", i))
				imported.Type, imported.IssueType = ncm.TypeExternal, ncm.IssueExternal
				MustCertificate(t, tx, imported)
			}
			if i%10 == 0 {
				bOrder := MustOrder(t, tx, fx.b)
				c := MustCertificate(t, tx, advanced(fx.b, bOrder, fmt.Sprintf("a%d-x", i)))
				fx.wantB = append(fx.wantB, listed{bOrder, []int64{c.No}})
			}
		}
		return nil
	})
	return fx
}

func testListAdvanced(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	fx := storeListFixture(t, s)

	t.Run("All", func(t *testing.T) {
		p := MustListAdvanced(t, s, fx.a, ncm.AdvancedFilter{})
		if p.Total != len(fx.wantA) {
			t.Errorf("Total = %d, want %d", p.Total, len(fx.wantA))
		}
		if diff := cmp.Diff(fx.wantA, reduce(p)); diff != "" {
			t.Fatalf("orders (-want +got):\n%s", diff)
		}
		// The listed objects are the stored ones, every field.
		MustRead(t, s, func(tx ncm.Tx) error {
			for _, oc := range p.Orders {
				o, err := tx.Order(ctx, fx.a, oc.Order.ID)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(o, oc.Order); diff != "" {
					t.Fatalf("listed order (-stored +listed):\n%s", diff)
				}
				for _, c := range oc.Certificates {
					stored, err := tx.Certificate(ctx, fx.a, c.No)
					if err != nil {
						return err
					}
					if diff := cmp.Diff(stored, c); diff != "" {
						t.Fatalf("listed certificate (-stored +listed):\n%s", diff)
					}
				}
			}
			return nil
		})
	})
	t.Run("Pages", func(t *testing.T) {
		for size := 1; size <= 7; size++ {
			t.Run(fmt.Sprint("pageSize", size), func(t *testing.T) {
				var all []listed
				for page := 1; ; page++ {
					p := MustListAdvanced(t, s, fx.a, ncm.AdvancedFilter{Page: page, PageSize: size})
					if p.Total != len(fx.wantA) {
						t.Fatalf("page %d: Total = %d, want %d", page, p.Total, len(fx.wantA))
					}
					if len(p.Orders) > size {
						t.Fatalf("page %d: %d orders, want at most %d", page, len(p.Orders), size)
					}
					if len(p.Orders) == 0 {
						if want := (len(fx.wantA)+size-1)/size + 1; page != want {
							t.Fatalf("first empty page = %d, want %d", page, want)
						}
						break
					}
					all = append(all, reduce(p)...)
				}
				if diff := cmp.Diff(fx.wantA, all); diff != "" {
					t.Errorf("pages joined (-want +got):\n%s", diff)
				}
			})
		}
	})
	t.Run("PageBelowOne", func(t *testing.T) {
		want := reduce(MustListAdvanced(t, s, fx.a, ncm.AdvancedFilter{Page: 1, PageSize: 3}))
		for _, page := range []int{0, -2} {
			got := reduce(MustListAdvanced(t, s, fx.a, ncm.AdvancedFilter{Page: page, PageSize: 3}))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("page %d (-page 1 +got):\n%s", page, diff)
			}
		}
	})
	t.Run("NameFilter", func(t *testing.T) {
		orderOf := func(i int) int64 {
			for id, j := range fx.orders {
				if j == i {
					return id
				}
			}
			t.Fatalf("no order %d in fixture", i)
			return 0
		}
		find := func(i int) listed {
			for _, l := range fx.wantA {
				if l.OrderID == orderOf(i) {
					return l
				}
			}
			t.Fatalf("order %d not listed in fixture", i)
			return listed{}
		}
		for _, tc := range []struct {
			name string
			want []listed
		}{
			{"a17-x", []listed{find(17)}}, // the order's only certificate
			// Only the matching certificate of a two-certificate order.
			{"a18-x", []listed{{find(18).OrderID, find(18).Certificates[:1]}}},
			{"a18-y", []listed{{find(18).OrderID, find(18).Certificates[1:]}}},
			{"a4-x", nil},         // deleted
			{"edge10", nil},       // not Advanced
			{"imported25", nil},   // no order
			{"no-such-name", nil}, // absent
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := MustListAdvanced(t, s, fx.a, ncm.AdvancedFilter{CertificateName: tc.name})
				if diff := cmp.Diff(tc.want, reduce(p)); diff != "" {
					t.Errorf("orders (-want +got):\n%s", diff)
				}
				if p.Total != len(tc.want) {
					t.Errorf("Total = %d, want %d", p.Total, len(tc.want))
				}
				p = MustListAdvanced(t, s, fx.a, ncm.AdvancedFilter{CertificateName: tc.name, Page: 2, PageSize: 1})
				if len(p.Orders) != 0 || p.Total != len(tc.want) {
					t.Errorf("page 2 of 1: %d orders, Total %d; want 0 orders, Total %d", len(p.Orders), p.Total, len(tc.want))
				}
			})
		}
	})
	t.Run("OtherMember", func(t *testing.T) {
		p := MustListAdvanced(t, s, fx.b, ncm.AdvancedFilter{})
		if diff := cmp.Diff(fx.wantB, reduce(p)); diff != "" {
			t.Errorf("member b's orders (-want +got):\n%s", diff)
		}
		// a's name filter never reaches b's certificate of the same name.
		p = MustListAdvanced(t, s, fx.a, ncm.AdvancedFilter{CertificateName: "a20-x"})
		for _, oc := range p.Orders {
			for _, c := range oc.Certificates {
				if c.MemberNo != fx.a {
					t.Errorf("member a's listing holds certificate %d of member %s", c.No, c.MemberNo)
				}
			}
		}
	})
	t.Run("ErrNegativePageSize", func(t *testing.T) {
		err := s.Read(ctx, func(tx ncm.Tx) error {
			_, err := tx.ListAdvanced(ctx, fx.a, ncm.AdvancedFilter{PageSize: -1})
			return err
		})
		if e := wantErr(t, err, ncm.EINVALID, ncm.CodeValidation); e.Field != "pageSize" {
			t.Errorf("Field = %q, want pageSize", e.Field)
		}
	})
}

// testStablePaging is field case C44: with every timestamp equal, pages
// never overlap, and writes between page fetches never make an item seen on
// an earlier page come back. An order created during the walk can be missed
// when it is created after the walk passed the last page; an order seen
// earlier does not show certificates added to it later.
func testStablePaging(t *testing.T, s ncm.Store) {
	for _, size := range []int{10, 20, 100} {
		t.Run(fmt.Sprint("pageSize", size), func(t *testing.T) {
			member := MustMember(t, s)
			original := map[int64]bool{}
			MustWrite(t, s, func(tx ncm.Tx) error {
				for i := range 250 {
					c := MustCertificate(t, tx, advanced(member, MustOrder(t, tx, member), fmt.Sprintf("c%d", i)))
					original[c.No] = true
				}
				return nil
			})

			walk := func(t *testing.T, between func(p *ncm.AdvancedPage)) (orders, certs map[int64]bool, total int) {
				orders, certs = map[int64]bool{}, map[int64]bool{}
				for page := 1; ; page++ {
					if page > 1000 {
						t.Fatal("paging does not end")
					}
					p := MustListAdvanced(t, s, member, ncm.AdvancedFilter{Page: page, PageSize: size})
					total = p.Total
					if len(p.Orders) == 0 {
						return orders, certs, total
					}
					for _, oc := range p.Orders {
						if orders[oc.Order.ID] {
							t.Fatalf("order %d on page %d was on an earlier page", oc.Order.ID, page)
						}
						orders[oc.Order.ID] = true
						for _, c := range oc.Certificates {
							if certs[c.No] {
								t.Fatalf("certificate %d on page %d was on an earlier page", c.No, page)
							}
							certs[c.No] = true
						}
					}
					between(p)
				}
			}
			checkOriginals := func(t *testing.T, certs map[int64]bool) {
				for no := range original {
					if !certs[no] {
						t.Errorf("certificate %d was never listed", no)
					}
				}
			}

			t.Run("Unchanged", func(t *testing.T) {
				orders, certs, total := walk(t, func(*ncm.AdvancedPage) {})
				checkOriginals(t, certs)
				if total != len(orders) {
					t.Errorf("Total = %d, but %d orders were reachable", total, len(orders))
				}
			})
			t.Run("InsertBetweenPages", func(t *testing.T) {
				n := 0
				_, certs, _ := walk(t, func(p *ncm.AdvancedPage) {
					// A new order, and a reissue in an order already seen.
					MustWrite(t, s, func(tx ncm.Tx) error {
						n++
						MustCertificate(t, tx, advanced(member, MustOrder(t, tx, member), fmt.Sprintf("new%d", n)))
						reissue := advanced(member, p.Orders[0].Order.ID, fmt.Sprintf("reissue%d", n))
						reissue.IssueType = ncm.IssueReissue
						MustCertificate(t, tx, reissue)
						return nil
					})
				})
				checkOriginals(t, certs)
			})
		})
	}
}
