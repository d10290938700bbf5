// Package walkthrough holds no code, only the test that runs the README's
// walkthrough the way a newcomer does: every shell block of the section
// "Walkthrough: the guide against your laptop", in order, in one bash
// process (one terminal), from the repository's root, with only the ports
// changed to free ones. Then it checks the end state the README promises —
// the connector verified and enabled, the "SSO App" in alice's App Launcher
// and, through it, the dashboard — so the README cannot drift from what
// ssogate does.
package walkthrough
