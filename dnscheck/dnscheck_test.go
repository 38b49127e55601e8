package dnscheck_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ncmhq/ncm/dnscheck"
	"github.com/ncmhq/ncm/dnscheck/dnstest"
)

func TestLookupTXT(t *testing.T) {
	srv := dnstest.Start(t)
	srv.SetTXT("_dnsauth.example.com", "value-one", "value-two")
	r := &dnscheck.Resolver{Addr: srv.Addr}
	ctx := context.Background()

	t.Run("Found", func(t *testing.T) {
		got, err := r.LookupTXT(ctx, "_dnsauth.EXAMPLE.com")
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if want := []string{"value-one", "value-two"}; !slices.Equal(got, want) {
			t.Fatalf("LookupTXT = %q, want %q", got, want)
		}
	})
	t.Run("Missing", func(t *testing.T) {
		got, err := r.LookupTXT(ctx, "_dnsauth.other.example")
		if err != nil || len(got) != 0 {
			t.Fatalf("LookupTXT = %q, %v; want nothing, no error", got, err)
		}
	})
	t.Run("Removed", func(t *testing.T) {
		srv.SetTXT("_dnsauth.example.com")
		got, err := r.LookupTXT(ctx, "_dnsauth.example.com")
		if err != nil || len(got) != 0 {
			t.Fatalf("after removal LookupTXT = %q, %v; want nothing", got, err)
		}
	})
	t.Run("ErrUnreachable", func(t *testing.T) {
		// Port 1 on the loopback: nothing answers, the query fails.
		bad := &dnscheck.Resolver{Addr: "127.0.0.1:1", Timeout: 200_000_000}
		if _, err := bad.LookupTXT(ctx, "_dnsauth.example.com"); err == nil {
			t.Fatal("LookupTXT through a dead resolver succeeded")
		}
	})
}
