package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ncmhq/ncm"
)

// SealedColumn is a column holding values sealed by an ncm.Sealer.
type SealedColumn struct {
	Table  string
	Key    string // a unique, ordered column identifying the row
	Column string
	Label  string // the seal label of every value in Column
}

// SealedColumns is the registry of sealed columns. By convention every
// sealed column, and only those, is named *_sealed; Reseal finds them in the
// live schema and refuses to run if one is missing here, so a column added
// by a later migration cannot be skipped by a master key rotation.
var SealedColumns = []SealedColumn{
	{Table: "access_key", Key: "id", Column: "secret_sealed", Label: ncm.LabelAccessKeySecret},
	{Table: "certificate", Key: "no", Column: "private_key_sealed", Label: ncm.LabelPrivateKey},
	{Table: "ca", Key: "id", Column: "root_key_sealed", Label: ncm.LabelCAKey},
	{Table: "ca", Key: "id", Column: "intermediate_key_sealed", Label: ncm.LabelCAKey},
	{Table: "eab_account", Key: "id", Column: "hmac_key_sealed", Label: ncm.LabelEabHMACKey},
}

// SchemaSealedColumns returns the sealed columns of the live schema (named
// *_sealed), as table.column, sorted.
func (db *DB) SchemaSealedColumns(ctx context.Context) ([]string, error) {
	q := `SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND p.name GLOB '*_sealed'`
	if db.d.name == "postgres" {
		q = `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name LIKE '%\_sealed'`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, ncm.Internal(err)
		}
		out = append(out, t+"."+c)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	slices.Sort(out)
	return out, nil
}

// sealedColumns returns the registry entries of the live schema, or an
// error naming a sealed column the registry lacks.
func (db *DB) sealedColumns(ctx context.Context) ([]SealedColumn, error) {
	live, err := db.SchemaSealedColumns(ctx)
	if err != nil {
		return nil, err
	}
	var cols []SealedColumn
	for _, name := range live {
		i := slices.IndexFunc(SealedColumns, func(c SealedColumn) bool { return c.Table+"."+c.Column == name })
		if i < 0 {
			return nil, ncm.Errorf(ncm.EINTERNAL, "",
				"sealed column %s is not in sqlstore.SealedColumns: add it (with its row key and seal label) before rotating the master key", name)
		}
		cols = append(cols, SealedColumns[i])
	}
	return cols, nil
}

// ResealProgress reports one committed batch of Reseal.
type ResealProgress struct {
	Column   SealedColumn
	Resealed int // values re-sealed in this batch
}

// Reseal re-seals every sealed value for which current reports false, with
// reseal (open under the old key, seal under the new one), in batches of
// batch rows, each batch one transaction. It can be interrupted at any time
// (ctx): committed batches stay re-sealed, the batch in flight is rolled
// back whole, and a rerun skips values already current. A value changed by
// someone else since it was read is left alone: the writer sealed it under
// the new key already (servers seal with the primary key of their ring). It
// returns how many values it re-sealed.
func (db *DB) Reseal(ctx context.Context, batch int, current func([]byte) bool,
	reseal func(sealed []byte, label string) ([]byte, error), progress func(ResealProgress)) (int, error) {
	if batch <= 0 {
		batch = 100
	}
	cols, err := db.sealedColumns(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, c := range cols {
		var last any
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			n, next, done, err := db.resealBatch(ctx, c, last, batch, current, reseal)
			if err != nil {
				return total, err
			}
			total += n
			if progress != nil && n > 0 {
				progress(ResealProgress{Column: c, Resealed: n})
			}
			if done {
				break
			}
			last = next
		}
	}
	return total, nil
}

// resealBatch re-seals the rows of c after last (all rows when last is
// nil), at most batch of them, in one transaction.
func (db *DB) resealBatch(ctx context.Context, c SealedColumn, last any, batch int, current func([]byte) bool,
	reseal func([]byte, string) ([]byte, error)) (n int, next any, done bool, err error) {
	stx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, false, ncm.Internal(err)
	}
	defer stx.Rollback() // after Commit, a no-op
	var where strings.Builder
	fmt.Fprintf(&where, "SELECT %s, %s FROM %s WHERE %s IS NOT NULL", c.Key, c.Column, c.Table, c.Column)
	args := []any{}
	if last != nil {
		fmt.Fprintf(&where, " AND %s > ?", c.Key)
		args = append(args, last)
	}
	fmt.Fprintf(&where, " ORDER BY %s LIMIT %d", c.Key, batch)
	rows, err := stx.QueryContext(ctx, db.d.rebind(where.String()), args...)
	if err != nil {
		return 0, nil, false, ncm.Internal(err)
	}
	type row struct {
		key    any
		sealed []byte
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.sealed); err != nil {
			rows.Close()
			return 0, nil, false, ncm.Internal(err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, false, ncm.Internal(err)
	}
	update := db.d.rebind(fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ? AND %s = ?", c.Table, c.Column, c.Key, c.Column))
	for _, r := range rs {
		if current(r.sealed) {
			continue
		}
		fresh, err := reseal(r.sealed, c.Label)
		if err != nil {
			return 0, nil, false, fmt.Errorf("%s.%s of row %v: %w", c.Table, c.Column, r.key, err)
		}
		if _, err := stx.ExecContext(ctx, update, fresh, r.key, r.sealed); err != nil {
			return 0, nil, false, ncm.Internal(err)
		}
		n++
	}
	if err := stx.Commit(); err != nil {
		return 0, nil, false, ncm.Internal(err)
	}
	if len(rs) < batch {
		return n, nil, true, nil
	}
	return n, rs[len(rs)-1].key, false, nil
}
