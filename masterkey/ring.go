package masterkey

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"

	"github.com/ncmhq/ncm"
)

// Ring is a set of master keys during a key rotation: Seal uses the primary
// key, Open the key whose ID is written in the sealed value. So a database
// half re-sealed (a rotation interrupted midway) stays fully readable.
type Ring struct {
	primary *Key
	byID    map[[keyIDSize]byte]*Key
}

var _ ncm.Sealer = (*Ring)(nil)

// NewRing returns a ring that seals with primary and opens values sealed
// under primary or any of others.
func NewRing(primary *Key, others ...*Key) *Ring {
	r := &Ring{primary: primary, byID: map[[keyIDSize]byte]*Key{primary.id: primary}}
	for _, k := range others {
		if k != nil {
			if _, dup := r.byID[k.id]; !dup {
				r.byID[k.id] = k
			}
		}
	}
	return r
}

// Primary returns the key new values are sealed with.
func (r *Ring) Primary() *Key { return r.primary }

// Seal seals with the primary key.
func (r *Ring) Seal(plaintext []byte, label string) ([]byte, error) {
	return r.primary.Seal(plaintext, label)
}

// Open opens a value sealed under any key of the ring.
func (r *Ring) Open(sealed []byte, label string) ([]byte, error) {
	if len(sealed) >= headerSize {
		var id [keyIDSize]byte
		copy(id[:], sealed[1:headerSize])
		if k, ok := r.byID[id]; ok {
			return k.Open(sealed, label)
		}
	}
	return r.primary.Open(sealed, label) // reports what is wrong with it
}

// SealedKeyID returns the ID of the key a sealed value was sealed under (8
// hex digits, as Key.KeyID), or false if the value is too short or of an
// unknown version to be a sealed value.
func SealedKeyID(sealed []byte) (string, bool) {
	if len(sealed) < overhead || sealed[0] != version {
		return "", false
	}
	return hex.EncodeToString(sealed[1:headerSize]), true
}

// Header returns the bytes every value sealed under k starts with. Tests
// scan stored data for it to find values still sealed under a retired key.
func (k *Key) Header() []byte {
	return append([]byte{version}, k.id[:]...)
}

// Load reads the master key file at path, which must exist, with the same
// checks as LoadOrCreate.
func Load(path string) (*Key, error) {
	k, err := load(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ioError(path, "does not exist", err)
	}
	return k, err
}

// LoadOptional is Load, but a missing file is (nil, nil).
func LoadOptional(path string) (*Key, error) {
	k, err := load(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return k, err
}

// Copy installs the key file src at dst (mode 0600, written whole, then
// linked into place). It reports false, and changes nothing, when dst
// already exists.
func Copy(src, dst string) (bool, error) {
	if _, err := Load(src); err != nil { // a well-formed key file of mode 0600
		return false, err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return false, ioError(src, "cannot read", err)
	}
	defer clear(data)
	return install(dst, data)
}

// Replace moves the key file src over dst in one rename, so dst holds
// either the old or the new key whatever happens, and flushes the
// directory. src and dst must be in the same directory.
func Replace(src, dst string) error {
	if _, err := Load(src); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return ioError(dst, "cannot move the new key into place", err)
	}
	syncDir(filepath.Dir(dst))
	return nil
}
