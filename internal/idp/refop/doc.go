// Package refop is a reference OpenID provider laid out like authentik, for
// tests and for `ssogate demo`: the other end of ssogate's Access
// federation, run in-process. The OpenID protocol itself (parameter
// parsing, redirect_uri and PKCE checks, code and token responses, error
// redirects) is github.com/zitadel/oidc/v3/pkg/op; this package owns what
// makes it look and behave like an authentik OAuth2/OpenID provider:
//
//   - Routes (under the Issuer's path):
//     /application/o/authorize/, /application/o/token/,
//     /application/o/userinfo/, /application/o/introspect/,
//     /application/o/revoke/ (global), and per application slug
//     /application/o/<slug>/.well-known/openid-configuration,
//     /application/o/<slug>/jwks/, /application/o/<slug>/end-session/,
//     plus our own /application/o/<slug>/login/ (the form) and
//     /application/o/<slug>/logged-out/. The issuer is
//     <Issuer>/application/o/<slug>/ with its trailing slash.
//   - ID tokens carry authentik's default claims: iss, sub (hashed user
//     id), aud = client_id, exp, iat, auth_time, acr, amr, nonce, at_hash,
//     and from the scope mappings email, email_verified (present even when
//     false), name, given_name (the full name), preferred_username,
//     nickname (the username) and groups. No scope means all scopes.
//   - Signing modes: RS256, ES256, HS256 with the client secret and an
//     empty JWKS `{}` (authentik with no signing key), and none-jwks.
//   - Strict redirect URIs, PKCE plain and S256 (a code_verifier for a code
//     without challenge is refused), codes single-use for one minute,
//     access and ID tokens for one hour, no refresh tokens.
//   - ClockOffset shifts every asserted time, to test relying parties'
//     clock-skew handling.
//
// State (pending logins, codes, access tokens) lives in memory, in maps with
// deadlines and a size cap (expiring.go); there is no background goroutine
// and nothing to close.
package refop
