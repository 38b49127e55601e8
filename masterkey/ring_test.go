package masterkey_test

import (
	"bytes"
	"testing"

	"github.com/ncmhq/ncm/masterkey"
)

func TestRingOpensOldAndSealsWithPrimary(t *testing.T) {
	old, _ := masterkey.Generate()
	next, _ := masterkey.Generate()
	sealedOld, err := old.Seal([]byte("secret"), "private-key")
	if err != nil {
		t.Fatal(err)
	}
	r := masterkey.NewRing(next, old)
	got, err := r.Open(sealedOld, "private-key")
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open(value sealed under the old key) = %q, %v; want secret", got, err)
	}
	s, err := r.Seal([]byte("secret"), "private-key")
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := masterkey.SealedKeyID(s); !ok || id != next.KeyID() {
		t.Errorf("Seal used key %q, want the primary %s", id, next.KeyID())
	}
	if !bytes.HasPrefix(s, next.Header()) {
		t.Errorf("sealed value does not start with the primary's header")
	}
	if _, err := masterkey.NewRing(next).Open(sealedOld, "private-key"); err == nil {
		t.Error("a ring without the old key opened a value sealed under it")
	}
	if _, err := r.Open(sealedOld, "ca-key"); err == nil {
		t.Error("the ring opened a value under the wrong label")
	}
}
