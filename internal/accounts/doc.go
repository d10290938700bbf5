// Package accounts owns accounts, users and account members: creating an
// account (admin command, bootstrap), the /accounts API, and the first-start
// bootstrap that creates one account, its super-administrator and,
// optionally, an all-permissions API token with a value the operator chose
// (the way authentik's AUTHENTIK_BOOTSTRAP_TOKEN works).
//
// Passwords are stored as argon2id hashes (PHC string format) and compared
// in constant time.
package accounts
