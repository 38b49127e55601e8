-- 0001_init: the first schema of ncm on PostgreSQL, the twin of
-- migrations/sqlite/0001_init.sql; keep them in step.
--
-- Times are UTC Unix microseconds (BIGINT), NULL when unset, as on SQLite, so
-- that one query text and one scan path serve both (see the package comment;
-- to_timestamp(col / 1e6) shows them as timestamps). Lists (DNS names,
-- instance numbers) are JSON arrays in TEXT, NULL when empty. Secrets are
-- sealed by the caller and stored as opaque BYTEA.

-- counters hands out the public numbers inside the writing transaction, so a
-- rolled-back write consumes none. Starting values: spec/compat.md.
CREATE TABLE counters (
    name       TEXT PRIMARY KEY,
    next_value BIGINT NOT NULL
);

INSERT INTO counters (name, next_value) VALUES
    ('certificate', 100001),
    ('order', 900001),
    ('organization', 1001),
    ('member', 2000001),
    ('event', 1);

CREATE TABLE member (
    no         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT
);

CREATE TABLE access_key (
    id            TEXT PRIMARY KEY,
    member_no     TEXT NOT NULL REFERENCES member (no),
    kind          TEXT NOT NULL,
    secret_sealed BYTEA,
    disabled      BOOLEAN NOT NULL,
    created_at    BIGINT
);

CREATE INDEX access_key_member_idx ON access_key (member_no);

CREATE TABLE organization (
    no                         BIGINT PRIMARY KEY,
    member_no                  TEXT NOT NULL REFERENCES member (no),
    name_kor                   TEXT NOT NULL,
    name_eng                   TEXT NOT NULL,
    business_registration_no   TEXT NOT NULL,
    country                    TEXT NOT NULL,
    state                      TEXT NOT NULL,
    locality                   TEXT NOT NULL,
    verification_type          TEXT NOT NULL,
    verification_progress_code INTEGER NOT NULL,
    created_at                 BIGINT
);

CREATE INDEX organization_member_idx ON organization (member_no, no);

-- cert_order is the "order" of design.md; ORDER is a reserved word.
CREATE TABLE cert_order (
    id                 BIGINT PRIMARY KEY,
    member_no          TEXT NOT NULL REFERENCES member (no),
    certificate_type   TEXT NOT NULL,
    organization_no    BIGINT REFERENCES organization (no),
    subscription_years INTEGER NOT NULL,
    subscription_start BIGINT,
    subscription_end   BIGINT,
    created_at         BIGINT,
    updated_at         BIGINT
);

CREATE INDEX cert_order_member_idx ON cert_order (member_no, id);

CREATE TABLE certificate (
    no                  BIGINT PRIMARY KEY,
    member_no           TEXT NOT NULL REFERENCES member (no),
    regist_date         BIGINT,
    order_id            BIGINT REFERENCES cert_order (id),
    name                TEXT NOT NULL,
    type                TEXT NOT NULL,
    status              INTEGER NOT NULL,
    issue_type          TEXT NOT NULL,
    domain_code         TEXT NOT NULL,
    organization_no     BIGINT REFERENCES organization (no),
    common_name         TEXT NOT NULL,
    dns_names           TEXT,
    validation_method   TEXT NOT NULL,
    subject_dn          TEXT NOT NULL,
    issuer              TEXT NOT NULL,
    serial_number       TEXT NOT NULL,
    signature_algorithm TEXT NOT NULL,
    public_key_info     TEXT NOT NULL,
    fingerprint         TEXT NOT NULL,
    not_before          BIGINT,
    not_after           BIGINT,
    issue_date          BIGINT,
    revoke_date         BIGINT,
    update_date         BIGINT,
    csr_pem             TEXT NOT NULL,
    certificate_pem     TEXT NOT NULL,
    chain_pem           TEXT NOT NULL,
    private_key_sealed  BYTEA,
    renewal_enabled     BOOLEAN NOT NULL,
    used_instance_nos   TEXT,
    -- Names are unique per member (spec/compat.md "Names"); this index also
    -- serves look-ups and the certificateName filter by name.
    CONSTRAINT certificate_member_name_key UNIQUE (member_no, name)
);

-- certificate_advanced_idx serves ListAdvanced: it holds exactly the listed
-- certificates, in listing order, so counting and paging read the index only.
-- The query in certificate.go repeats this WHERE clause word for word, which
-- is what lets SQLite use a partial index; PostgreSQL proves it too.
CREATE INDEX certificate_advanced_idx ON certificate (member_no, order_id, no)
    WHERE type IN ('NCP_PAID_DV_01', 'NCP_PAID_OV_01') AND status <> -6;

CREATE TABLE event (
    id             BIGINT PRIMARY KEY,
    member_no      TEXT NOT NULL REFERENCES member (no),
    order_id       BIGINT,
    certificate_no BIGINT,
    kind           TEXT NOT NULL,
    status         INTEGER NOT NULL,
    at             BIGINT
);

-- recentChanges reads a member's events in a time window.
CREATE INDEX event_member_at_idx ON event (member_no, at, id);

-- ca holds the one local CA; the CHECK makes a second row impossible.
CREATE TABLE ca (
    id                      BIGINT PRIMARY KEY CHECK (id = 1),
    root_pem                TEXT NOT NULL,
    root_key_sealed         BYTEA NOT NULL,
    intermediate_pem        TEXT NOT NULL,
    intermediate_key_sealed BYTEA NOT NULL,
    created_at              BIGINT
);
