// Package portal serves an account's Access team domain
// (<team>.<access domain>) to browsers: the login page and the hand-off to
// the identity provider (/cdn-cgi/access/login/<host>), the IdP callback
// (/cdn-cgi/access/callback), the signing keys (/cdn-cgi/access/certs), the
// signed-in identity (/cdn-cgi/access/get-identity), logout, the App
// Launcher at the root, and the dashboard SSO sign-in behind the "SSO App"
// tile (/cdn-cgi/access/sso/dash).
//
// The flow (access-flow.md §1):
//
//	login/<host> ── choose IdP ──▶ IdP authorize ──▶ callback
//	   │ CF_Session cookie binds the        │ state (constant time), nonce, PKCE;
//	   │ login row (state, nonce, verifier, │ ID token verified by internal/idp/oidc
//	   │ IdP, relative return path)         ▼
//	   │                         session row + CF_Authorization (org token, RS256)
//	   ▼                                    │
//	every page re-reads the session (revocable) and evaluates the target
//	application's policies with internal/access/policy: allow, or a deny page
//	that says which rule refused the user.
//
// It also serves the hosts of self-hosted applications (gateway.go): a
// visit without an application token is sent to login/<host> with a
// signed meta token and a CF_AppSession cookie on the app host; the team
// domain ends the login with a signed, one-time grant bound to that
// cookie's hash, and the app host's /cdn-cgi/access/authorized exchanges
// it for the application token (CF_Authorization on the app host).
//
// Every redirect target taken from a request is reduced to a relative path
// on the host it came from (SafeRedirect); login state is bound to the
// browser that started it; tokens are revoked by logout through their
// session row, and application tokens also by revoke_tokens.
package portal
