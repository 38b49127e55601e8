package masterkey_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/masterkey"
)

// MustGenerate returns a new random key.
func MustGenerate(tb testing.TB) *masterkey.Key {
	tb.Helper()
	k, err := masterkey.Generate()
	if err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	return k
}

// MustSeal seals plaintext under k with label.
func MustSeal(tb testing.TB, k *masterkey.Key, plaintext []byte, label string) []byte {
	tb.Helper()
	sealed, err := k.Seal(plaintext, label)
	if err != nil {
		tb.Fatalf("Seal: %v", err)
	}
	return sealed
}

// wantKind fails unless err is an *ncm.Error of the given kind.
func wantKind(tb testing.TB, err error, kind string) {
	tb.Helper()
	var e *ncm.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err=%v (%T), want *ncm.Error of kind %q", err, err, kind)
	}
	if e.Kind != kind {
		tb.Fatalf("kind=%q, want %q (err=%v)", e.Kind, kind, err)
	}
}

// wantOpenFails requires Open to fail with EINTERNAL and no plaintext.
func wantOpenFails(tb testing.TB, k *masterkey.Key, sealed []byte, label string) {
	tb.Helper()
	got, err := k.Open(sealed, label)
	if got != nil {
		tb.Fatalf("Open returned %d bytes of plaintext with err=%v, want none", len(got), err)
	}
	wantKind(tb, err, ncm.EINTERNAL)
}

func TestKey_Seal(t *testing.T) {
	plaintext := []byte("-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n")

	t.Run("OK", func(t *testing.T) {
		k := MustGenerate(t)
		sealed := MustSeal(t, k, plaintext, ncm.LabelPrivateKey)
		if bytes.Contains(sealed, []byte("secret")) {
			t.Fatalf("sealed value contains the plaintext")
		}
		got, err := k.Open(sealed, ncm.LabelPrivateKey)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plaintext) {
			t.Fatalf("Open=%q, want %q", got, plaintext)
		}
	})

	t.Run("OKEmptyPlaintext", func(t *testing.T) {
		k := MustGenerate(t)
		got, err := k.Open(MustSeal(t, k, nil, ncm.LabelAccessKeySecret), ncm.LabelAccessKeySecret)
		if err != nil || len(got) != 0 {
			t.Fatalf("Open=%q, %v, want empty, nil", got, err)
		}
	})

	t.Run("OKLayout", func(t *testing.T) {
		k := MustGenerate(t)
		sealed := MustSeal(t, k, plaintext, ncm.LabelCAKey)
		if got, want := len(sealed), 1+4+12+len(plaintext)+16; got != want {
			t.Fatalf("len(sealed)=%d, want %d", got, want)
		}
		if sealed[0] != 1 {
			t.Fatalf("version=%d, want 1", sealed[0])
		}
		if got, want := hex.EncodeToString(sealed[1:5]), k.KeyID(); got != want {
			t.Fatalf("key ID in sealed value=%s, want KeyID()=%s", got, want)
		}
	})

	t.Run("OKDifferentCiphertexts", func(t *testing.T) {
		k := MustGenerate(t)
		a := MustSeal(t, k, plaintext, ncm.LabelPrivateKey)
		b := MustSeal(t, k, plaintext, ncm.LabelPrivateKey)
		if bytes.Equal(a, b) {
			t.Fatalf("sealing twice gave identical outputs %x", a)
		}
		if bytes.Equal(a[5:17], b[5:17]) {
			t.Fatalf("sealing twice reused nonce %x", a[5:17])
		}
	})

	t.Run("ErrLabelMismatch", func(t *testing.T) {
		k := MustGenerate(t)
		sealed := MustSeal(t, k, plaintext, ncm.LabelPrivateKey)
		wantOpenFails(t, k, sealed, ncm.LabelCAKey)
		wantOpenFails(t, k, sealed, "")
	})

	t.Run("ErrWrongKey", func(t *testing.T) {
		k := MustGenerate(t)
		other := MustGenerate(t)
		wantOpenFails(t, other, MustSeal(t, k, plaintext, ncm.LabelPrivateKey), ncm.LabelPrivateKey)
	})

	t.Run("ErrWrongKeySameID", func(t *testing.T) {
		// A value whose key ID was rewritten to match must still fail: the
		// ID is a hint, the GCM tag is the check.
		k := MustGenerate(t)
		other := MustGenerate(t)
		sealed := MustSeal(t, k, plaintext, ncm.LabelPrivateKey)
		forged := MustSeal(t, other, nil, ncm.LabelPrivateKey)[:5]
		sealed = append(forged, sealed[5:]...)
		wantOpenFails(t, other, sealed, ncm.LabelPrivateKey)
	})

	t.Run("ErrTampered", func(t *testing.T) {
		k := MustGenerate(t)
		sealed := MustSeal(t, k, plaintext, ncm.LabelPrivateKey)
		n := len(sealed)
		for _, tc := range []struct {
			name string
			at   int
		}{
			{"version", 0},
			{"keyID", 1},
			{"keyIDLast", 4},
			{"nonce", 5},
			{"nonceLast", 16},
			{"ciphertext", 17},
			{"ciphertextLast", n - 17},
			{"tag", n - 16},
			{"tagLast", n - 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				altered := bytes.Clone(sealed)
				altered[tc.at] ^= 0x01
				wantOpenFails(t, k, altered, ncm.LabelPrivateKey)
			})
		}
		t.Run("truncated", func(t *testing.T) {
			wantOpenFails(t, k, sealed[:n-1], ncm.LabelPrivateKey)
			wantOpenFails(t, k, sealed[:20], ncm.LabelPrivateKey)
			wantOpenFails(t, k, nil, ncm.LabelPrivateKey)
		})
		t.Run("extended", func(t *testing.T) {
			wantOpenFails(t, k, append(bytes.Clone(sealed), 0), ncm.LabelPrivateKey)
		})
	})

	t.Run("ErrUnknownVersion", func(t *testing.T) {
		k := MustGenerate(t)
		sealed := MustSeal(t, k, plaintext, ncm.LabelPrivateKey)
		sealed[0] = 2
		_, err := k.Open(sealed, ncm.LabelPrivateKey)
		wantKind(t, err, ncm.EINTERNAL)
		if !strings.Contains(err.Error(), "version 2") {
			t.Fatalf("err=%v, want it to name version 2", err)
		}
	})

	t.Run("ErrEmptyLabel", func(t *testing.T) {
		_, err := MustGenerate(t).Seal(plaintext, "")
		wantKind(t, err, ncm.EINTERNAL)
	})
}

