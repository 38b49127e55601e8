// Package masterkey keeps ncm's secrets encrypted at rest: access-key
// secrets, imported private keys and the local CA's keys are sealed with
// AES-256-GCM under one master key, so a database file or dump holds no
// plaintext key.
//
// The master key is 32 random bytes, kept hex-encoded in a file of mode 0600
// beside the database (./ncm-data/master.key by default).
//
// A sealed value is laid out as
//
//	version (1 byte) | key ID (4 bytes) | nonce (12 bytes) | ciphertext+tag
//
// The key ID lets a future key rotation tell which key sealed a value without
// trying every key. The version byte, the key ID and the label are all
// authenticated, so none of them can be changed without Open failing.
package masterkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ncmhq/ncm"
)

// Size is the length of a master key in bytes (AES-256).
const Size = 32

// Layout of a sealed value.
const (
	version    byte = 1
	keyIDSize       = 4
	nonceSize       = 12 // the standard GCM nonce, random per Seal
	headerSize      = 1 + keyIDSize
	overhead        = headerSize + nonceSize + 16 // 16: GCM tag
)

// Key is a master key. It implements ncm.Sealer and is safe for concurrent
// use. It keeps no copy of the raw key bytes, only the expanded cipher.
type Key struct {
	aead cipher.AEAD
	id   [keyIDSize]byte
}

var _ ncm.Sealer = (*Key)(nil)

// Generate returns a new random master key.
func Generate() (*Key, error) {
	b := make([]byte, Size)
	if _, err := rand.Read(b); err != nil {
		return nil, ncm.Internal(err)
	}
	defer clear(b)
	return FromBytes(b)
}

// FromBytes returns the master key made of b, which must be exactly Size
// bytes. It returns EINVALID otherwise. b is not retained.
func FromBytes(b []byte) (*Key, error) {
	if len(b) != Size {
		return nil, ncm.Errorf(ncm.EINVALID, "", "master key: want %d bytes, got %d", Size, len(b))
	}
	block, err := aes.NewCipher(b)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	k := &Key{aead: aead}
	sum := sha256.Sum256(b)
	copy(k.id[:], sum[:])
	return k, nil
}

// KeyID returns the key's identifier as 8 hex digits: the first 4 bytes of
// the SHA-256 of the key. It is written into every sealed value.
func (k *Key) KeyID() string { return hex.EncodeToString(k.id[:]) }

// Seal encrypts plaintext for storage. label names the kind of secret
// (ncm.LabelPrivateKey, ...) and must be given again to Open, so a sealed
// value cannot be moved into a field of another kind. Sealing the same
// plaintext twice gives different outputs (random nonce).
func (k *Key) Seal(plaintext []byte, label string) ([]byte, error) {
	if label == "" {
		// An empty label would bind the value to nothing: a bug in the caller.
		return nil, ncm.Errorf(ncm.EINTERNAL, "", "seal: empty label")
	}
	out := make([]byte, headerSize+nonceSize, overhead+len(plaintext))
	out[0] = version
	copy(out[1:headerSize], k.id[:])
	nonce := out[headerSize:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, ncm.Internal(err)
	}
	return k.aead.Seal(out, nonce, plaintext, additionalData(out[:headerSize], label)), nil
}

// Open decrypts a value made by Seal with the same label. It returns
// EINTERNAL, and never any part of the plaintext, if the value is truncated,
// has an unknown version, was sealed under another key or with another
// label, or was altered in any byte.
func (k *Key) Open(sealed []byte, label string) ([]byte, error) {
	if len(sealed) < overhead {
		return nil, ncm.Errorf(ncm.EINTERNAL, "", "open %s: sealed value is %d bytes, shorter than the minimum %d",
			label, len(sealed), overhead)
	}
	if sealed[0] != version {
		return nil, ncm.Errorf(ncm.EINTERNAL, "", "open %s: unknown sealed-value version %d (this build reads %d)",
			label, sealed[0], version)
	}
	if id := sealed[1:headerSize]; string(id) != string(k.id[:]) {
		return nil, ncm.Errorf(ncm.EINTERNAL, "", "open %s: sealed under master key %x, but the loaded master key is %s",
			label, id, k.KeyID())
	}
	nonce := sealed[headerSize : headerSize+nonceSize]
	plaintext, err := k.aead.Open(nil, nonce, sealed[headerSize+nonceSize:], additionalData(sealed[:headerSize], label))
	if err != nil {
		return nil, &ncm.Error{Kind: ncm.EINTERNAL,
			Message: "open " + label + ": sealed value altered or sealed with another label", Err: err}
	}
	return plaintext, nil
}

