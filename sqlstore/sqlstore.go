// Package sqlstore implements ncm.Store on database/sql: SQLite (embedded,
// the default) and PostgreSQL (shared by several nodes).
//
// Queries are written once, with ? placeholders. What differs between the
// databases (placeholders, unique-violation codes, locking, how connections
// are opened) lives in one small file per dialect: dialect_sqlite.go and
// dialect_postgres.go. Schemas are forward-only migrations per dialect,
// embedded in the binary and applied by Open.
//
// Stored values, the same in both dialects so one query text and one scan
// path serve both:
//   - times are UTC Unix microseconds in a 64-bit integer, NULL for the zero
//     time or a nil pointer. Microseconds are PostgreSQL's own timestamp
//     precision and reach year 294246, so certificates valid until 9999 fit
//     (nanoseconds end in 2262). Nanoseconds below a microsecond are dropped.
//   - DNS names and instance numbers are JSON arrays, NULL when empty; a
//     stored empty list reads back as nil.
//   - sealed secrets are opaque bytes.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
)

// DB is an ncm.Store on a SQL database. It is safe for concurrent use.
type DB struct {
	// write runs Write transactions. On SQLite it holds a single connection,
	// because SQLite allows one writer at a time and queueing in database/sql
	// is cheaper and fairer than retrying on SQLITE_BUSY.
	write *sql.DB
	// read runs Read transactions. On SQLite it is a separate pool of
	// query_only connections, which WAL lets read while the writer writes;
	// on PostgreSQL it is the same pool as write.
	read *sql.DB
	d    *dialect
	// cache holds prepared statements of hot queries and the order lists
	// of the Advanced listing (stmtcache.go, ordercache.go).
	cache hotCache
}

var _ ncm.Store = (*DB)(nil)

// dialect is what differs between the databases. Each dialect file defines
// one value of it.
type dialect struct {
	// name names the dialect and its directory under migrations/.
	name string
	// rebind turns a query written with ? placeholders into the dialect's.
	rebind func(query string) string
	// isUniqueViolation reports whether err is a unique or primary key
	// violation, judged by the driver's error code.
	isUniqueViolation func(err error) bool
	// migrationLock, when set, is run first in every migration transaction so
	// that nodes starting together apply each migration once.
	migrationLock string
	// readTx are the options of Read transactions.
	readTx sql.TxOptions
	// lockRow is appended to single-row reads made inside a Write
	// transaction. Use cases read a row, decide, then write it (issue a
	// certificate that is still Ongoing, extend an order): on PostgreSQL
	// two nodes could otherwise both read the old row and both write, so
	// the read takes the row lock (FOR UPDATE) and the second node's read
	// waits for the first's commit and sees its result. SQLite's single
	// writer already serialises every write.
	lockRow string
	// lockCounters, when set, runs before a transaction takes its first
	// number and locks every counter row in one fixed order. Writers that
	// take numbers of several counters (an order, a certificate, events,
	// jobs...) in different orders would otherwise deadlock on PostgreSQL.
	// Empty where the database has a single writer anyway (SQLite).
	lockCounters string
	// isTransient reports whether a Write failed only because it ran
	// concurrently with another (a deadlock or serialization failure), so
	// running it again may succeed. Nil where that cannot happen.
	isTransient func(err error) bool
	// skipLocked ends the job claim query: rows another transaction has
	// locked are skipped, not waited for, so nodes claim different jobs.
	// Empty where the database has a single writer anyway (SQLite).
	skipLocked string
}

// Open opens the database named by dsn and brings its schema up to date.
//
// dsn is "sqlite:/path/to/ncm.db" (or just the path) for SQLite, whose file
// is created when missing, or "postgres://..." for PostgreSQL. Returns
// EINVALID for a DSN it cannot use and EINTERNAL when the database cannot be
// opened or migrated.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(ctx, dsn)
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return nil, ncm.Errorf(ncm.EINVALID, "", "database: unknown DSN scheme %q; use sqlite:/path/to/ncm.db or postgres://...", scheme)
	default:
		db, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db.write, db.d); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes every connection. Transactions still running fail.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Read runs fn in a read-only transaction on the reader pool. Writing inside
