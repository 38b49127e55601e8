package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
)

func listAll() client.ListAdvancedOptions { return client.ListAdvancedOptions{} }

// seedOrders places n DV orders for the main member through the service
// (one CSR key for all; names cert-0001...). The server keeps running on
// the same data directory.
func (ts *testServer) seedOrders(n int) {
	ts.t.Helper()
	ctx := context.Background()
	a, err := openApp(ctx, ts.storeOptions(),
		service.Config{Clock: ts.clock}, discardLogger())
	if err != nil {
		ts.t.Fatal(err)
	}
	defer a.Close()
	key := mustECKey(ts.t)
	p := &service.Principal{MemberNo: ts.memberNo, KeyKind: ncm.KeyMain}
	for i := 1; i <= n; i++ {
		cn := fmt.Sprintf("host%d.example.com", i)
		if _, _, err := a.svc.RequestAdvanced(ctx, p, service.AdvancedRequest{
			CSR: mustCSR(ts.t, key, cn), CertificateType: ncm.TypePaidDV,
			CertificateName: fmt.Sprintf("cert-%04d", i), CommonName: cn, ValidationMethod: "D",
		}); err != nil {
			ts.t.Fatal(err)
		}
	}
}

// TestPagingEveryPageSize: 250 orders, page sizes 1 to 7 and 0 (all): the
// pages concatenated equal the full list, with no duplicates, and
// totalCount is the number of orders on every page.
func TestPagingEveryPageSize(t *testing.T) {
	ts := startServer(t)
	ts.seedOrders(250)
	c := ts.client(ts.ak, ts.sk)
	ctx := context.Background()

	full, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{PageSize: 0})
	if err != nil {
		t.Fatal(err)
	}
	if full.TotalCount != 250 || len(full.Orders) != 250 {
		t.Fatalf("pageSize 0: totalCount %d, %d orders; want 250, 250", full.TotalCount, len(full.Orders))
	}
	want := orderIDs(full.Orders)
	for size := 1; size <= 7; size++ {
		var got []string
		for page := 1; ; page++ {
			r, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{Page: page, PageSize: size})
			if err != nil {
				t.Fatal(err)
			}
			if r.TotalCount != 250 {
				t.Fatalf("size %d page %d: totalCount %d, want 250", size, page, r.TotalCount)
			}
			if len(r.Orders) > size {
				t.Fatalf("size %d page %d: %d orders", size, page, len(r.Orders))
			}
			if len(r.Orders) == 0 {
				break
			}
			got = append(got, orderIDs(r.Orders)...)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("size %d: pages concatenated differ from the full list (%d vs %d orders)", size, len(got), len(want))
		}
	}
	seen := map[string]bool{}
	for _, id := range want {
		if seen[id] {
			t.Fatalf("order %s listed twice", id)
		}
		seen[id] = true
	}
}

func orderIDs(orders []ncpapi.AdvancedOrder) []string {
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.OrderID
	}
	return ids
}

// TestFieldC44_StablePagingOverHTTP: all orders share one timestamp (the
// clock is frozen); an order placed between page fetches never makes a
// seen order repeat.
func TestFieldC44_StablePagingOverHTTP(t *testing.T) {
	ts := startServer(t)
	ts.seedOrders(25)
	c := ts.client(ts.ak, ts.sk)
	ctx := context.Background()
	seen := map[string]bool{}
	for page := 1; ; page++ {
		r, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{Page: page, PageSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Orders) == 0 {
			break
		}
		for _, id := range orderIDs(r.Orders) {
			if seen[id] {
				t.Fatalf("order %s repeated on page %d", id, page)
			}
			seen[id] = true
		}
		if page == 1 {
			if _, err := c.RequestAdvancedCertificate(ctx, ncpapi.AdvancedCertificateRequest{
				CSR: mustCSR(t, mustECKey(t), "late.example.com"), CertificateType: "NCP_PAID_DV_01",
				CertificateName: "late-arrival", CommonName: "late.example.com", ValidationMethod: "D",
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// New orders get higher numbers and sort last, so nothing is skipped.
	if len(seen) != 26 {
		t.Fatalf("saw %d orders, want all 26 (new orders sort last)", len(seen))
	}
}

// TestFieldC47_ClientFollowsAllPages: the SDK iterator and the CLI follow
// paging to the end; the 150th certificate is found by name.
func TestFieldC47_ClientFollowsAllPages(t *testing.T) {
	ts := startServer(t, realTime)
	ts.seedOrders(150)
	c := ts.client(ts.ak, ts.sk)
	ctx := context.Background()
	n := 0
	for o, err := range c.AllAdvancedCertificates(ctx, client.ListAdvancedOptions{PageSize: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		n += len(o.Certificates)
	}
	if n != 150 {
		t.Fatalf("iterator saw %d certificates, want 150", n)
	}
	r, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{CertificateName: "cert-0150"})
	if err != nil {
		t.Fatal(err)
	}
	if r.TotalCount != 1 || r.Orders[0].Certificates[0].CommonName != "host150.example.com" {
		t.Fatalf("lookup by name: %+v", r)
	}
	t.Setenv("NCLOUD_ACCESS_KEY_ID", ts.ak)
	t.Setenv("NCLOUD_SECRET_ACCESS_KEY", ts.sk)
	t.Setenv("NCM_ENDPOINT", ts.endpoint)
	code, out, errs := ts.run("paid", "list", "--page-size", "7")
	if code != 0 {
		t.Fatalf("ncm paid list: exit %d: %s", code, errs)
	}
	for _, name := range []string{"cert-0001", "cert-0150"} {
		if !contains(out, name) {
			t.Errorf("ncm paid list output lacks %s", name)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
