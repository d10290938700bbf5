-- 0001: accounts, users, members, API tokens, SSO connectors, audit log.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Times are BIGINT unix
-- microseconds (PostgreSQL's precision), JSON documents are TEXT.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL DEFAULT 'standard',
    created_on  BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL DEFAULT '',
    created_on     BIGINT NOT NULL
);

CREATE TABLE members (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_on  BIGINT NOT NULL,
    UNIQUE (account_id, user_id)
);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL,
    policies      TEXT NOT NULL,
    condition     TEXT NOT NULL,
    not_before    BIGINT,
    expires_on    BIGINT,
    issued_on     BIGINT NOT NULL,
    modified_on   BIGINT NOT NULL,
    last_used_on  BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id, issued_on);

-- claim_domain holds email_domain while the claim is live (awaiting, pending,
-- verified) and NULL once it failed: the unique index is what guarantees that
-- a domain has at most one live claim across every account, and expired
-- claims release the domain so nobody can squat it forever.
CREATE TABLE sso_connectors (
    id                    TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email_domain          TEXT NOT NULL,
    claim_domain          TEXT UNIQUE,
    enabled               BOOLEAN NOT NULL DEFAULT FALSE,
    use_fedramp_language  BOOLEAN NOT NULL DEFAULT FALSE,
    verification_code     TEXT NOT NULL UNIQUE,
    status                TEXT NOT NULL,
    reason                TEXT NOT NULL DEFAULT '',
    last_result           TEXT NOT NULL DEFAULT '',
    last_checked_on       BIGINT,
    deadline              BIGINT,
    next_check_at         BIGINT,
    verified_on           BIGINT,
    attempts              INTEGER NOT NULL DEFAULT 0,
    lease_until           BIGINT,
    version               BIGINT NOT NULL DEFAULT 1,
    created_on            BIGINT NOT NULL,
    updated_on            BIGINT NOT NULL,
    UNIQUE (account_id, email_domain)
);
CREATE INDEX sso_connectors_due ON sso_connectors (next_check_at) WHERE status = 'pending';

CREATE TABLE audit_logs (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    occurred_on    BIGINT NOT NULL,
    actor_id       TEXT NOT NULL DEFAULT '',
    actor_email    TEXT NOT NULL DEFAULT '',
    actor_ip       TEXT NOT NULL DEFAULT '',
    actor_type     TEXT NOT NULL DEFAULT '',
    interface      TEXT NOT NULL DEFAULT '',
    action_type    TEXT NOT NULL,
    action_result  BOOLEAN NOT NULL,
    resource_id    TEXT NOT NULL DEFAULT '',
    resource_type  TEXT NOT NULL DEFAULT '',
    old_value      TEXT NOT NULL DEFAULT '',
    new_value      TEXT NOT NULL DEFAULT '',
    metadata       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_logs_account_time ON audit_logs (account_id, occurred_on);

-- settings holds instance-wide facts such as "bootstrap done".
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
