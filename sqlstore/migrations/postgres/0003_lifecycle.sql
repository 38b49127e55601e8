-- 0003_lifecycle (PostgreSQL twin of migrations/sqlite/0003_lifecycle.sql): domain validation, pre-validated domains, EAB credentials
-- and the leased job queue (the Advanced certificate lifecycle). Types and
-- conventions as in 0001_init.sql.

INSERT INTO counters (name, next_value) VALUES
    ('dcv', 1),
    ('domain', 501),
    ('eab_account', 50001),
    ('job', 1);

-- dcv is one domain of one certificate request and its TXT record.
CREATE TABLE dcv (
    id             BIGINT PRIMARY KEY,
    member_no      TEXT NOT NULL REFERENCES member (no),
    certificate_no BIGINT NOT NULL REFERENCES certificate (no),
    domain         TEXT NOT NULL,
    method         TEXT NOT NULL,
    record_name    TEXT NOT NULL,
    record_value   TEXT NOT NULL,
    status         TEXT NOT NULL,
    reused         BOOLEAN NOT NULL,
    attempts       BIGINT NOT NULL,
    last_check     BIGINT,
    deadline       BIGINT,
    created_at     BIGINT,
    updated_at     BIGINT
);

CREATE INDEX dcv_certificate_idx ON dcv (certificate_no, id);

-- domain is a member's domain with its validation (the domains API).
CREATE TABLE domain (
    id              BIGINT PRIMARY KEY,
    member_no       TEXT NOT NULL REFERENCES member (no),
    address         TEXT NOT NULL,
    dcv_type        TEXT NOT NULL,
    issue_type      TEXT NOT NULL,
    organization_no BIGINT REFERENCES organization (no),
    record_name     TEXT NOT NULL,
    record_value    TEXT NOT NULL,
    valid_state     TEXT NOT NULL,
    validated_at    BIGINT,
    expires_at      BIGINT,
    created_at      BIGINT,
    updated_at      BIGINT,
    CONSTRAINT domain_member_address_key UNIQUE (member_no, address, dcv_type)
);

CREATE TABLE eab_account (
    id                    BIGINT PRIMARY KEY,
    member_no             TEXT NOT NULL REFERENCES member (no),
    status                TEXT NOT NULL,
    validation_mode       TEXT NOT NULL,
    certificate_type_code TEXT NOT NULL,
    validity_days         BIGINT NOT NULL,
    alias                 TEXT NOT NULL,
    contact_email         TEXT NOT NULL,
    organization_no       BIGINT REFERENCES organization (no),
    key_id                TEXT NOT NULL UNIQUE,
    hmac_key_sealed       BYTEA NOT NULL,
    used                  BOOLEAN NOT NULL,
    created_at            BIGINT,
    updated_at            BIGINT
);

CREATE INDEX eab_account_member_idx ON eab_account (member_no, id);

-- job is the leased background work queue. A job is claimed by setting its
-- lease; its effect and done_at commit in one transaction.
CREATE TABLE job (
    id          BIGINT PRIMARY KEY,
    kind        TEXT NOT NULL,
    subject     BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    attempts    BIGINT NOT NULL,
    last_error  TEXT NOT NULL,
    done_at     BIGINT,
    created_at  BIGINT
);

-- job_due_idx holds exactly the unfinished jobs, by due time: what the
-- claim query scans.
CREATE INDEX job_due_idx ON job (due_at, id) WHERE done_at IS NULL;
-- At most one unfinished job per kind and subject.
CREATE UNIQUE INDEX job_pending_key ON job (kind, subject) WHERE done_at IS NULL;
