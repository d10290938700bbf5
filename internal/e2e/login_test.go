package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestGuideVerificationStep is the guide's "Configuration verification":
// log in to Access with the IdP, find the "SSO App" in the App Launcher,
// select it, and arrive signed in at the dashboard.
func TestGuideVerificationStep(t *testing.T) {
	a := newAcme(t)
	b := newBrowser(t)

	b.open(a.teamURL + "/")
	loginAtIdP(t, b, a, alice, alicePassword)

	b.waitURL("the App Launcher", func(u *url.URL) bool {
		return u.Host == "acme.access.localhost:"+a.env.Port() && u.Path == "/"
	})
	b.waitVisible("ul.tiles")
	step(t, "app-launcher")
	tile := `ul.tiles a[href*="/cdn-cgi/access/sso/dash"]`
	if got := b.text(tile); got != "SSO App" {
		t.Fatalf("the dashboard tile is named %q, want %q", got, "SSO App")
	}
	b.click(tile)

	followAssertion(t, b, a)
	expectSignedIn(t, b, a, alice)
	step(t, "dashboard-home")
}

// TestSSOEnforcedLoginFromDashboard: the email-first login sends a member
// of an SSO-enforced domain through the IdP and back, signed in.
func TestSSOEnforcedLoginFromDashboard(t *testing.T) {
	a := newAcme(t)
	b := newBrowser(t)

	b.open(a.dashURL + "/login")
	b.typeInto("#email", alice)
	step(t, "email-form")
	b.click("#continue")

	loginAtIdP(t, b, a, alice, alicePassword)
	followAssertion(t, b, a)
	expectSignedIn(t, b, a, alice)
	step(t, "dashboard-home")
}

// TestPasswordLoginNonSSOMember: a member whose domain has no SSO gets the
// password step; a wrong password is refused, the right one signs in.
func TestPasswordLoginNonSSOMember(t *testing.T) {
	a := newAcme(t)
	b := newBrowser(t)

	b.open(a.dashURL + "/login")
	b.typeInto("#email", carol)
	step(t, "email-form")
	b.click("#continue")

	b.waitVisible("#password")
	step(t, "password-step")
	if u, _ := url.Parse(b.location()); !a.isDashboard(u, "/") {
		t.Fatalf("password step at %s, want the dashboard", u)
	}
	b.typeInto("#password", "not-the-password")
	b.click("#sign-in")
	b.waitVisible("#login-message")
	step(t, "wrong-password")
	if got, want := b.text("#login-message"), "Incorrect email or password."; got != want {
		t.Errorf("wrong password: message %q, want %q", got, want)
	}
	if role, _ := b.eval(`document.querySelector("#login-message").getAttribute("role") || ""`); role != "alert" {
		t.Errorf("wrong password: #login-message has role %q, want alert", role)
	}

	b.typeInto("#password", carolPassword)
	b.click("#sign-in")
	b.waitURL("the account home", func(u *url.URL) bool { return a.isDashboard(u, "/"+a.accountID+"/home") })
	expectSignedIn(t, b, a, carol)
	step(t, "dashboard-home")
	if n := a.idpLogins.Load(); n != 0 {
		t.Errorf("a password login reached the IdP %d times", n)
	}
}

// TestNonMemberRefused: an address that is no member is told so at the
// email step, and the IdP is never involved (even in an SSO domain).
func TestNonMemberRefused(t *testing.T) {
	a := newAcme(t)
	b := newBrowser(t)

	b.open(a.dashURL + "/login")
	b.typeInto("#email", nobody)
	step(t, "email-form")
	b.click("#continue")

	b.waitVisible("#login-message")
	step(t, "refused")
	if msg := b.text("#login-message"); !strings.Contains(msg, "is not a member of any account") {
		t.Errorf("refusal message %q does not contain %q", msg, "is not a member of any account")
	}
	if n := a.idpLogins.Load(); n != 0 {
		t.Errorf("the IdP was asked to sign in %d times", n)
	}
	for _, d := range b.visited() {
		if u, err := url.Parse(d); err != nil || u.Host != "localhost:"+a.env.Port() {
			t.Errorf("the browser left the dashboard for %s", d)
		}
	}
}

