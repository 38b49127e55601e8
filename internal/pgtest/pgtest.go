// Package pgtest gives tests a fresh PostgreSQL schema of their own on the
// server named by NCM_TEST_POSTGRES_DSN, so that tests on PostgreSQL run in
// parallel without seeing each other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// EnvVar names the variable that points the tests at a PostgreSQL server,
// e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvVar = "NCM_TEST_POSTGRES_DSN"

// BaseDSN returns the value of NCM_TEST_POSTGRES_DSN, "" when unset.
func BaseDSN() string { return os.Getenv(EnvVar) }

// Schema creates a schema with a random name on base, drops it (with
// everything in it) when the test ends, and returns base with search_path
// set to it. Every connection opened on the returned DSN, by this process or
// by a child process, works in that schema only.
func Schema(tb testing.TB, base string) string {
	tb.Helper()
	dsn, _ := SchemaName(tb, base)
	return dsn
}

// SchemaName is Schema that also returns the schema's name.
func SchemaName(tb testing.TB, base string) (dsn, schema string) {
	tb.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema = "ncm_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvVar, err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema %s on %s: %v", schema, EnvVar, err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("options", strings.TrimSpace(q.Get("options")+" -c search_path="+schema))
	// %20, not +: pgx decodes the URI as libpq does, where + is a plus.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String(), schema
}
