package sqlstore_test

import (
	"testing"

	"github.com/ncmhq/ncm/internal/pgtest"
)

// postgresBackend returns the PostgreSQL backend when NCM_TEST_POSTGRES_DSN
// is set (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable),
// else nil. Each test gets a schema of its own, dropped when it ends.
func postgresBackend() *backend {
	base := pgtest.BaseDSN()
	if base == "" {
		return nil
	}
	return &backend{name: "PostgreSQL", newDSN: func(t *testing.T) string { return MustPostgresSchema(t, base) }}
}

// MustPostgresSchema creates a schema with a random name and returns base
// with search_path set to it.
func MustPostgresSchema(t *testing.T, base string) string {
	t.Helper()
	return pgtest.Schema(t, base)
}
