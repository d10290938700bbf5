// Package tokens owns account API tokens: the permission-group catalogue,
// creating a token (the value is returned once and stored only as a SHA-256
// hash), listing, updating with merge semantics, rolling and deleting, and
// authenticating a bearer value for the API router.
//
// A token's policies are evaluated by the pure function Evaluate: a deny
// policy that matches wins over any allow; Write groups imply their Read
// twin; resources must name the account ("com.cloudflare.api.account.<id>")
// and an account-owned token can only ever name its own account, so a token
// of account A can never act on account B no matter what its policies say.
//
// Status: "active" or "disabled" is stored; "expired" is derived from
// expires_on at read time so it can never be stale.
package tokens