// additionalData binds the header and the label to the ciphertext. The
// header has a fixed length, so the concatenation is unambiguous.
func additionalData(header []byte, label string) []byte {
	ad := make([]byte, 0, len(header)+len(label))
	return append(append(ad, header...), label...)
}

// LoadOrCreate reads the master key at path, or creates it if the file does
// not exist; created reports which. A new key is written to a temporary file
// of mode 0600 and then linked into place, so a crash never leaves half a key
// and two processes starting together end up with the same key. The parent
// directory is created with mode 0700 if missing.
//
// It refuses, with EINVALID, a file that group or others may access and a
// file that does not hold exactly 64 hex digits (surrounding whitespace is
// allowed).
func LoadOrCreate(path string) (key *Key, created bool, err error) {
	key, err = load(path)
	if !errors.Is(err, os.ErrNotExist) {
		return key, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, ioError(path, "cannot create its directory", err)
	}
	b := make([]byte, Size)
	defer clear(b)
	if _, err := rand.Read(b); err != nil {
		return nil, false, ncm.Internal(err)
	}
	ok, err := install(path, []byte(hex.EncodeToString(b)+"\n"))
	if err != nil {
		return nil, false, err
	}
	if !ok {
		// Another process created the key first: use its key, not ours.
		key, err = load(path)
		return key, false, err
	}
	key, err = FromBytes(b)
	return key, err == nil, err
}

// load reads the key file. It returns an error matching os.ErrNotExist if
// there is no file.
func load(path string) (*Key, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, ioError(path, "cannot read", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, ncm.Errorf(ncm.EINVALID, "", "master key %s is not a regular file", path)
	}
	// Windows has no Unix permission bits; its ACLs are the operator's job.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, ncm.Errorf(ncm.EINVALID, "",
			"master key %s has mode %04o, readable by group or others: run chmod 600 %s", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ioError(path, "cannot read", err)
	}
	defer clear(data)
	text := strings.TrimSpace(string(data))
	if len(text) != 2*Size {
		return nil, ncm.Errorf(ncm.EINVALID, "",
			"master key %s: want %d hex digits (%d bytes), found %d characters", path, 2*Size, Size, len(text))
	}
	b, err := hex.DecodeString(text)
	if err != nil {
		return nil, ncm.Errorf(ncm.EINVALID, "", "master key %s: not hexadecimal: %v", path, err)
	}
	defer clear(b)
	return FromBytes(b)
}

// install writes data to a temporary file next to path, flushes it, and links
// it to path. It reports false if path appeared in the meantime: a hard link,
// unlike a rename, never replaces an existing key that another process may
// already be sealing with. Where hard links are unsupported it falls back to
// a rename.
func install(path string, data []byte) (bool, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, ioError(path, "cannot create a temporary file", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	// CreateTemp already uses 0600; say so explicitly in case that ever changes.
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return false, ioError(path, "cannot restrict the temporary file to mode 0600", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return false, ioError(path, "cannot write", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, ioError(path, "cannot flush", err)
	}
	if err := f.Close(); err != nil {
		return false, ioError(path, "cannot write", err)
	}
	switch err := os.Link(tmp, path); {
	case errors.Is(err, os.ErrExist):
		return false, nil
	case err != nil:
		if err := os.Rename(tmp, path); err != nil {
			return false, ioError(path, "cannot move the new key into place", err)
		}
	}
	syncDir(dir)
	return true, nil
}

// syncDir flushes the directory entry of a new file. Best effort: some
// systems cannot open or sync a directory, and the file itself is complete.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

func ioError(path, what string, err error) *ncm.Error {
	return &ncm.Error{Kind: ncm.EINTERNAL, Message: fmt.Sprintf("master key %s: %s", path, what), Err: err}
}
