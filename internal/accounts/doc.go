// Package accounts owns accounts, users and account members: creating an
// account (admin command, bootstrap), the /accounts API, members and their
// roles (/accounts/{id}/members, /accounts/{id}/roles), and the account's
// audit log API (/accounts/{id}/audit_logs; the log itself is written by
// package audit, which package api imports, so its HTTP side lives here).
//
// Roles are Cloudflare's three account roles with stable ids. Each maps
// to the token permission groups it grants (RoleGrants), which the
// dashboard uses as a member's grants: a member cannot mint an API token
// stronger than their role. The last accepted Super Administrator of an
// account can be neither demoted nor removed (checked with the account
// row locked, so two concurrent demotions cannot both pass).
//
// A member added through the API is pending until the user first signs in
// (AcceptPending), as an invitation is accepted in Cloudflare.
//
// Passwords are stored as argon2id hashes (PHC string format) and compared
// in constant time.
package accounts
