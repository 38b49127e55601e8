package sqlstore

// Copying a whole installation from SQLite onto PostgreSQL (ncm db copy).
//
// The table list and the columns come from the databases' own catalogs, so a
// table added by a later migration is copied without a change here; a table
// or column that exists on one side only stops the copy before anything is
// written. Everything lands in ONE transaction on the target: a copy that is
// interrupted (Ctrl-C, a lost connection, a killed process) leaves the target
// exactly as it was.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ncmhq/ncm"
)

// CopyProgress is reported while Copy runs, after every batch of rows.
type CopyProgress struct {
	Table      string // the table being copied
	TableRows  int64  // rows of Table copied so far
	TableTotal int64  // rows Table holds in the source
	Done       int64  // rows copied so far, all tables
	Total      int64  // rows to copy, all tables
}

// CopiedTable is one table of a finished copy, with its row count, checked
// on the target inside the copying transaction.
type CopiedTable struct {
	Name string
	Rows int64
}

// Copy copies every row of every ncm table of src (SQLite) into dst
// (PostgreSQL), in one transaction on dst, and returns the tables in the
// order they were copied with their verified row counts.
//
// dst must be a database ncm has not served yet: each of its tables may
// hold only the rows the migrations put there (the number counters, for
// instance), which the copy replaces with the source's. Both must be opened
// by Open, so both schemas are at this ncm's version. Sealed secrets are
// copied as bytes: the target must be served with the source's master key.
// Number counters are a table and are copied with it; PostgreSQL sequences,
// if a later migration adds any, are set past the copied values.
//
// progress, when not nil, is called after every batch; cancelling ctx
// (from progress or elsewhere) rolls everything back.
func Copy(ctx context.Context, src, dst *DB, progress func(CopyProgress)) ([]CopiedTable, error) {
	if src.d != sqliteDialect || dst.d != postgresDialect {
		return nil, ncm.Errorf(ncm.EINVALID, "", "database copy: copies from SQLite (sqlite:PATH) to PostgreSQL (postgres://...) only, not from %s to %s", src.d.name, dst.d.name)
	}
	fail := func(what string, err error) error {
		var ne *ncm.Error
		if errors.As(err, &ne) && ne.Err == nil {
			return err // already says what happened
		}
		return &ncm.Error{Kind: ncm.EINTERNAL, Message: "database copy: " + what, Err: err}
	}

	// The source is read in one read transaction: one consistent snapshot
	// even if a server still writes to it.
	stx, err := src.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fail("read the source", err)
	}
	defer stx.Rollback()
	dtx, err := dst.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fail("begin on the target", err)
	}
	defer dtx.Rollback() // no-op after Commit

	srcTables, err := sqliteTables(ctx, stx)
	if err != nil {
		return nil, fail("list the source's tables", err)
	}
	dstTables, err := postgresTables(ctx, dtx)
	if err != nil {
		return nil, fail("list the target's tables", err)
	}
	if err := sameVersions(ctx, stx, dtx); err != nil {
		return nil, fail("compare schema versions", err)
	}
	if missing, extra := diffSets(srcTables, dstTables); len(missing)+len(extra) > 0 {
		return nil, ncm.Errorf(ncm.EINTERNAL, "", "database copy: the schemas differ: tables only in the source %v, only in the target %v; nothing was copied", missing, extra)
	}
	order, err := postgresCopyOrder(ctx, dtx, dstTables)
	if err != nil {
		return nil, fail("order the tables by their foreign keys", err)
	}
	// Rows that triggers derive (counts kept beside the certificates) are
	// copied as they are, so the triggers must not derive them a second
	// time. DISABLE TRIGGER USER leaves foreign keys checked, and like
	// every statement here it ends with the transaction. Its lock, taken
	// before the target is checked, also keeps a node that starts
	// meanwhile from writing.
	for _, name := range order {
		if _, err := dtx.ExecContext(ctx, `ALTER TABLE "`+name+`" DISABLE TRIGGER USER`); err != nil {
			return nil, fail("pause the triggers of "+name, err)
		}
	}
	if err := requirePristine(ctx, dtx, order); err != nil {
		return nil, fail("check that the target is empty", err)
	}

	type plan struct {
		name  string
		cols  []string // in the target's column order
		types map[string]string
		rows  int64
	}
	plans := make([]plan, len(order))
	var total int64
	for i, name := range order {
		p := plan{name: name}
		var srcCols []string
		if srcCols, err = sqliteColumns(ctx, stx, name); err != nil {
			return nil, fail("read the columns of "+name, err)
		}
		if p.cols, p.types, err = postgresColumns(ctx, dtx, name); err != nil {
			return nil, fail("read the columns of "+name, err)
		}
		if missing, extra := diffSets(srcCols, p.cols); len(missing)+len(extra) > 0 {
			return nil, ncm.Errorf(ncm.EINTERNAL, "", "database copy: table %s differs: columns only in the source %v, only in the target %v; nothing was copied", name, missing, extra)
		}
		if err := stx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+name+`"`).Scan(&p.rows); err != nil {
			return nil, fail("count the rows of "+name, err)
		}
		total += p.rows
		plans[i] = p
	}

	// The rows the migrations seeded (counters) make way for the source's.
	for i := len(plans) - 1; i >= 0; i-- {
		if _, err := dtx.ExecContext(ctx, `DELETE FROM "`+plans[i].name+`"`); err != nil {
			return nil, fail("clear the seeded rows of "+plans[i].name, err)
		}
	}

	var done int64
	for _, p := range plans {
		copied, err := copyTable(ctx, stx, dtx, p.name, p.cols, p.types, func(n int64) {
			if progress != nil {
				progress(CopyProgress{Table: p.name, TableRows: n, TableTotal: p.rows, Done: done + n, Total: total})
			}
		})
		if err != nil {
			return nil, fail("copy table "+p.name, err)
		}
		done += copied
		if progress != nil && copied == 0 {
			progress(CopyProgress{Table: p.name, TableTotal: p.rows, Done: done, Total: total})
		}
	}

	// Verify on the target, inside the transaction, before committing.
	result := make([]CopiedTable, 0, len(plans))
	for _, p := range plans {
		var n int64
		if err := dtx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+p.name+`"`).Scan(&n); err != nil {
			return nil, fail("count the copied rows of "+p.name, err)
		}
		if n != p.rows {
			return nil, ncm.Errorf(ncm.EINTERNAL, "", "database copy: table %s has %d rows on the target, the source has %d; nothing was copied", p.name, n, p.rows)
		}
		result = append(result, CopiedTable{Name: p.name, Rows: n})
		if _, err := dtx.ExecContext(ctx, `ALTER TABLE "`+p.name+`" ENABLE TRIGGER USER`); err != nil {
			return nil, fail("resume the triggers of "+p.name, err)
		}
	}
	if err := advanceSequences(ctx, dtx); err != nil {
		return nil, fail("advance the sequences", err)
	}
	if err := dtx.Commit(); err != nil {
		return nil, fail("commit on the target", err)
	}
	return result, nil
}