// it fails with EINTERNAL.
func (db *DB) Read(ctx context.Context, fn func(tx ncm.Tx) error) error {
	opts := db.d.readTx
	return db.run(ctx, db.read, &opts, fn)
}

// Write runs fn in a read-write transaction, committed if fn returns nil and
// rolled back if it returns an error or panics. On PostgreSQL, a
// transaction that the database aborted as a deadlock victim (nodes writing
// the same rows at once) is rolled back and fn runs again, up to
// writeAttempts times in all; fn must keep nothing from an aborted run.
func (db *DB) Write(ctx context.Context, fn func(tx ncm.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.run(ctx, db.write, nil, fn)
		if err == nil || db.d.isTransient == nil || attempt == writeAttempts || !db.d.isTransient(err) || ctx.Err() != nil {
			return err
		}
		// Back off a little, with jitter, so the transactions that
		// collided do not collide again in lockstep.
		select {
		case <-time.After(time.Duration(attempt)*time.Millisecond + time.Duration(rand.Int64N(int64(5*time.Millisecond)))):
		case <-ctx.Done():
			return err
		}
	}
}

// writeAttempts bounds how often Write runs a transaction that keeps
// failing as a deadlock victim or a serialization loser.
const writeAttempts = 10

// run is Read and Write. fn's own error is returned unchanged.
func (db *DB) run(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(tx ncm.Tx) error) error {
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return ncm.Internal(err)
	}
	committed := false
	defer func() {
		// Also reached while a panic unwinds: roll back, then let the
		// panic continue.
		if !committed {
			_ = stx.Rollback()
		}
	}()
	if err := fn(&tx{tx: stx, d: db.d, pool: pool, cache: &db.cache, write: opts == nil || !opts.ReadOnly}); err != nil {
		return err
	}
	committed = true
	if err := stx.Commit(); err != nil {
		return ncm.Internal(err)
	}
	return nil
}

// tx implements ncm.Tx on one database transaction.
type tx struct {
	tx    *sql.Tx
	d     *dialect
	write bool // a Write transaction: single-row reads lock their row
	// pool is the pool tx runs on and cache the database's hotCache
	// (stmtcache.go).
	pool  *sql.DB
	cache *hotCache
	// countersLocked is set once lockCounters ran in this transaction.
	countersLocked bool
}

var _ ncm.Tx = (*tx)(nil)

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(query), args...)
}

// lockCounters takes, once per transaction, the lock of the counters rows
// (PostgreSQL; SQLite's single writer needs none). Writes that take numbers
// queue on it, and so do check-then-write steps that must not interleave
// with them (see CertificateByFingerprint).
func (t *tx) lockCounters(ctx context.Context) error {
	if t.d.lockCounters == "" || t.countersLocked {
		return nil
	}
	if _, err := t.exec(ctx, t.d.lockCounters); err != nil {
		return ncm.Internal(err)
	}
	t.countersLocked = true
	return nil
}

// forUpdate returns the row-locking suffix for a single-row read that a
// Write transaction may act on (see dialect.lockRow).
func (t *tx) forUpdate() string {
	if t.write {
		return t.d.lockRow
	}
	return ""
}

// next takes the next number of a counter. It runs in the caller's
// transaction, so a rolled-back write gives its number back, and it locks the
// counter row, so concurrent writers on PostgreSQL never get the same number.
func (t *tx) next(ctx context.Context, counter string) (int64, error) {
	if err := t.lockCounters(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := t.queryRow(ctx,
		`UPDATE counters SET next_value = next_value + 1 WHERE name = ? RETURNING next_value - 1`,
		counter).Scan(&n)
	if err != nil {
		return 0, ncm.Internal(err)
	}
	return n, nil
}

// rebindNone is the rebind of dialects that take ? as they are.
func rebindNone(query string) string { return query }
