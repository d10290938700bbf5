-- 0003: Access organizations, identity providers, applications and policies.
-- Portable SQL (SQLite and PostgreSQL); times are BIGINT unix microseconds,
-- documents are TEXT JSON. Secrets (IdP client secrets) are stored sealed by
-- package secretbox, never in clear.

-- One organization per account; auth_domain (the team domain) is unique
-- across accounts because it routes browser requests to an account.
CREATE TABLE access_organizations (
    account_id   TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    auth_domain  TEXT NOT NULL UNIQUE,
    settings     TEXT NOT NULL DEFAULT '{}',
    created_on   BIGINT NOT NULL,
    updated_on   BIGINT NOT NULL
);

CREATE TABLE access_identity_providers (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    config      TEXT NOT NULL,
    secret      TEXT NOT NULL DEFAULT '',
    created_on  BIGINT NOT NULL,
    updated_on  BIGINT NOT NULL
);
CREATE INDEX access_identity_providers_account ON access_identity_providers (account_id, created_on);

-- aud is the audience tag of the application's tokens: unique everywhere.
CREATE TABLE access_apps (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    aud         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    domain      TEXT NOT NULL DEFAULT '',
    config      TEXT NOT NULL DEFAULT '{}',
    created_on  BIGINT NOT NULL,
    updated_on  BIGINT NOT NULL
);
CREATE INDEX access_apps_account ON access_apps (account_id, created_on);
-- A protected host name (and path) belongs to one self-hosted application.
CREATE UNIQUE INDEX access_apps_domain ON access_apps (domain) WHERE type = 'self_hosted';

-- Policies: reusable ones have app_id NULL and are linked to apps through
-- access_app_policies; app-scoped (legacy) ones carry their app_id.
CREATE TABLE access_policies (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    app_id      TEXT REFERENCES access_apps(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    decision    TEXT NOT NULL,
    rules       TEXT NOT NULL,
    settings    TEXT NOT NULL DEFAULT '{}',
    created_on  BIGINT NOT NULL,
    updated_on  BIGINT NOT NULL
);
CREATE INDEX access_policies_account ON access_policies (account_id, created_on);

CREATE TABLE access_app_policies (
    app_id      TEXT NOT NULL REFERENCES access_apps(id) ON DELETE CASCADE,
    policy_id   TEXT NOT NULL REFERENCES access_policies(id) ON DELETE CASCADE,
    precedence  INTEGER NOT NULL,
    PRIMARY KEY (app_id, policy_id),
    UNIQUE (app_id, precedence)
);
