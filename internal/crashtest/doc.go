// Package crashtest holds no code, only tests that kill a real ssogate
// process: a write the API acknowledged must still be there after
// kill -9 and a restart, on SQLite and (when a test server is configured,
// as in CI) on PostgreSQL.
package crashtest
