package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// TestProtectedAppLogin: a self-hosted application on its own host, in a
// real browser — the cookie hops between the app host and the team domain
// (CF_AppSession out, the grant back to /cdn-cgi/access/authorized) are
// what a cookie-jar client cannot prove about SameSite handling.
func TestProtectedAppLogin(t *testing.T) {
	a := newAcme(t)
	staff := a.call(t, "POST", "/access/policies", `{"name":"Grafana users","decision":"allow",
		"include":[{"email_domain":{"domain":"`+ssoDomain+`"}}]}`, 201)["id"].(string)
	a.call(t, "POST", "/access/apps", `{"type":"self_hosted","name":"Grafana","domain":"grafana.localhost",
		"policies":["`+staff+`"]}`, 201)
	appHost := "grafana.localhost:" + a.env.Port()
	b := newBrowser(t)

	b.open("http://" + appHost + "/d/overview?orgId=1")
	loginAtIdP(t, b, a, alice, alicePassword)
	u := b.waitURL("the application page", func(u *url.URL) bool { return u.Host == appHost && u.Path == "/d/overview" })
	if u.RawQuery != "orgId=1" {
		t.Errorf("landed on %s, want the query kept", u)
	}
	b.waitVisible("h1")
	step(t, "app-admitted")
	if got := b.text("main"); !strings.Contains(got, "Signed in to Grafana") || !strings.Contains(got, alice) {
		t.Errorf("app page: %q", got)
	}
	if got, _ := b.eval(`getComputedStyle(document.querySelector(".card")).borderRadius`); got == "" || got == "0px" {
		t.Errorf("the gateway page is unstyled (card border-radius %q)", got)
	}
	// The app token is HttpOnly: page scripts cannot read it.
	if got, _ := b.eval(`document.cookie`); strings.Contains(got, "CF_Authorization") {
		t.Errorf("CF_Authorization readable by scripts: %q", got)
	}
	// A second path on the same host needs no login.
	b.open("http://" + appHost + "/explore")
	b.waitURL("a second page", func(u *url.URL) bool { return u.Host == appHost && u.Path == "/explore" })
	b.waitVisible("h1")
	if got := b.text("h1"); got != "Signed in to Grafana" {
		t.Errorf("second page: %q", got)
	}
}
