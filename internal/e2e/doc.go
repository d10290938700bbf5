// Package e2e holds ssogate's end-to-end browser tests: a real Chromium,
// driven with chromedp, signs in to the real dashboard and Access team
// domain served by apptest, through the in-process reference OpenID
// provider (refop) and its login form.
//
// The tests follow the integration guide the way a person would: the
// guide's "Configuration verification" (App Launcher → "SSO App" →
// dashboard), the SSO-enforced email-first login, password login for
// members outside SSO domains, refusal of non-members before any IdP is
// involved, lock-out recovery by disabling the connector with an API token,
// and creating the guide's "SSO Connector: Edit" token in the UI.
//
// Each step saves a full-page screenshot to
// test-artifacts/e2e/<TestName>/<NN-step>.png at the repository root
// (git-ignored), and a failing test adds one of the page it failed on.
//
// The browser is Chromium (Debian's package: `apt-get install -y chromium`).
// Without it the tests skip, unless the CI environment variable is set, in
// which case a missing browser fails them: CI must not pass by skipping.
package e2e
