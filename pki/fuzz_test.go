package pki_test

import (
	"bytes"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/pki"
)

// FuzzReadBlocks checks that ReadBlocks never panics, returns only
// *ncm.Error values naming the field, respects its bounds, and that what it
// accepts reads back the same after re-encoding with encoding/pem. Seeds are
// in testdata/fuzz/FuzzReadBlocks.
func FuzzReadBlocks(f *testing.F) {
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	f.Add("-----BEGIN A-----\r\nAAAA\r\n-----END A----------BEGIN B-----\nAAAA\n-----END B-----")
	f.Fuzz(func(t *testing.T, input string) {
		blocks, err := pki.ReadBlocks("f", input)
		if err != nil {
			var e *ncm.Error
			if !errors.As(err, &e) || e.Kind != ncm.EINVALID || e.Field != "f" {
				t.Fatalf("err=%#v, want an EINVALID *ncm.Error on field f", err)
			}
			return
		}
		if len(blocks) == 0 || len(blocks) > pki.MaxPEMBlocks {
			t.Fatalf("got %d blocks, want 1..%d", len(blocks), pki.MaxPEMBlocks)
		}
		var again bytes.Buffer
		for i, b := range blocks {
			if len(b.Bytes) == 0 {
				t.Fatalf("block %d is empty", i+1)
			}
			if err := pem.Encode(&again, b); err != nil {
				t.Fatalf("re-encode block %d: %v", i+1, err)
			}
		}
		back, err := pki.ReadBlocks("f", again.String())
		if err != nil {
			t.Fatalf("re-encoded blocks do not read back: %v\n%s", err, again.String())
		}
		if len(back) != len(blocks) {
			t.Fatalf("read back %d blocks, want %d", len(back), len(blocks))
		}
		for i := range back {
			if back[i].Type != blocks[i].Type || !bytes.Equal(back[i].Bytes, blocks[i].Bytes) || len(back[i].Headers) != len(blocks[i].Headers) {
				t.Fatalf("block %d differs after the round trip", i+1)
			}
		}
	})
}
