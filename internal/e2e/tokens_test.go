package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCreateAPITokenInUI is the guide's step 3 in the dashboard: a Super
// Administrator creates a token with Account › SSO Connector › Edit, and
// that token works with curl for exactly what it was given.
func TestCreateAPITokenInUI(t *testing.T) {
	a := newAcme(t)
	b := newBrowser(t)

	b.open(a.dashURL + "/login")
	b.typeInto("#email", bootstrapAdmin)
	b.click("#continue")
	b.waitVisible("#password")
	b.typeInto("#password", bootstrapPassword)
	step(t, "password-step")
	b.click("#sign-in")
	b.waitURL("the account home", func(u *url.URL) bool { return a.isDashboard(u, "/"+a.accountID+"/home") })
	expectSignedIn(t, b, a, bootstrapAdmin)
	step(t, "dashboard-home")

	b.click(`nav.side a[href="/` + a.accountID + `/api-tokens"]`)
	b.waitURL("the API tokens page", func(u *url.URL) bool { return a.isDashboard(u, "/"+a.accountID+"/api-tokens") })
	step(t, "api-tokens")
	b.click("#create-token-link")
	b.waitURL("the token form", func(u *url.URL) bool { return a.isDashboard(u, "/"+a.accountID+"/api-tokens/new") })
	b.typeInto("#token-name", "Dashboard SSO")
	b.fill("select#perm-sso-connector", "edit")
	b.fill("input#expires_on", "2099-01-31")
	step(t, "create-token-form")
	b.click("#create-token")
	b.waitVisible("code#token-value")
	step(t, "token-created")
	token := b.text("code#token-value")
	if token == "" {
		t.Fatal("no token value shown")
	}

	// From here on it is curl's job, as in the guide.
	verify := curl(t, "GET", a.env.APIURL+"/user/tokens/verify", token, "")
	if verify.status != 200 || verify.result["status"] != "active" {
		t.Errorf("verify the new token: %d %s, want 200 and status active", verify.status, verify.raw)
	}
	if exp, _ := verify.result["expires_on"].(string); !strings.HasPrefix(exp, "2099-01-31") {
		t.Errorf("verify: expires_on %q, want the date picked in the form (2099-01-31)", exp)
	}
	created := curl(t, "POST", a.env.APIURL+"/accounts/"+a.accountID+"/sso_connectors", token,
		`{"email_domain":"example-two.company"}`)
	if created.status != 200 || !created.success || created.result["email_domain"] != "example-two.company" {
		t.Errorf("create a connector with the new token: %d %s, want 200 success", created.status, created.raw)
	}
	denied := curl(t, "GET", a.env.APIURL+"/accounts/"+a.accountID+"/tokens", token, "")
	if denied.status != 403 || denied.success {
		t.Errorf("list tokens with an SSO-only token: %d %s, want 403", denied.status, denied.raw)
	}
}

// curlResult is a v4 envelope as curl would print it.
type curlResult struct {
	status  int
	raw     string
	success bool
	result  map[string]any
}

// curl is a plain net/http request with a bearer token, nothing from the
// test server's client (as a person at a terminal would send it).
func curl(t *testing.T, method, u, token, body string) curlResult {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Success bool           `json:"success"`
		Result  map[string]any `json:"result"`
	}
	_ = json.Unmarshal(raw, &env)
	return curlResult{status: resp.StatusCode, raw: string(raw), success: env.Success, result: env.Result}
}
