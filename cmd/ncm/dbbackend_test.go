package main

// Which database the end-to-end tests' servers run on. Without
// NCM_TEST_POSTGRES_DSN every test server uses SQLite in its data directory.
// With it, TestMain runs the whole package twice: first on SQLite, then
// again with every test server on a fresh PostgreSQL schema of its own, so
// each end-to-end test (including ones added later) passes on both
// databases, and tests stay parallel-safe.

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ncmhq/ncm/internal/pgtest"
)

// e2eOnPostgres is true during the PostgreSQL pass of the suite.
var e2eOnPostgres bool

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if pgtest.BaseDSN() == "" || onlyListing() {
		os.Exit(code)
	}
	fmt.Println("=== the end-to-end suite again, every test server on PostgreSQL (" + pgtest.EnvVar + ")")
	e2eOnPostgres = true
	if c := m.Run(); c != 0 {
		code = c
	}
	os.Exit(code)
}

// onlyListing reports whether go test was asked to list, benchmark or fuzz
// rather than to test; those run once, on SQLite.
func onlyListing() bool {
	for _, name := range []string{"test.list", "test.bench", "test.fuzz"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return true
		}
	}
	return false
}

// useTestDatabase points o at the database of the current pass: SQLite in
// o.DataDir, or a fresh PostgreSQL schema dropped when t ends. It says
// which in the test's log.
func useTestDatabase(t *testing.T, o *storeOptions) {
	t.Helper()
	if !e2eOnPostgres {
		t.Logf("test server on SQLite: %s", filepath.Join(o.DataDir, "ncm.db"))
		return
	}
	dsn, schema := pgtest.SchemaName(t, pgtest.BaseDSN())
	o.DB = dsn
	// A test that opens the data directory without --db would silently
	// get an empty SQLite database; a directory in the database file's
	// place makes that fail loudly instead. Use ts.storeOptions().
	if err := os.Mkdir(filepath.Join(o.DataDir, "ncm.db"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Logf("test server on PostgreSQL: schema %s", schema)
}

// storeOptions are the options that open the test server's own state (its
// data directory, and its database when that is not SQLite there).
func (ts *testServer) storeOptions() storeOptions {
	return storeOptions{DataDir: ts.dataDir, DB: ts.dsn, Zone: "PUB", DisplayTimezone: "Asia/Seoul"}
}

// storeFlags are the command-line flags that point ncm admin at the test
// server's state.
func (ts *testServer) storeFlags() []string {
	if ts.dsn == "" {
		return []string{"--data-dir", ts.dataDir}
	}
	return []string{"--data-dir", ts.dataDir, "--db", ts.dsn}
}