func TestFromBytes(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		raw := bytes.Repeat([]byte{7}, masterkey.Size)
		a, err := masterkey.FromBytes(raw)
		if err != nil {
			t.Fatalf("FromBytes: %v", err)
		}
		b, err := masterkey.FromBytes(raw)
		if err != nil {
			t.Fatalf("FromBytes: %v", err)
		}
		sum := sha256.Sum256(raw)
		if got, want := a.KeyID(), hex.EncodeToString(sum[:4]); got != want {
			t.Fatalf("KeyID=%s, want %s (first 4 bytes of SHA-256 of the key)", got, want)
		}
		if a.KeyID() != b.KeyID() {
			t.Fatalf("KeyID=%s and %s for the same bytes", a.KeyID(), b.KeyID())
		}
		if _, err := b.Open(MustSeal(t, a, []byte("x"), ncm.LabelCAKey), ncm.LabelCAKey); err != nil {
			t.Fatalf("Open with a key made of the same bytes: %v", err)
		}
	})
	for _, n := range []int{0, 16, 31, 33} {
		t.Run(fmt.Sprintf("ErrLength%d", n), func(t *testing.T) {
			_, err := masterkey.FromBytes(make([]byte, n))
			wantKind(t, err, ncm.EINVALID)
		})
	}
}

