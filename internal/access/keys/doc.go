// Package keys owns the per-account RSA-2048 keys that sign Access tokens
// (the application and org JWTs, the meta and match JWTs) and the document
// origins fetch to verify them, GET /cdn-cgi/access/certs.
//
// # Key life cycle
//
// Each row of access_keys is in one of three states, decided by its
// rotated_on and retire_on columns and the clock:
//
//	            first use                 Rotate, or age >= RotateEvery
//	(none) ─────────────────▶ current ─────────────────────────────▶ previous ──▶ retired
//	                       rotated_on NULL        rotated_on = now            now >= retire_on
//	                                              retire_on = now + Overlap
//
// What each state means:
//
//   - current: signs every new token; published; exactly one per account
//     once the account has used Access. The database enforces "at most one"
//     with a partial unique index, so instances racing to create the first
//     key or to rotate cannot both win: the loser's insert fails, it rolls
//     back and reads the winner's key.
//   - previous: no longer signs, still published and still verifies, so
//     tokens issued just before a rotation keep working and origins that
//     cached the certs have time to refetch. Cloudflare keeps it 7 days.
//   - retired: gone from the certs document; tokens it signed fail with
//     ErrUnknownKey. Rows stay in the table as history.
//
// Rotation is one transaction: demote the current key (only if it is still
// the one the caller saw), insert the new current key, write the audit
// entry. Scheduled rotation happens lazily, on the first Current, Sign,
// Published or Certs call after the current key is RotateEvery old
// (Cloudflare: 6 weeks), so no background worker is needed; the audit entry
// names the system as actor and "scheduled" as the reason. Rotations are
// audited as "access_key_rotate" and the first key of an account as
// "access_key_create".
//
// # Secrets and caches
//
// The private key is stored as a secretbox value bound to "access_key:<kid>";
// the public JWK and a self-signed certificate are stored in clear, so
// verification and the certs endpoint never decrypt anything, and a wrong
// secretbox key shows up as a clear error from Current/Sign, not as tokens
// that fail to verify. The kid is the hex SHA-256 of the DER
// SubjectPublicKeyInfo, checked again whenever a row is loaded.
//
// Keys never change once created, so an instance keeps its view of an
// account's keys in memory (decrypted private key included) and rereads it
// every Options.RefreshEvery, or at once when a token names a kid it does
// not know (at most once a second per account, so forged kids cannot turn
// into database load). A rotation made by another instance is therefore
// seen within RefreshEvery; that is safe because the demoted key stays
// published for Overlap, which is much longer.
//
// VerifyCached adds a bounded cache of verified tokens in front of the RSA
// check. An entry lives until the token's exp, at most five minutes, and no
// longer than its key stays published.
package keys
