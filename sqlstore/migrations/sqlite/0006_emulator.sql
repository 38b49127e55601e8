-- 0006_emulator: the control plane's shared state (ncm serve --emulator).
-- Types and conventions as in 0001_init.sql.

-- emulator_state is one row: whether the database is served in emulator
-- mode, the emulated clock (an offset from the real time in microseconds, or
-- a frozen instant) and the SHA-256 of the admin token.
CREATE TABLE emulator_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    enabled          INTEGER NOT NULL,
    clock_offset     INTEGER NOT NULL,
    clock_frozen_at  INTEGER,
    admin_token_hash BLOB,
    updated_at       INTEGER
) STRICT;

INSERT INTO emulator_state (id, enabled, clock_offset) VALUES (1, 0, 0);

-- emulator_fault: the next `remaining` requests to `route` fail or wait
-- `latency` microseconds. Taking one decrements `remaining` in one UPDATE.
CREATE TABLE emulator_fault (
    id          INTEGER PRIMARY KEY,
    route       TEXT NOT NULL,
    remaining   INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    return_code TEXT NOT NULL,
    message     TEXT NOT NULL,
    latency     INTEGER NOT NULL,
    created_at  INTEGER
) STRICT;

CREATE INDEX emulator_fault_live_idx ON emulator_fault (route, id) WHERE remaining > 0;
