package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/masterkey"
	"github.com/ncmhq/ncm/sqlstore"
	"github.com/spf13/cobra"
)

// nextKeySuffix names the file of the key a rotation moves to, beside the
// master key file. While it exists every ncm opening the data directory
// seals under it and opens values of both keys.
const nextKeySuffix = ".next"

// sealerFor returns the sealer of the data directory: the master key, or
// during a rotation a ring sealing under the next key.
func sealerFor(keyFile string, current *masterkey.Key) (ncm.Sealer, error) {
	next, err := masterkey.LoadOptional(keyFile + nextKeySuffix)
	if err != nil || next == nil {
		return current, err
	}
	return masterkey.NewRing(next, current), nil
}

func newRotateMasterKeyCommand(o *storeOptions) *cobra.Command {
	var newKeyFile string
	var batch int
	cmd := &cobra.Command{
		Use:   "rotate-master-key --new-key-file FILE",
		Short: "Re-encrypt every sealed secret under a new master key",
		Long: `Re-encrypt every sealed secret (access key secrets, private keys, CA keys,
EAB HMAC keys) under the master key in FILE (64 hex digits, mode 0600; make
one with: openssl rand -hex 32 > FILE && chmod 600 FILE), then replace the
master key file with it.

The new key is first copied beside the master key as master.key.next; from
then on every ncm opening the data directory seals under it and reads values
of both keys. Rows are re-sealed in batches, one transaction each, so the
command can be interrupted at any moment and run again with the same FILE:
it carries on where it stopped. Only when no value is left under the old key
is the master key file replaced, in one rename.

Servers started before master.key.next existed seal with the old key only:
stop them first, or restart them as soon as the command is done. The final
pass re-seals what they wrote until then; a secret they seal after the swap
could no longer be opened.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if newKeyFile == "" {
				return usageError{fmt.Errorf("--new-key-file is required")}
			}
			return rotateMasterKey(cmd.Context(), *o, newKeyFile, batch, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&newKeyFile, "new-key-file", "", "file holding the new master key (64 hex digits, mode 0600)")
	cmd.Flags().IntVar(&batch, "batch-size", 100, "rows re-sealed per transaction")
	return cmd
}

// rotateMasterKey is `ncm admin rotate-master-key`.
func rotateMasterKey(ctx context.Context, o storeOptions, newKeyFile string, batch int, out io.Writer) error {
	if err := o.requireDatabase(); err != nil {
		return err
	}
	keyFile := o.MasterKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(o.DataDir, "master.key")
	}
	nextFile := keyFile + nextKeySuffix
	oldKey, err := masterkey.Load(keyFile)
	if err != nil {
		return err
	}
	newKey, err := masterkey.Load(newKeyFile)
	if err != nil {
		return err
	}
	if oldKey.KeyID() == newKey.KeyID() {
		fmt.Fprintf(out, "master key %s is already in use; nothing to do\n", newKey.KeyID())
		return nil
	}
	next, err := masterkey.LoadOptional(nextFile)
	if err != nil {
		return err
	}
	switch {
	case next == nil:
		if _, err := masterkey.Copy(newKeyFile, nextFile); err != nil {
			return err
		}
	case next.KeyID() != newKey.KeyID():
		return fmt.Errorf("a rotation to master key %s is under way (%s): finish it by running this command with that key file", next.KeyID(), nextFile)
	default:
		fmt.Fprintf(out, "resuming the rotation to master key %s\n", newKey.KeyID())
	}

	dsn := o.DB
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(o.DataDir, "ncm.db")
	}
	store, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer store.Close()
	ring := masterkey.NewRing(newKey, oldKey)
	newID := newKey.KeyID()
	current := func(v []byte) bool { id, _ := masterkey.SealedKeyID(v); return id == newID }
	reseal := func(v []byte, label string) ([]byte, error) {
		plain, err := ring.Open(v, label)
		if err != nil {
			return nil, err
		}
		defer clear(plain)
		return newKey.Seal(plain, label)
	}
	n, err := store.Reseal(ctx, batch, current, reseal, func(p sqlstore.ResealProgress) {
		fmt.Fprintf(out, "re-sealed %d values of %s.%s\n", p.Resealed, p.Column.Table, p.Column.Column)
	})
	if err != nil {
		return fmt.Errorf("rotation interrupted after re-sealing %d values (run the command again to carry on): %w", n, err)
	}
	// A second pass proves nothing is left under the old key (a server that
	// opened the directory before master.key.next existed may have sealed a
	// value under it meanwhile).
	left, err := store.Reseal(ctx, batch, current, reseal, nil)
	if err != nil {
		return fmt.Errorf("rotation interrupted in the final pass (run the command again to carry on): %w", err)
	}
	if err := masterkey.Replace(nextFile, keyFile); err != nil {
		return err
	}
	fmt.Fprintf(out, "master key rotated from %s to %s: %d values re-sealed; restart running servers\n", oldKey.KeyID(), newID, n+left)
	return nil
}
