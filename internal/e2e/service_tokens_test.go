package e2e

import (
	"context"
	"net/url"
	"regexp"
	"testing"

	"github.com/ssogate/ssogate/internal/access"
)

// TestServiceTokenInUI: a Super Administrator creates a service token from
// Access in a real browser, copies the credentials shown once, and they
// pass the gateway's check; rotating shows a new secret and retires the
// old one. The pages pass the accessibility and overflow checks.
func TestServiceTokenInUI(t *testing.T) {
	a := newAcme(t)
	b := newBrowser(t)
	b.open(a.dashURL + "/login")
	b.typeInto("#email", bootstrapAdmin)
	b.click("#continue")
	b.waitVisible("#password")
	b.typeInto("#password", bootstrapPassword)
	b.click("#sign-in")
	b.waitURL("the account home", func(u *url.URL) bool { return a.isDashboard(u, "/"+a.accountID+"/home") })

	b.open(a.dashURL + "/" + a.accountID + "/access")
	b.click("#service-tokens-link")
	b.waitURL("the service tokens page", func(u *url.URL) bool { return a.isDashboard(u, "/"+a.accountID+"/access/service-tokens") })
	b.typeInto("#service-token-name", "Nightly backup")
	b.fill("select#service-token-duration", "720h")
	b.click("#create-service-token-button")
	b.waitVisible("code#service-token-client-secret")
	step(t, "service-token-created")
	clientID, secret := b.text("code#service-token-client-id"), b.text("code#service-token-client-secret")
	if !regexp.MustCompile(`^[0-9a-f]{32}\.access$`).MatchString(clientID) || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) {
		t.Fatalf("shown credentials %q %q", clientID, secret)
	}
	for _, js := range []string{problemsJS, overflowJS} {
		if got, err := b.eval(js); err != nil || got != "" {
			t.Errorf("the secret page: %s %v", got, err)
		}
	}
	snap := access.NewSnapshot(a.env.App.Access, a.env.App.Feed)
	tok, err := snap.CheckServiceToken(context.Background(), a.accountID, clientID, secret)
	if err != nil || tok.Name != "Nightly backup" || tok.Duration != "720h" {
		t.Fatalf("the shown credentials: %+v %v", tok, err)
	}

	b.open(a.dashURL + "/" + a.accountID + "/access/service-tokens")
	b.waitVisible("#service-token-" + tok.ID)
	for _, js := range []string{problemsJS, overflowJS} {
		if got, err := b.eval(js); err != nil || got != "" {
			t.Errorf("the list: %s %v", got, err)
		}
	}
	step(t, "service-tokens")
	b.click(`button[aria-label="Rotate Nightly backup"]`)
	b.waitVisible("code#service-token-client-secret")
	if rotated := b.text("code#service-token-client-secret"); rotated == secret || len(rotated) != 64 {
		t.Fatalf("rotated secret %q", rotated)
	}
	if _, err := snap.CheckServiceToken(context.Background(), a.accountID, clientID, secret); err == nil {
		t.Error("the rotated-away secret still passes")
	}
}
