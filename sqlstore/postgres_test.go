package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
)

// postgresBackend returns the PostgreSQL backend when NCM_TEST_POSTGRES_DSN
// is set (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable),
// else nil. Each test gets a schema of its own, dropped when it ends.
func postgresBackend() *backend {
	base := os.Getenv("NCM_TEST_POSTGRES_DSN")
	if base == "" {
		return nil
	}
	return &backend{name: "PostgreSQL", newDSN: func(t *testing.T) string { return MustPostgresSchema(t, base) }}
}

// MustPostgresSchema creates a schema with a random name and returns base
// with search_path set to it.
func MustPostgresSchema(t *testing.T, base string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "ncm_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("NCM_TEST_POSTGRES_DSN: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("NCM_TEST_POSTGRES_DSN: %v", err)
	}
	q := u.Query()
	q.Set("options", strings.TrimSpace(q.Get("options")+" -c search_path="+schema))
	// %20, not +: pgx decodes the URI as libpq does, where + is a plus.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}
