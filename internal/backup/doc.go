// Package backup owns what an operator does to an instance's state as a
// whole: a consistent online backup of the SQLite database (with or without
// the secret key), restoring one onto a stopped instance, and rotating the
// key that seals secrets at rest (package secretbox).
//
// The state of an instance is two things: the database and the secret key.
// The key seals every IdP client secret and Access signing key; a database
// without the key that sealed it restores accounts and tokens but none of
// those secrets. Every operation here therefore checks the key against the
// data — by opening every sealed value — before it claims success or
// changes anything.
//
// # Archive format
//
// A backup is one tar file (gzip-compressed when its name ends in .gz or
// .tgz) with, in this order: manifest.json (Manifest), ssogate.db (a
// VACUUM INTO snapshot in rollback-journal mode, so it is one
// self-contained file) and, only when the operator asked for it,
// secret.key. The archive is written 0600, to a temporary file in the
// target's directory, and linked into place: an existing file is never
// replaced.
//
// # Locking
//
// A server holds an exclusive flock on <data-dir>/ssogate.lock (LockDataDir)
// for as long as it runs; Restore and RotateSecretKey take the same lock, so
// they refuse to run beside a server on the same data directory. Backup
// does not: it is meant to run beside a live server.
//
// # Key rotation and crashes
//
// RotateSecretKey writes the new key to <key>.new (fsynced) before it
// re-seals anything, re-seals every sealed column in one transaction, and
// only then keeps the old key as <key>.old-<time> and renames <key>.new over
// <key>. Whatever the moment of a crash, both keys are on disk and every
// sealed value opens with one of them: before the commit with <key>, after
// it with <key>.new. FinishInterruptedRotation, called at start-up, tells
// the two cases apart by opening the sealed values and completes or drops
// the rotation; running RotateSecretKey again does the same.
//
// The sealed columns are listed in one place, sealedColumns (columns.go);
// the tests fail when a Seal call site or a sealed value in the schema
// appears that the list misses.
package backup