// copyTable copies the rows of one table in multi-row INSERTs and returns
// how many it copied. report gets the running count after every batch.
func copyTable(ctx context.Context, stx, dtx *sql.Tx, table string, cols []string, types map[string]string, report func(int64)) (int64, error) {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	list := strings.Join(quoted, ", ")
	rows, err := stx.QueryContext(ctx, `SELECT `+list+` FROM "`+table+`"`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	// PostgreSQL takes at most 65535 parameters per statement.
	perBatch := max(1, min(500, 30000/len(cols)))
	var (
		n     int64
		batch []any
		inRow int
	)
	flush := func() error {
		if inRow == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO "` + table + `" (` + list + `) VALUES `)
		p := 0
		for r := range inRow {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteString(", ")
				}
				p++
				fmt.Fprintf(&b, "$%d", p)
			}
			b.WriteByte(')')
		}
		if _, err := dtx.ExecContext(ctx, b.String(), batch...); err != nil {
			return err
		}
		n += int64(inRow)
		batch, inRow = batch[:0], 0
		report(n)
		return nil
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range cols {
			v, err := toPostgres(vals[i], types[c])
			if err != nil {
				return n, fmt.Errorf("column %s: %w", c, err)
			}
			batch = append(batch, v)
		}
		inRow++
		if inRow == perBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// toPostgres converts a value read from SQLite to what the target column
// of PostgreSQL type typ takes: SQLite keeps booleans as 0 and 1, and may
// hand back text as bytes or bytes as text.
func toPostgres(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case bool:
			return x, nil
		}
		return nil, fmt.Errorf("%T %v is not a boolean", v, v)
	case "bytea":
		if s, ok := v.(string); ok {
			return []byte(s), nil
		}
	case "text", "character varying":
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
	}
	return v, nil
}

// sqliteTables lists the source's tables, without SQLite's own and without
// schema_migrations (compared separately, never copied).
func sqliteTables(ctx context.Context, tx *sql.Tx) ([]string, error) {
	return queryStrings(ctx, tx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'schema_migrations' ORDER BY name`)
}

// postgresTables lists the target's tables in its current schema (the
// first of search_path), without schema_migrations.
func postgresTables(ctx context.Context, tx *sql.Tx) ([]string, error) {
	return queryStrings(ctx, tx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
		AND table_name <> 'schema_migrations' ORDER BY table_name`)
}

// sqliteColumns lists the columns of a source table.
func sqliteColumns(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	return queryStrings(ctx, tx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
}

// postgresColumns lists the columns of a target table, in order, with
// their types.
func postgresColumns(ctx context.Context, tx *sql.Tx, table string) ([]string, map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var cols []string
	types := map[string]string{}
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			return nil, nil, err
		}
		cols = append(cols, c)
		types[c] = t
	}
	return cols, types, rows.Err()
}

// postgresCopyOrder orders tables so that every table comes after the
// tables its foreign keys point to (ties by name, for a stable order).
func postgresCopyOrder(ctx context.Context, tx *sql.Tx, tables []string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.relname, p.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid
		JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	deps := map[string][]string{}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, err
		}
		if child != parent {
			deps[child] = append(deps[child], parent)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var order []string
	placed := map[string]bool{}
	for len(order) < len(tables) {
		progressed := false
		for _, t := range tables {
			if placed[t] {
				continue
			}
			ready := true
			for _, d := range deps[t] {
				if !placed[d] && slices.Contains(tables, d) {
					ready = false
				}
			}
			if ready {
				order = append(order, t)
				placed[t] = true
				progressed = true
			}
		}
		if !progressed {
			return nil, fmt.Errorf("the foreign keys between the tables form a cycle")
		}
	}
	return order, nil
}

// requirePristine refuses a target that holds more than its migrations
// put there. What they put there is measured on a fresh SQLite database
// migrated by this same ncm (the dialects' migrations are kept in step).
func requirePristine(ctx context.Context, dtx *sql.Tx, tables []string) error {
	dir, err := os.MkdirTemp("", "ncm-copy-reference-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ref, err := Open(ctx, "sqlite:"+filepath.Join(dir, "reference.db"))
	if err != nil {
		return err
	}
	defer ref.Close()
	for _, t := range tables {
		var want, got int64
		if err := ref.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+t+`"`).Scan(&want); err != nil {
			return err
		}
		if err := dtx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+t+`"`).Scan(&got); err != nil {
			return err
		}
		if got != want {
			return ncm.Errorf(ncm.ECONFLICT, "", "database copy: the target is not empty (table %s holds %d rows, a new database %d): copy only into a database that no ncm has served; nothing was copied", t, got, want)
		}
	}
	return nil
}

