package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteDialect is SQLite through modernc.org/sqlite (pure Go).
var sqliteDialect = &dialect{
	name:   "sqlite",
	rebind: rebindNone,
	isUniqueViolation: func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		// The driver turns on extended result codes, so a constraint
		// error says which constraint kind failed.
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	// Migrations need no lock of their own: the writer begins IMMEDIATE,
	// which takes SQLite's write lock at once, and busy_timeout makes a
	// second process wait for it.
	migrationLock: "",
	readTx:        sql.TxOptions{ReadOnly: true},
}

// sqlitePragmas apply to every connection, as modernc's _pragma parameters:
// wait up to 5 s for a lock instead of failing with SQLITE_BUSY, enforce
// foreign keys, and fsync only at WAL checkpoints (safe in WAL mode; a power
// cut can lose the last transactions but never corrupts the file).
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"

// openSQLite opens the database file at path: one writer connection that
// begins every transaction IMMEDIATE (so two writers queue instead of
// failing to upgrade a read lock), and a pool of query_only readers.
func openSQLite(ctx context.Context, path string) (*DB, error) {
	switch {
	case path == "":
		return nil, ncm.Errorf(ncm.EINVALID, "", "database: the SQLite DSN names no file; use sqlite:/path/to/ncm.db")
	case path == ":memory:" || strings.Contains(path, "mode=memory"):
		return nil, ncm.Errorf(ncm.EINVALID, "", "database: an in-memory SQLite database cannot be shared by the writer and the readers; use a file, e.g. sqlite:%s", "/tmp/ncm.db")
	case strings.Contains(path, "?"):
		return nil, ncm.Errorf(ncm.EINVALID, "", "database: SQLite path %q holds a '?'; ncm sets the connection parameters itself, so give only the file path", path)
	}

	write, err := sql.Open("sqlite", path+"?"+sqlitePragmas+"&_txlock=immediate")
	if err != nil {
		return nil, openError(path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	// The writer creates the file and switches it to WAL, which is
	// persistent, before any reader opens it.
	if err := enableWAL(ctx, write); err != nil {
		write.Close()
		return nil, openError(path, err)
	}

	read, err := sql.Open("sqlite", path+"?"+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, openError(path, err)
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		write.Close()
		read.Close()
		return nil, openError(path, err)
	}
	return &DB{write: write, read: read, d: sqliteDialect}, nil
}

// openError says which database could not be opened.
func openError(where string, err error) error {
	return &ncm.Error{Kind: ncm.EINTERNAL, Message: "open database " + where, Err: err}
}

// enableWAL switches the database to WAL mode. Switching needs an exclusive
// lock, and SQLite answers SQLITE_BUSY at once, without waiting out the busy
// timeout, when another process is opening the same new file (waiting could
// deadlock), so the switch is retried for as long as that timeout.
func enableWAL(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		var e *sqlite.Error
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("journal_mode is %q after switching to WAL", mode)
		case !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline):
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
