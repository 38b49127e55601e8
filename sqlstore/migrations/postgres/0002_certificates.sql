-- 0002_certificates: certificate intake, listing and soft delete (PostgreSQL).
--
-- A deleted certificate keeps its row (status -6, see ncm.CertificateTx):
-- deleted_at is when, deleted_name the name it had. Its name column becomes
-- "deleted:<no>", which no valid name can equal, so the member can reuse the
-- name at once while certificate_member_name_key stays as it is.
ALTER TABLE certificate ADD COLUMN deleted_at BIGINT;
ALTER TABLE certificate ADD COLUMN deleted_name TEXT;

-- certificate_live_idx serves ListCertificates: the member's certificates
-- that are not deleted, by number. The queries in certificates_ext.go repeat
-- the WHERE clause word for word as SQLite needs; PostgreSQL uses this partial index.
CREATE INDEX certificate_live_idx ON certificate (member_no, no) WHERE status <> -6;

-- certificate_fingerprint_idx finds a certificate uploaded twice.
CREATE INDEX certificate_fingerprint_idx ON certificate (member_no, fingerprint) WHERE status <> -6;
