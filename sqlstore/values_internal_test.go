package sqlstore

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestListScanMatchesJSON: the fast reader of stored lists gives exactly
// what encoding/json gives for every list listArg can write, plain or not.
func TestListScanMatchesJSON(t *testing.T) {
	lists := [][]string{
		{"www.example.com"}, {"a.example.com", "*.b.example.com", "c"}, {"7001", "7002"},
		{"a,b"}, {`say "hi"`}, {`back\\slash`}, {"ü.example"}, {"<x>&"}, {"", "x"}, {"tab\there"}, {" lead"},
		{"a", "b,c", "d"}, {"\u2028"},
	}
	for _, list := range lists {
		v, err := listArg(list)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := (listScan{&got}).Scan(v); err != nil {
			t.Fatalf("%q: %v", list, err)
		}
		var want []string
		json.Unmarshal([]byte(v.(string)), &want)
		if !slices.Equal(got, want) || !slices.Equal(got, list) {
			t.Errorf("stored %s read back as %q, want %q", v, got, list)
		}
	}
}

func FuzzPlainList(f *testing.F) {
	f.Add(`["a","b"]`)
	f.Add(`["a,b"]`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := plainList([]byte(s))
		if !ok {
			return
		}
		var want []string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("plainList accepted %q, which is not JSON: %v", s, err)
		}
		if len(want) == 0 {
			want = nil
		}
		if len(got) == 0 {
			got = nil
		}
		if !slices.Equal(got, want) {
			t.Fatalf("plainList(%q) = %q, json says %q", s, got, want)
		}
	})
}

// BenchmarkListScan reads a typical stored SAN list, with the fast reader
// and with encoding/json alone (the baseline).
func BenchmarkListScan(b *testing.B) {
	v, _ := listArg([]string{"example.com", "www.example.com", "api.example.com"})
	stored := v.(string)
	b.Run("plainList", func(b *testing.B) {
		for b.Loop() {
			var got []string
			if err := (listScan{&got}).Scan(stored); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			var got []string
			if err := json.Unmarshal([]byte(stored), &got); err != nil {
				b.Fatal(err)
			}
		}
	})
}