// TestLockOutRecovery: an admin of an SSO-enforced domain is sent to SSO;
// disabling the connector with an API token, exactly as the guide does,
// brings the password login back at once.
func TestLockOutRecovery(t *testing.T) {
	a := newAcme(t)
	b := newBrowser(t)

	b.open(a.dashURL + "/login")
	b.typeInto("#email", ops)
	step(t, "email-form")
	b.click("#continue")
	atIdP(t, b, a)
	step(t, "sent-to-sso")

	// The guide's lock-out recovery, with its "SSO Connector: Edit" token.
	token := a.env.NewToken(a.accountID, "SSO Connector Read", "SSO Connector Write")
	r := a.env.Do("PATCH", "/accounts/"+a.accountID+"/sso_connectors/"+a.connectorID, token, `{"enabled": false}`)
	if r.Status != 200 || r.JSON(t)["result"].(map[string]any)["enabled"] != false {
		t.Fatalf("disable the connector: %d %s", r.Status, r.Body)
	}

	b.open(a.dashURL + "/login")
	b.typeInto("#email", ops)
	b.click("#continue")
	b.waitVisible("#password")
	step(t, "password-step")
	b.typeInto("#password", opsPassword)
	b.click("#sign-in")
	b.waitURL("the account home", func(u *url.URL) bool { return a.isDashboard(u, "/"+a.accountID+"/home") })
	expectSignedIn(t, b, a, ops)
	step(t, "dashboard-home")

	// The SSO page shows the connector off, ready to be enabled again.
	b.click(`nav.side a[href="/` + a.accountID + `/sso"]`)
	section := "section#connector-" + a.connectorID
	b.waitVisible(section + " .enable-sso")
	step(t, "sso-page")
	if n, _ := b.eval(`String(document.querySelectorAll("` + section + ` .disable-sso").length)`); n != "0" {
		t.Errorf("a disabled connector offers %s .disable-sso buttons", n)
	}
}

// atIdP waits until the SSO redirect has reached the Access login: its
// choice of identity providers or the IdP's own form.
func atIdP(t *testing.T, b *browser, a *acme) string {
	t.Helper()
	return b.waitFor("the Access login or the IdP's form", func() string {
		u, err := url.Parse(b.location())
		if err != nil {
			return ""
		}
		if a.isIdP(u) {
			if ok, _ := b.eval(`document.querySelector("#username") ? "yes" : ""`); ok != "" {
				return "idp"
			}
		}
		if u.Host == "acme.access.localhost:"+a.env.Port() {
			if ok, _ := b.eval(`document.querySelector("ul.idps a") ? "yes" : ""`); ok != "" {
				return "chooser"
			}
		}
		return ""
	})
}

// loginAtIdP goes through the Access login (choosing "authentik" if Access
// asks) and signs in on the IdP's login form.
func loginAtIdP(t *testing.T, b *browser, a *acme, email, password string) {
	t.Helper()
	if atIdP(t, b, a) == "chooser" {
		step(t, "access-login")
		b.click(`ul.idps a`)
		atIdP(t, b, a)
	}
	step(t, "idp-login-form")
	b.typeInto("#username", email)
	b.typeInto("#password", password)
	b.click(`button[type="submit"]`)
}

// followAssertion waits for the dashboard home after the SSO App's
// assertion page, which posts itself; if its button is still there after
// two seconds, it is clicked, as a person without JavaScript would.
func followAssertion(t *testing.T, b *browser, a *acme) {
	t.Helper()
	var onAssertion time.Time
	clicked := false
	b.waitFor("the dashboard home after the assertion", func() string {
		u, err := url.Parse(b.location())
		if err != nil {
			return ""
		}
		if a.isDashboard(u, "/"+a.accountID+"/home") {
			return "home"
		}
		if a.isDashboard(u, "/") {
			if msg, _ := b.eval(`(document.querySelector("#error-message, #login-message") || {}).textContent || ""`); msg != "" {
				step(t, "dashboard-refused")
				t.Fatalf("the dashboard refused the SSO sign-in at %s: %s", u, strings.TrimSpace(msg))
			}
		}
		if u.Path != "/cdn-cgi/access/sso/dash" || clicked {
			return ""
		}
		if onAssertion.IsZero() {
			onAssertion = time.Now()
			return ""
		}
		if time.Since(onAssertion) > 2*time.Second {
			step(t, "assertion-page-still-shown")
			t.Logf("the assertion page did not post itself within 2 s; clicking %q", "Continue to the dashboard")
			b.click(`form[data-autosubmit] button[type="submit"]`)
			clicked = true
		}
		return ""
	})
}

// expectSignedIn checks the header and the account id of the home page.
func expectSignedIn(t *testing.T, b *browser, a *acme, email string) {
	t.Helper()
	b.waitVisible("#user-email")
	if got := b.text("#user-email"); got != email {
		t.Errorf("signed in as %q, want %q", got, email)
	}
	if got := b.text("code#account-id"); got != a.accountID {
		t.Errorf("account id shown %q, want %q", got, a.accountID)
	}
	b.waitVisible("button#sign-out")
	for _, page := range []string{"sso", "api-tokens", "members", "access", "audit-log"} {
		link := `nav.side a[href="/` + a.accountID + "/" + page + `"]`
		if n, _ := b.eval(`String(document.querySelectorAll('` + link + `').length)`); n != "1" {
			t.Errorf("side navigation: %s links to /%s/%s, want 1", n, a.accountID, page)
		}
	}
}
