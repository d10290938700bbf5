-- 0006: per-account key rotation interval, per-application token revocation.

-- An account's own key rotation interval (PUT /access/keys); without a row
-- the instance default (42 days) applies.
CREATE TABLE access_key_settings (
    account_id         TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    rotate_every_days  INTEGER NOT NULL
);

-- POST /access/apps/{id}/revoke_tokens: application tokens issued at or
-- before this time (unix microseconds) are refused.
ALTER TABLE access_apps ADD COLUMN tokens_revoked_on BIGINT;
