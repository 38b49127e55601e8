package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/sqlstore"
)

// backend is a database the conformance suite runs against.
type backend struct {
	name string
	// newDSN returns the DSN of a fresh, empty database.
	newDSN func(t *testing.T) string
}

// backends returns SQLite, and PostgreSQL when NCM_TEST_POSTGRES_DSN is set.
func backends() []backend {
	bs := []backend{{"SQLite", sqliteDSN}}
	if pg := postgresBackend(); pg != nil {
		bs = append(bs, *pg)
	}
	return bs
}

// sqliteDSN is a database file in the test's temporary directory.
func sqliteDSN(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "ncm.db")
}

func TestConformance(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { runConformance(t, b.newDSN) })
	}
}

func TestFieldC44_StablePaging(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testStablePaging(t, MustOpen(t, b.newDSN(t))) })
	}
}

func TestOpen(t *testing.T) {
	t.Run("BarePath", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bare.db")
		s := MustOpen(t, path)
		member := MustMember(t, s)
		s.Close()
		// The same file through the sqlite: prefix.
		MustRead(t, MustOpen(t, "sqlite:"+path), func(tx ncm.Tx) error {
			_, err := tx.Member(context.Background(), member)
			return err
		})
	})
	for name, dsn := range map[string]string{
		"ErrEmpty":         "sqlite:",
		"ErrMemory":        "sqlite::memory:",
		"ErrQueryInPath":   "sqlite:/tmp/ncm.db?_pragma=foreign_keys(0)",
		"ErrUnknownScheme": "mysql://localhost/ncm",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sqlstore.Open(context.Background(), dsn)
			if ncm.ErrorKind(err) != ncm.EINVALID {
				t.Fatalf("Open(%q) = %v, want EINVALID", dsn, err)
			}
			if msg := ncm.ErrorMessage(err); !strings.Contains(msg, "sqlite") && !strings.Contains(msg, "SQLite") {
				t.Errorf("message %q does not say what to use", msg)
			}
		})
	}
	t.Run("ErrPostgresUnreachable", func(t *testing.T) {
		// Port 1 on the loopback refuses at once; the message must not
		// carry the password.
		_, err := sqlstore.Open(context.Background(), "postgres://ncm:s3cret@127.0.0.1:1/ncm?connect_timeout=2")
		if ncm.ErrorKind(err) != ncm.EINTERNAL || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("Open = %v, want EINTERNAL without the password", err)
		}
	})
	t.Run("ErrSchemaNewer", func(t *testing.T) {
		// A database migrated by a newer ncm is refused, not used.
		path := filepath.Join(t.TempDir(), "newer.db")
		MustOpen(t, path).Close()
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		_, err = sqlstore.Open(context.Background(), path)
		if ncm.ErrorKind(err) != ncm.EINTERNAL || !strings.Contains(err.Error(), "version 9999") {
			t.Fatalf("Open = %v, want EINTERNAL naming version 9999", err)
		}
	})
	t.Run("ErrUnwritableDirectory", func(t *testing.T) {
		dsn := "sqlite:" + filepath.Join(t.TempDir(), "missing-dir", "ncm.db")
		_, err := sqlstore.Open(context.Background(), dsn)
		if ncm.ErrorKind(err) != ncm.EINTERNAL || !strings.Contains(err.Error(), "missing-dir") {
			t.Fatalf("Open(%q) = %v, want EINTERNAL naming the file", dsn, err)
		}
	})
}
