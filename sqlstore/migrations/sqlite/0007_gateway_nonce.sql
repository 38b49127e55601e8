-- 0007_gateway_nonce: replay memory of the API gateway (--reject-replays).
--
-- nonce is a digest of a signed request's access key and signature; a row
-- lives until the request's timestamp leaves the signature window, after
-- which the timestamp check alone refuses the request, and is then pruned.
CREATE TABLE gateway_nonce (
    nonce      TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX gateway_nonce_expires_idx ON gateway_nonce (expires_at);
