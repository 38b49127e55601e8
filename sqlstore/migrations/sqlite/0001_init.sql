-- 0001_init: the first schema of ncm on SQLite.
--
-- Times are UTC Unix microseconds (INTEGER), NULL when unset (see the package comment).
-- Lists (DNS names, instance numbers) are JSON arrays of strings, NULL when
-- empty. Secrets are sealed by the caller and stored as opaque BLOBs.
-- STRICT tables make SQLite reject a value of the wrong type instead of
-- storing it, so a mistake in a query fails loudly in tests.

-- counters hands out the public numbers inside the writing transaction, so a
-- rolled-back write consumes none. Starting values: spec/compat.md.
CREATE TABLE counters (
    name       TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
) STRICT;

INSERT INTO counters (name, next_value) VALUES
    ('certificate', 100001),
    ('order', 900001),
    ('organization', 1001),
    ('member', 2000001),
    ('event', 1);

CREATE TABLE member (
    no         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER
) STRICT;

CREATE TABLE access_key (
    id            TEXT PRIMARY KEY,
    member_no     TEXT NOT NULL REFERENCES member (no),
    kind          TEXT NOT NULL,
    secret_sealed BLOB,
    disabled      INTEGER NOT NULL,
    created_at    INTEGER
) STRICT;

CREATE INDEX access_key_member_idx ON access_key (member_no);

CREATE TABLE organization (
    no                         INTEGER PRIMARY KEY,
    member_no                  TEXT NOT NULL REFERENCES member (no),
    name_kor                   TEXT NOT NULL,
    name_eng                   TEXT NOT NULL,
    business_registration_no   TEXT NOT NULL,
    country                    TEXT NOT NULL,
    state                      TEXT NOT NULL,
    locality                   TEXT NOT NULL,
    verification_type          TEXT NOT NULL,
    verification_progress_code INTEGER NOT NULL,
    created_at                 INTEGER
) STRICT;

CREATE INDEX organization_member_idx ON organization (member_no, no);

-- cert_order is the "order" of design.md; ORDER is a reserved word.
CREATE TABLE cert_order (
    id                 INTEGER PRIMARY KEY,
    member_no          TEXT NOT NULL REFERENCES member (no),
    certificate_type   TEXT NOT NULL,
    organization_no    INTEGER REFERENCES organization (no),
    subscription_years INTEGER NOT NULL,
    subscription_start INTEGER,
    subscription_end   INTEGER,
    created_at         INTEGER,
    updated_at         INTEGER
) STRICT;

CREATE INDEX cert_order_member_idx ON cert_order (member_no, id);

CREATE TABLE certificate (
    no                  INTEGER PRIMARY KEY,
    member_no           TEXT NOT NULL REFERENCES member (no),
    regist_date         INTEGER,
    order_id            INTEGER REFERENCES cert_order (id),
    name                TEXT NOT NULL,
    type                TEXT NOT NULL,
    status              INTEGER NOT NULL,
    issue_type          TEXT NOT NULL,
    domain_code         TEXT NOT NULL,
    organization_no     INTEGER REFERENCES organization (no),
    common_name         TEXT NOT NULL,
    dns_names           TEXT,
    validation_method   TEXT NOT NULL,
    subject_dn          TEXT NOT NULL,
    issuer              TEXT NOT NULL,
    serial_number       TEXT NOT NULL,
    signature_algorithm TEXT NOT NULL,
    public_key_info     TEXT NOT NULL,
    fingerprint         TEXT NOT NULL,
    not_before          INTEGER,
    not_after           INTEGER,
    issue_date          INTEGER,
    revoke_date         INTEGER,
    update_date         INTEGER,
    csr_pem             TEXT NOT NULL,
    certificate_pem     TEXT NOT NULL,
    chain_pem           TEXT NOT NULL,
    private_key_sealed  BLOB,
    renewal_enabled     INTEGER NOT NULL,
    used_instance_nos   TEXT,
    -- Names are unique per member (spec/compat.md "Names"); this index also
    -- serves look-ups and the certificateName filter by name.
    CONSTRAINT certificate_member_name_key UNIQUE (member_no, name)
) STRICT;

-- certificate_advanced_idx serves ListAdvanced: it holds exactly the listed
-- certificates, in listing order, so counting and paging read the index only.
-- The query in certificate.go repeats this WHERE clause word for word, which
-- is what lets SQLite use a partial index.
CREATE INDEX certificate_advanced_idx ON certificate (member_no, order_id, no)
    WHERE type IN ('NCP_PAID_DV_01', 'NCP_PAID_OV_01') AND status <> -6;

CREATE TABLE event (
    id             INTEGER PRIMARY KEY,
    member_no      TEXT NOT NULL REFERENCES member (no),
    order_id       INTEGER,
    certificate_no INTEGER,
    kind           TEXT NOT NULL,
    status         INTEGER NOT NULL,
    at             INTEGER
) STRICT;

-- recentChanges reads a member's events in a time window.
CREATE INDEX event_member_at_idx ON event (member_no, at, id);

-- ca holds the one local CA; the CHECK makes a second row impossible.
CREATE TABLE ca (
    id                      INTEGER PRIMARY KEY CHECK (id = 1),
    root_pem                TEXT NOT NULL,
    root_key_sealed         BLOB NOT NULL,
    intermediate_pem        TEXT NOT NULL,
    intermediate_key_sealed BLOB NOT NULL,
    created_at              INTEGER
) STRICT;
