// Package storetest gives tests fresh, migrated databases: SQLite always,
// and PostgreSQL when SSOGATE_TEST_DATABASE_URL names a server (each test
// gets its own schema there, dropped afterwards). CI sets the variable, so
// a PostgreSQL that is configured but unreachable fails the run rather than
// skipping it. StartServer runs a PostgreSQL of a test's own, for tests
// that stop and restart it.
package storetest
