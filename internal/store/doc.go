// Package store owns ssogate's database: opening SQLite (embedded, the
// default) or PostgreSQL (several instances), the embedded numbered
// migrations, transactions, and the translation of driver errors into the
// sentinel errors the domain packages speak (ErrNotFound, ErrConflict,
// ErrUnavailable). IsUnavailable recognises a connection-level failure of
// either engine even in an untranslated driver error, so the places that
// map errors to HTTP answer it with a retryable 503; DB.Unavailable counts
// those refusals and logs them at most once per 10 s.
//
// The SQL itself lives with the domain that owns it (sso, tokens, accounts,
// audit): every statement is written once in portable SQL ($N placeholders,
// BIGINT unix-microsecond times, TEXT JSON) that both engines run unchanged,
// so there is one implementation to test rather than two to keep in step.
// The few places where the engines must differ (row leases with FOR UPDATE
// SKIP LOCKED) ask DB.Dialect. The conformance suite in
// internal/store/conformance runs every domain's queries on SQLite always
// and on PostgreSQL when SSOGATE_TEST_DATABASE_URL is set.
package store
