-- 0004: Access login state, sessions and one-time assertions.

-- A login in progress, bound to the browser's CF_Session cookie (stored as
-- its SHA-256): the IdP round trip's state, nonce, PKCE verifier, chosen
-- IdP and where to return. Rows expire after minutes and are swept.
CREATE TABLE access_logins (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    data        TEXT NOT NULL,
    expires_on  BIGINT NOT NULL
);
CREATE INDEX access_logins_expiry ON access_logins (expires_on);

-- A signed-in identity: what the IdP said, for get-identity and policy
-- decisions, and the switch that revokes every token carrying its nonce.
CREATE TABLE access_sessions (
    identity_nonce  TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    identity        TEXT NOT NULL,
    created_on      BIGINT NOT NULL,
    expires_on      BIGINT NOT NULL,
    revoked_on      BIGINT
);
CREATE INDEX access_sessions_account_email ON access_sessions (account_id, email);
CREATE INDEX access_sessions_expiry ON access_sessions (expires_on);

-- Dashboard SSO assertions are accepted once: the primary key on jti is the
-- replay protection.
CREATE TABLE access_assertions (
    jti         TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    used_on     BIGINT NOT NULL,
    expires_on  BIGINT NOT NULL
);
