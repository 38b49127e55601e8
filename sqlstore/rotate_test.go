package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ncmhq/ncm/sqlstore"
)

// TestSealedColumnsRegistered: every *_sealed column of the schema is in
// sqlstore.SealedColumns, so `ncm admin rotate-master-key` re-seals it. A
// migration that adds a sealed column without registering it fails here.
func TestSealedColumnsRegistered(t *testing.T) {
	db := MustOpen(t, "sqlite:"+filepath.Join(t.TempDir(), "ncm.db"))
	live, err := db.SchemaSealedColumns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(live) == 0 {
		t.Fatal("no *_sealed column found in the schema")
	}
	for _, c := range live {
		if !slices.ContainsFunc(sqlstore.SealedColumns, func(r sqlstore.SealedColumn) bool { return r.Table+"."+r.Column == c }) {
			t.Errorf("sealed column %s is not in sqlstore.SealedColumns (rotate.go)", c)
		}
	}
}

// TestResealRefusesAnUnknownSealedColumn: a *_sealed column missing from the
// registry stops a rotation before it changes anything.
func TestResealRefusesAnUnknownSealedColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ncm.db")
	db := MustOpen(t, "sqlite:"+path)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`ALTER TABLE member ADD COLUMN token_sealed BLOB`); err != nil {
		t.Fatal(err)
	}
	n, err := db.Reseal(context.Background(), 10, func([]byte) bool { return false },
		func(v []byte, _ string) ([]byte, error) { return v, nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "member.token_sealed") || n != 0 {
		t.Fatalf("Reseal = %d, %v; want an error naming member.token_sealed and nothing re-sealed", n, err)
	}
}
