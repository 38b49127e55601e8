package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/ncmhq/ncm"
)

// migrationLockKey names ncm's advisory lock: "ncm" in ASCII, so it is
// recognisable in pg_locks and unlikely to clash with other applications
// sharing the database.
const migrationLockKey = 0x6e636d

// postgresDialect is PostgreSQL through pgx's database/sql driver.
var postgresDialect = &dialect{
	name:   "postgres",
	rebind: rebindDollar,
	isUniqueViolation: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == "23505" // unique_violation
	},
	// Nodes starting at once queue here; the lock ends with the
	// transaction, so a crashed node never holds it.
	migrationLock: "SELECT pg_advisory_xact_lock(" + strconv.Itoa(migrationLockKey) + ")",
	// ListAdvanced counts, then pages, then lists: REPEATABLE READ gives
	// the three one snapshot, as a SQLite read transaction does.
	readTx: sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead},
	// Read-decide-write use cases must not both win on one row.
	lockRow: " FOR UPDATE",
	// Nodes claiming jobs at once each get different rows.
	skipLocked: " FOR UPDATE SKIP LOCKED",
	// Numbers are taken in one transaction per write, often of several
	// counters: locking all of them in name order first means two writers
	// never hold one each while waiting for the other's. Writers that take
	// numbers queue here, as on SQLite; other writes do not.
	lockCounters: "SELECT name FROM counters ORDER BY name FOR UPDATE",
	isTransient: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && (e.Code == "40P01" || e.Code == "40001") // deadlock_detected, serialization_failure
	},
}

// postgresMaxConns is the size of a node's connection pool.
const postgresMaxConns = 16

// openPostgres opens a pool on dsn (postgres://...), shared by Read and
// Write: PostgreSQL runs concurrent writers itself.
func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, ncm.Errorf(ncm.EINVALID, "", "database: cannot use the PostgreSQL DSN: %v", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, openError(redactDSN(dsn), err)
	}
	// Bounded, so that several nodes stay well inside the server's
	// max_connections (100 by default): a node rarely needs more than one
	// connection per core for its writes and reads.
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	return &DB{write: db, read: db, d: postgresDialect}, nil
}

// redactDSN hides the password of a postgres:// URL for messages.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return "PostgreSQL database"
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return dsn
	}
	user, _, _ := strings.Cut(userinfo, ":")
	return scheme + "://" + user + "@" + host
}

// rebindDollar numbers the ? placeholders $1, $2, ... as PostgreSQL wants.
// Queries of this package hold no ? inside string literals, but quoted text
// is skipped anyway.
func rebindDollar(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	quoted := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
