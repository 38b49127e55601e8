package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// stmtCache keeps the prepared statements of the hot read queries (the
// seed listing), per pool. Preparing the listing's join took about a fifth
// of the CPU of a name-filtered getPaidCertificates on SQLite
// (docs/PERFORMANCE.md); database/sql keeps a prepared statement per
// connection and Tx.StmtContext reuses it, so each query is parsed once per
// connection instead of once per request. The cache holds a fixed set of
// query texts; the statements close with the pool.
//
// Only queries that are never run again while their own rows are still
// open may use it: one statement per connection cannot serve two open
// result sets.
type stmtCache struct {
	m       sync.Map // stmtKey → *sql.Stmt
	pending sync.Map // stmtKey → true while being prepared
}

// hotCache is what a DB keeps in memory to answer the seed request fast.
type hotCache struct {
	stmts  stmtCache
	orders orderCache // ordercache.go
}

type stmtKey struct {
	pool  *sql.DB
	query string // as rebound for the dialect
}

// prepared returns the statement of query on t's pool, or nil while it is
// not prepared yet. A miss starts the preparation in the background and the
// caller runs the query unprepared: preparing on the pool needs a free
// connection, and t may hold the last one (SQLite's writer has only one),
// so preparing here could wait for t itself.
func (t *tx) prepared(query string) *sql.Stmt {
	key := stmtKey{t.pool, t.d.rebind(query)}
	if s, ok := t.cache.stmts.m.Load(key); ok {
		return s.(*sql.Stmt)
	}
	if c := &t.cache.stmts; !isPending(c, key) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if s, err := key.pool.PrepareContext(ctx, key.query); err == nil {
				c.m.Store(key, s)
			}
			// On failure (pool closed, timeout) the next miss tries again.
			c.pending.Delete(key)
		}()
	}
	return nil
}

// cachedQuery is query through a prepared statement.
func (t *tx) cachedQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.prepared(query); s != nil {
		return t.tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return t.query(ctx, query, args...)
}

// cachedQueryRow is queryRow through a prepared statement.
func (t *tx) cachedQueryRow(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	if s := t.prepared(query); s != nil {
		return t.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...), nil
	}
	return t.queryRow(ctx, query, args...), nil
}

// cachedExec is exec through a prepared statement.
func (t *tx) cachedExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.prepared(query); s != nil {
		return t.tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return t.exec(ctx, query, args...)
}

// isPending marks key as being prepared and reports whether it already was.
func isPending(c *stmtCache, key stmtKey) bool {
	_, busy := c.pending.LoadOrStore(key, true)
	return busy
}
