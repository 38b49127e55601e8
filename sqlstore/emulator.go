package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
)

// This file stores the control plane's shared state (ncm.LifecycleTx,
// emulator part): the emulated clock, the admin token hash, faults, and the
// reset. Tables: migrations/*/0006_emulator.sql.

const emulatorStateColumns = `enabled, clock_offset, clock_frozen_at, admin_token_hash, updated_at`

// EmulatorState implements ncm.LifecycleTx.
func (t *tx) EmulatorState(ctx context.Context) (*ncm.EmulatorState, error) {
	return t.emulatorState(ctx, "")
}

// LockEmulatorState implements ncm.LifecycleTx. SQLite needs no row lock:
// its write transactions begin IMMEDIATE and so never run side by side.
func (t *tx) LockEmulatorState(ctx context.Context) (*ncm.EmulatorState, error) {
	lock := ""
	if t.d == postgresDialect {
		lock = " FOR UPDATE"
	}
	return t.emulatorState(ctx, lock)
}

func (t *tx) emulatorState(ctx context.Context, suffix string) (*ncm.EmulatorState, error) {
	var (
		s      ncm.EmulatorState
		offset int64
	)
	err := t.queryRow(ctx, `SELECT `+emulatorStateColumns+` FROM emulator_state WHERE id = 1`+suffix).
		Scan(&s.Enabled, &offset, timePtrScan{&s.ClockFrozenAt}, &s.AdminTokenHash, timeScan{&s.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		// The migration inserts the row; a missing one is the zero state.
		return &ncm.EmulatorState{}, nil
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	s.ClockOffset = time.Duration(offset) * time.Microsecond
	return &s, nil
}

// SaveEmulatorState implements ncm.LifecycleTx.
func (t *tx) SaveEmulatorState(ctx context.Context, s *ncm.EmulatorState) error {
	_, err := t.exec(ctx, `INSERT INTO emulator_state (id, `+emulatorStateColumns+`) VALUES (1, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, clock_offset = excluded.clock_offset,
			clock_frozen_at = excluded.clock_frozen_at, admin_token_hash = excluded.admin_token_hash,
			updated_at = excluded.updated_at`,
		s.Enabled, s.ClockOffset.Microseconds(), timePtrArg(s.ClockFrozenAt), s.AdminTokenHash, timeArg(s.UpdatedAt))
	if err != nil {
		return ncm.Internal(err)
	}
	return nil
}

const faultColumns = `id, route, remaining, status, return_code, message, latency, created_at`

// AddFault implements ncm.LifecycleTx.
func (t *tx) AddFault(ctx context.Context, f *ncm.Fault) error {
	err := t.queryRow(ctx, `INSERT INTO emulator_fault (route, remaining, status, return_code, message, latency, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		f.Route, f.Remaining, f.Status, f.ReturnCode, f.Message, f.Latency.Microseconds(), timeArg(f.CreatedAt)).Scan(&f.ID)
	if err != nil {
		return ncm.Internal(err)
	}
	return nil
}

// Faults implements ncm.LifecycleTx.
func (t *tx) Faults(ctx context.Context) ([]*ncm.Fault, error) {
	rows, err := t.query(ctx, `SELECT `+faultColumns+` FROM emulator_fault WHERE remaining > 0 ORDER BY id`)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	var out []*ncm.Fault
	for rows.Next() {
		f, err := scanFault(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return out, nil
}

// TakeFault implements ncm.LifecycleTx. The decrement and the read are one
// UPDATE ... RETURNING. On PostgreSQL a second taker of the same row waits
// for the first and re-checks remaining > 0 on the row the first left, so a
// count is never consumed twice; it may then find nothing although a later
// fault for the route exists, which only lets that one request through.
func (t *tx) TakeFault(ctx context.Context, route string) (*ncm.Fault, error) {
	row := t.queryRow(ctx, `UPDATE emulator_fault SET remaining = remaining - 1
		WHERE remaining > 0 AND id = (
			SELECT id FROM emulator_fault WHERE remaining > 0 AND route IN (?, ?) ORDER BY id LIMIT 1)
		RETURNING `+faultColumns, route, ncm.FaultAnyRoute)
	f, err := scanFault(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return f, err
}

// ClearFaults implements ncm.LifecycleTx.
func (t *tx) ClearFaults(ctx context.Context) (int, error) {
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM emulator_fault WHERE remaining > 0`).Scan(&n); err != nil {
		return 0, ncm.Internal(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM emulator_fault`); err != nil {
		return 0, ncm.Internal(err)
	}
	return n, nil
}

func scanFault(s interface{ Scan(...any) error }) (*ncm.Fault, error) {
	var (
		f       ncm.Fault
		latency int64
	)
	err := s.Scan(&f.ID, &f.Route, &f.Remaining, &f.Status, &f.ReturnCode, &f.Message, &latency, timeScan{&f.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	f.Latency = time.Duration(latency) * time.Microsecond
	return &f, nil
}

// resetKeep are the tables a reset leaves alone: the schema version, the
// number counters (numbers are never reused, not even after a reset), the
// CA (its root stays trusted), the emulator state (admin token, clock) and
// the accounts, of which it deletes all but the first itself.
var resetKeep = map[string]bool{
	"schema_migrations": true,
	"counters":          true,
	"ca":                true,
	"emulator_state":    true,
	"member":            true,
	"access_key":        true,
	// advanced_member's version tags the order lists servers cache
	// (ordercache.go); it must never go back to a value a cache may hold,
	// so a reset zeroes the counts and moves the version on instead of
	// deleting the rows.
	"advanced_member": true,
}

// ResetEmulator implements ncm.LifecycleTx. It empties every table of the
// schema that is not in resetKeep, found in the database's catalogue rather
// than listed here, so tables added by later migrations are reset too.
func (t *tx) ResetEmulator(ctx context.Context) (string, error) {
	var keep string
	err := t.queryRow(ctx, `SELECT no FROM member ORDER BY created_at, no LIMIT 1`).Scan(&keep)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", ncm.Internal(err)
	}
	tables, err := t.tableNames(ctx)
	if err != nil {
		return "", err
	}
	var empty []string
	for _, name := range tables {
		if !resetKeep[name] {
			empty = append(empty, name)
		}
	}
	if t.d == postgresDialect {
		// One TRUNCATE of every table at once satisfies the foreign keys
		// between them (none of the kept tables refers to an emptied one),
		// and fires no row triggers, so derived tables empty with the rest.
		if len(empty) > 0 {
			if _, err := t.exec(ctx, `TRUNCATE TABLE `+quoteIdents(empty)); err != nil {
				return "", ncm.Internal(err)
			}
		}
	} else {
		// SQLite checks the foreign keys at commit instead, so the order of
		// the deletes does not matter. The row triggers that keep derived
		// tables fire, but every table they write is emptied as well.
		if _, err := t.exec(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return "", ncm.Internal(err)
		}
		for _, name := range empty {
			if _, err := t.exec(ctx, `DELETE FROM `+quoteIdents([]string{name})); err != nil {
				return "", ncm.Internal(err)
			}
		}
	}
	if _, err := t.exec(ctx, `UPDATE advanced_member SET orders = 0, version = version + 1`); err != nil {
		return "", ncm.Internal(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM access_key WHERE member_no <> ?`, keep); err != nil {
		return "", ncm.Internal(err)
	}
	if _, err := t.exec(ctx, `DELETE FROM member WHERE no <> ?`, keep); err != nil {
		return "", ncm.Internal(err)
	}
	return keep, nil
}

// tableNames lists the tables of ncm's schema from the catalogue.
func (t *tx) tableNames(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`
	if t.d == postgresDialect {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`
	}
	rows, err := t.query(ctx, q)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, ncm.Internal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return names, nil
}

// quoteIdents quotes table names from the catalogue for a statement; both
// dialects quote identifiers with double quotes.
func quoteIdents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
	}
	return strings.Join(q, ", ")
}