func TestLoadOrCreate(t *testing.T) {
	t.Run("OKCreate", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ncm-data")
		path := filepath.Join(dir, "master.key")
		k, created, err := masterkey.LoadOrCreate(path)
		if err != nil {
			t.Fatalf("LoadOrCreate: %v", err)
		}
		if !created {
			t.Fatalf("created=false for a new file, want true")
		}
		if k == nil {
			t.Fatalf("key=nil")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("ReadFile: %v", err)
		}
		if got := strings.TrimSpace(string(data)); len(got) != 64 || strings.Trim(got, "0123456789abcdef") != "" {
			t.Fatalf("file holds %q, want 64 hex digits", got)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("ReadDir: %v", err)
		}
		if len(entries) != 1 {
			t.Fatalf("directory holds %d entries, want only the key (no temporary file left)", len(entries))
		}
		if runtime.GOOS == "windows" {
			return
		}
		if got := mode(t, path); got != 0o600 {
			t.Fatalf("key file mode=%04o, want 0600", got)
		}
		if got := mode(t, dir); got != 0o700 {
			t.Fatalf("directory mode=%04o, want 0700", got)
		}
	})

	t.Run("OKReload", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "master.key")
		first, _, err := masterkey.LoadOrCreate(path)
		if err != nil {
			t.Fatalf("LoadOrCreate: %v", err)
		}
		second, created, err := masterkey.LoadOrCreate(path)
		if err != nil {
			t.Fatalf("LoadOrCreate again: %v", err)
		}
		if created {
			t.Fatalf("created=true for an existing file, want false")
		}
		if first.KeyID() != second.KeyID() {
			t.Fatalf("KeyID=%s after reload, want %s", second.KeyID(), first.KeyID())
		}
		got, err := second.Open(MustSeal(t, first, []byte("secret"), ncm.LabelCAKey), ncm.LabelCAKey)
		if err != nil || string(got) != "secret" {
			t.Fatalf("Open after reload=%q, %v, want %q, nil", got, err, "secret")
		}
	})

	t.Run("OKExistingNoNewline", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "master.key")
		hexKey := strings.Repeat("ab", 32)
		if err := os.WriteFile(path, []byte(hexKey), 0o600); err != nil {
			t.Fatal(err)
		}
		k, created, err := masterkey.LoadOrCreate(path)
		if err != nil || created {
			t.Fatalf("LoadOrCreate=%v, %v, want false, nil", created, err)
		}
		want, err := masterkey.FromBytes(bytes.Repeat([]byte{0xab}, 32))
		if err != nil {
			t.Fatal(err)
		}
		if k.KeyID() != want.KeyID() {
			t.Fatalf("KeyID=%s, want %s", k.KeyID(), want.KeyID())
		}
	})

	t.Run("ErrGroupReadable", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no Unix permission bits on Windows")
		}
		path := filepath.Join(t.TempDir(), "master.key")
		if _, _, err := masterkey.LoadOrCreate(path); err != nil {
			t.Fatalf("LoadOrCreate: %v", err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		k, _, err := masterkey.LoadOrCreate(path)
		if k != nil {
			t.Fatalf("key loaded from a mode 0644 file")
		}
		wantKind(t, err, ncm.EINVALID)
		if want := "chmod 600 " + path; !strings.Contains(err.Error(), want) {
			t.Fatalf("err=%v, want it to say %q", err, want)
		}
	})

	for name, content := range map[string]string{
		"ErrShort":  strings.Repeat("ab", 16) + "\n",
		"ErrLong":   strings.Repeat("ab", 33) + "\n",
		"ErrNotHex": strings.Repeat("zz", 32) + "\n",
		"ErrEmpty":  "",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			k, created, err := masterkey.LoadOrCreate(path)
			if k != nil || created {
				t.Fatalf("LoadOrCreate accepted %q (created=%v)", content, created)
			}
			wantKind(t, err, ncm.EINVALID)
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("err=%v, want it to name %s", err, path)
			}
			// The bad file must be left for the operator, not replaced.
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Fatalf("file now holds %q, want it untouched", data)
			}
		})
	}
}

func mode(tb testing.TB, path string) os.FileMode {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Mode().Perm()
}