// sameVersions refuses to copy between schemas at different versions.
func sameVersions(ctx context.Context, stx, dtx *sql.Tx) error {
	q := `SELECT CAST(version AS TEXT) FROM schema_migrations ORDER BY version`
	s, err := queryStrings(ctx, stx, q)
	if err != nil {
		return err
	}
	d, err := queryStrings(ctx, dtx, q)
	if err != nil {
		return err
	}
	if !slices.Equal(s, d) {
		return ncm.Errorf(ncm.EINTERNAL, "", "database copy: the source has migrations %v, the target %v; nothing was copied", s, d)
	}
	return nil
}

// advanceSequences sets every sequence that a column of the target draws
// from past the column's largest copied value. ncm's own numbers come from
// the counters table, so this matters only if a migration adds a sequence.
func advanceSequences(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name, seq FROM (
		SELECT table_name, column_name, pg_get_serial_sequence(format('%I.%I', table_schema, table_name), column_name) AS seq
		FROM information_schema.columns WHERE table_schema = current_schema()) s WHERE seq IS NOT NULL`)
	if err != nil {
		return err
	}
	type col struct{ table, column, seq string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.column, &c.seq); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cols {
		q := fmt.Sprintf(`SELECT setval($1, COALESCE((SELECT MAX("%s") FROM "%s"), 1), (SELECT MAX("%s") FROM "%s") IS NOT NULL)`,
			c.column, c.table, c.column, c.table)
		if _, err := tx.ExecContext(ctx, q, c.seq); err != nil {
			return err
		}
	}
	return nil
}

// queryStrings runs a query of one text column.
func queryStrings(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// diffSets returns what is only in a and what is only in b.
func diffSets(a, b []string) (onlyA, onlyB []string) {
	for _, s := range a {
		if !slices.Contains(b, s) {
			onlyA = append(onlyA, s)
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			onlyB = append(onlyB, s)
		}
	}
	return onlyA, onlyB
}
