package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
)

// migrationFS holds the schema of every dialect, as numbered SQL files:
// migrations/<dialect>/NNNN_what.sql. Migrations only go forward; a change
// to the schema is a new file, never an edit of an applied one.
//
//go:embed migrations
var migrationFS embed.FS

// migration is one schema step.
type migration struct {
	version int64
	name    string // file name, for messages and schema_migrations
	sql     string
}

// loadMigrations returns the migrations of dialect name by version.
func loadMigrations(name string) ([]migration, error) {
	dir := path.Join("migrations", name)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		file := e.Name()
		prefix, _, ok := strings.Cut(file, "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(file, ".sql") {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_what.sql", dir, file)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, file))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: file, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s of %s share version %d", ms[i-1].name, ms[i].name, dir, ms[i].version)
		}
	}
	return ms, nil
}

// migrate applies every migration of d that db has not recorded yet, each in
// a transaction of its own together with its schema_migrations row.
func migrate(ctx context.Context, db *sql.DB, d *dialect) error {
	ms, err := loadMigrations(d.name)
	if err != nil {
		return ncm.Internal(err)
	}
	if len(ms) == 0 {
		return ncm.Internal(fmt.Errorf("no migrations for %s", d.name))
	}
	latest := ms[len(ms)-1]
	for _, m := range ms {
		if err := applyMigration(ctx, db, d, m, latest.version); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration applies m unless it is recorded already. Checking inside
// the locked transaction is what makes concurrent starts safe: the second
// node waits for the first and then finds m recorded.
func applyMigration(ctx context.Context, db *sql.DB, d *dialect, m migration, latest int64) error {
	fail := func(err error) error {
		return &ncm.Error{Kind: ncm.EINTERNAL, Message: "migrate database schema to " + d.name + "/" + m.name, Err: err}
	}
	stx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer stx.Rollback() // no-op after Commit
	exec := func(q string, args ...any) error {
		_, err := stx.ExecContext(ctx, d.rebind(q), args...)
		return err
	}
	if d.migrationLock != "" {
		if err := exec(d.migrationLock); err != nil {
			return fail(err)
		}
	}
	if err := exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fail(err)
	}
	var newest sql.NullInt64
	if err := stx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return fail(err)
	}
	if newest.Int64 > latest {
		// A newer ncm has migrated this database; running older code
		// on a schema it does not know could lose data.
		return ncm.Errorf(ncm.EINTERNAL, "", "database schema is at version %d, newer than this ncm knows (%d): run a newer ncm", newest.Int64, latest)
	}
	var n int
	if err := stx.QueryRowContext(ctx, d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
		return fail(err)
	}
	if n > 0 {
		return nil
	}
	if err := exec(m.sql); err != nil {
		return fail(err)
	}
	if err := exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().UnixMicro()); err != nil {
		return fail(err)
	}
	if err := stx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}
