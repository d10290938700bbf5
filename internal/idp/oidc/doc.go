// Package oidcrp is the relying-party side of ssogate's Access login: it
// federates to authentik or any OpenID Connect provider with the
// authorization code flow. It is stateless: Begin returns the state, nonce
// and PKCE verifier, the Access login handlers keep them server-side (bound
// to the CF_Session cookie), and Finish takes them back with the callback.
//
// # The flow
//
//  1. Begin builds the IdP authorize URL from the admin's OIDC config:
//     response_type=code, client_id, redirect_uri exactly as given (the
//     same string is sent again at the token endpoint, so strict matching
//     at the IdP holds byte for byte), scope (default "openid email
//     profile"; "openid" is added when missing, without it there is no ID
//     token), a fresh state and nonce of 256 random bits each and, when
//     PKCE is on, an S256 code_challenge. Query parameters already present
//     in auth_url are kept.
//  2. Finish checks the callback: the stored state must be present and
//     equal (constant time) to the returned one; only then is an IdP error
//     reported as the IdP's own words, so a forged callback cannot put its
//     text on our error page.
//  3. It redeems the code at token_url with client_secret_basic. If the IdP
//     answers invalid_client (or a bare 401) it retries once with
//     client_secret_post: both are what authentik advertises, some IdPs
//     accept only the latter, and the code is not consumed by a failed
//     client authentication. With no client secret (a public client) the
//     client_id goes in the form and PKCE protects the code. The PKCE
//     verifier is sent whenever one was stored. Redirects are not followed:
//     the form carries the code, verifier and possibly the secret.
//  4. It looks at the ID token's JOSE header before verifying anything, to
//     name the usual authentik misconfigurations: a JWE (an encryption key
//     is selected), HS256/384/512 (no signing key selected, so the token is
//     signed with the client secret and the JWKS is `{}`), alg "none", or
//     an algorithm outside RS256, RS384, RS512, PS256, PS512, ES256, ES384,
//     ES512.
//  5. It verifies the signature with go-oidc's IDTokenVerifier over keys
//     from certs_url, through a KeyCache: keys are fetched when absent or
//     older than an hour, and an unknown kid (or a signature no cached key
//     verifies) triggers exactly one refetch; keys fetched by this very
//     call are not fetched again. The verifier also checks that aud holds
//     client_id and, when an issuer is configured, that iss equals it
//     exactly (authentik's issuer ends with a slash).
//  6. It checks the nonce (constant time) and the times itself, with a
//     leeway applied both ways (default 60 s): iat or nbf further in the
//     future than the leeway is clock skew, exp further in the past is
//     expiry. go-oidc's own check has no leeway on exp and five minutes on
//     nbf, so it is switched off.
//  7. It maps claims to an Identity: email from the configured claim
//     (default "email"), groups from a claim named "groups" in any case (a
//     list, or one comma-separated string), the configured extra claims,
//     and every claim in Raw for the admin "Test" action.
//
// # Failures
//
// Every failure is an *Error with a stable Reason (stored with the failed
// login so the dashboard can say why), a Message an admin or user can act
// on, and the underlying Cause for the log. Messages and causes never carry
// the client secret, the code, the verifier or any token; text the IdP
// sends back is trimmed and scrubbed of those before it is quoted.
//
//   - invalid_config: the Provider or redirect URI is incomplete.
//   - state_mismatch: no stored login, or the callback's state is not ours
//     (a login started elsewhere, a replayed or forged callback). Access
//     shows "Invalid session. Please try logging in again".
//   - idp_error: the IdP redirected back with error/error_description.
//   - missing_code: a callback with neither code nor error.
//   - token_endpoint: token_url unreachable or answering something other
//     than a token response.
//   - invalid_client: the IdP refused client_id/client_secret.
//   - invalid_grant: the IdP refused the code: used, expired, or the
//     redirect_uri or PKCE verifier differ from the authorize request.
//   - no_id_token: the token response has no id_token (no openid scope, or
//     a plain OAuth2 server).
//   - malformed_id_token, unsigned_id_token, unsupported_alg: not a
//     compact JWS, alg "none", or an algorithm we do not accept.
//   - encrypted_id_token: a JWE; clear the IdP's encryption key.
//   - symmetric_id_token: HS256/384/512; select a signing key at the IdP.
//   - jwks_unavailable: certs_url unreachable or not a JWK set.
//   - empty_jwks: certs_url publishes no signing keys (`{}` or no keys).
//   - unknown_kid: the token's kid is not at certs_url even after a
//     refetch (certs_url of another application, or a rotation not yet
//     published).
//   - bad_signature: no published key verifies the signature.
//   - issuer_mismatch, audience_mismatch: iss or aud are not this IdP's.
//   - invalid_id_token: any other defect (no sub, bad claim types).
//   - nonce_mismatch: the token was not minted for this login.
//   - clock_skew: iat/nbf too far in the future; the message gives the
//     difference in seconds.
//   - expired: exp too far in the past.
//   - missing_email: the email claim is absent, empty, not a string or not
//     an address; Access says "Failed to fetch user/group information from
//     the identity provider".
package oidcrp
