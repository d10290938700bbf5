-- 0008: Access service tokens (machines reaching protected applications with
-- CF-Access-Client-Id and CF-Access-Client-Secret).

-- The secret is stored only as its SHA-256 (hex): it is 256 random bits, so
-- a fast hash is safe, as for API tokens. After a rotation the previous
-- secret's hash is kept until previous_secret_expires_on (Cloudflare's
-- previous_client_secret_expires_at; NULL or past: refused). expires_on is
-- NULL for a token whose duration is "forever". client_id is unique
-- everywhere: it names the token in a request header. last_seen_on is
-- bookkeeping written at most once a minute per token by each instance.
CREATE TABLE access_service_tokens (
    id                          TEXT PRIMARY KEY,
    account_id                  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name                        TEXT NOT NULL,
    client_id                   TEXT NOT NULL UNIQUE,
    secret_hash                 TEXT NOT NULL,
    secret_version              INTEGER NOT NULL DEFAULT 1,
    previous_secret_hash        TEXT NOT NULL DEFAULT '',
    previous_secret_expires_on  BIGINT,
    duration                    TEXT NOT NULL,
    expires_on                  BIGINT,
    last_seen_on                BIGINT,
    created_on                  BIGINT NOT NULL,
    updated_on                  BIGINT NOT NULL
);
CREATE INDEX access_service_tokens_account ON access_service_tokens (account_id, created_on);
