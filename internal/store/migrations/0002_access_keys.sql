-- 0002: per-account RSA signing keys for Access tokens (internal/access/keys).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Times are BIGINT unix
-- microseconds.
--
-- A key is current while rotated_on is NULL, previous (still published at
-- /cdn-cgi/access/certs, still verifying) until retire_on, retired after.
-- private_key is a secretbox value ("sb1:..."), sealed with the aad
-- "access_key:<kid>", of the PKCS#8 PEM; the public half and its self-signed
-- certificate are stored in clear so verification and the certs endpoint
-- never need the secret.
CREATE TABLE access_keys (
    kid          TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    private_key  TEXT NOT NULL,
    public_jwk   TEXT NOT NULL,
    cert_pem     TEXT NOT NULL,
    created_on   BIGINT NOT NULL,
    rotated_on   BIGINT,
    retire_on    BIGINT
);

-- At most one current key per account. This index, not a check in Go, is
-- what makes first use and rotation race-safe across instances: the second
-- writer of a new current key gets a unique violation and reads the winner's.
CREATE UNIQUE INDEX access_keys_one_current ON access_keys (account_id) WHERE rotated_on IS NULL;

CREATE INDEX access_keys_account ON access_keys (account_id, created_on);
