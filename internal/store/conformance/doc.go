// Package conformance is the one storage test suite: it drives every
// domain's queries (accounts, members, tokens, SSO connectors, audit log,
// migrations, bootstrap) through their exported services on each backend
// storetest offers — SQLite always, PostgreSQL when
// SSOGATE_TEST_DATABASE_URL is set — and asserts the invariants the
// database itself must hold: one live claim per email domain, tenant
// isolation, leases that hand each due row to one worker, versioned writes.
package conformance
