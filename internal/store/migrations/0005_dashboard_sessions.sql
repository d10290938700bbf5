-- 0005: dashboard sessions.

-- A signed-in dashboard user. id is the SHA-256 of the session cookie, so a
-- database reader cannot ride a session. method says how the user proved
-- who they are ("password" or "sso"); a password session ends as soon as
-- the user's email domain becomes SSO-enforced. Rows are revoked (logout,
-- "sign out everywhere", member removal) rather than deleted, and swept
-- once expired.
CREATE TABLE dashboard_sessions (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method        TEXT NOT NULL,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    created_on    BIGINT NOT NULL,
    last_seen_on  BIGINT NOT NULL,
    expires_on    BIGINT NOT NULL,
    revoked_on    BIGINT
);
CREATE INDEX dashboard_sessions_user ON dashboard_sessions (user_id);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_on);
