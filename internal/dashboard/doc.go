// Package dashboard serves ssogate's server-rendered dashboard: the
// email-first login, account pages at /<account_id>/..., and the session,
// CSRF and rate-limit machinery they rest on.
//
// Login is a small state machine:
//
//	email form ──▶ domain has an enabled, verified SSO connector?
//	   │ yes: 303 to the owning account's team domain, /cdn-cgi/access/sso/dash
//	   │      ──▶ Access login through the IdP ──▶ signed one-time assertion,
//	   │      form-posted to /login/sso ──▶ member? ──▶ session (method "sso")
//	   │ no:  member with a password? ──▶ password form ──▶ session ("password")
//	   └ neither: refused with a message, the IdP is never involved
//
// A password session ends as soon as the user's domain becomes
// SSO-enforced; disabling the connector (lock-out recovery with an API
// token) makes password login work again at once, because enforcement is
// read on every login and every request rather than cached.
//
// What a member may do is not decided here: each action names the
// permission group its API route needs, and the role table of package
// accounts (RoleGrants, which token minting checks too) says whether the
// member's role holds it. A member's tokens stay within their role: they
// can mint, roll, disable and delete only tokens holding nothing more.
//
// Every page is rendered from embedded templates with a strict
// Content-Security-Policy (scripts and styles from this origin only, no
// inline code); the small script only adds copy buttons, and every page
// works without it. State-changing requests are POST forms carrying a
// CSRF token bound to the session (or, before login, to a pre-session
// cookie), and are also refused when the browser says they come from
// another origin. The one exception is /login/sso, which receives a
// cross-site form post from the team domain and is protected by the
// assertion itself (signed, audience-bound, one minute, used once).
package dashboard
