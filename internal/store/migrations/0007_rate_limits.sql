-- 0007: rate limits shared by every instance (internal/ratelimit).

-- One row per limited key ("login-email:alice@example.com",
-- "api-auth-ip:203.0.113.9"): tat is the GCRA theoretical arrival time of
-- the key's next attempt (unix microseconds), advanced by one
-- INSERT ... ON CONFLICT ... DO UPDATE per attempt; last_allowed is that
-- statement's verdict. A row whose tat has passed means the same as no
-- row, and rows are swept a minute after that. Only PostgreSQL uses the
-- table; on SQLite, one process, the limits are kept in memory and the
-- table stays empty.
CREATE TABLE rate_limits (
    key           TEXT PRIMARY KEY,
    tat           BIGINT NOT NULL,
    last_allowed  BOOLEAN NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat);
