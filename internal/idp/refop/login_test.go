package refop

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func (e *env) postForm(t *testing.T, hc *http.Client, rawURL string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// startFormLogin runs /authorize in form mode and opens the login page with
// a cookie jar, returning the form's action URL and auth request id.
func (e *env) startFormLogin(t *testing.T, conf *oauth2.Config, state string) (action, id string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.hc.Jar = jar
	resp := e.get(t, conf.AuthCodeURL(state, oauth2.SetAuthURLParam("nonce", "n-form")))
	loginURL := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loginURL, e.p.IssuerURL()+"login/?id=") {
		t.Fatalf("authorize: status %d, Location %q; want the login form", resp.StatusCode, loginURL)
	}
	u, _ := url.Parse(loginURL)
	return e.srv.URL + u.Path, u.Query().Get("id")
}

func TestLoginForm(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AutoLogin = "" })
	conf := e.oauth2Config(t, oauth2.AuthStyleAutoDetect)
	action, id := e.startFormLogin(t, conf, "st-form")

	page := e.get(t, action+"?id="+url.QueryEscape(id))
	body := readBody(t, page)
	if page.StatusCode != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("login page: status %d, %q", page.StatusCode, page.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<label for="username">`, `<input id="username" name="username"`,
		`<label for="password">`, `<input id="password" name="password" type="password"`,
		`<input type="hidden" name="id" value="` + id + `">`, `method="post"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(body, banned) {
			t.Errorf("login page contains %q: no external assets or script wanted", banned)
		}
	}
	checkCSP(t, page, body)

	t.Run("cross-site post without the cookie", func(t *testing.T) {
		stranger := &http.Client{CheckRedirect: e.hc.CheckRedirect}
		resp := e.postForm(t, stranger, action, url.Values{"id": {id}, "username": {"bob"}, "password": {"canwefixit"}})
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
			t.Errorf("status %d, Location %q; want 403", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("wrong password re-renders", func(t *testing.T) {
		resp := e.postForm(t, e.hc, action, url.Values{"id": {id}, "username": {"bob"}, "password": {"nope"}})
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" ||
			!strings.Contains(body, "Invalid username or password") || !strings.Contains(body, `value="bob"`) {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
	})

	resp := e.postForm(t, e.hc, action, url.Values{"id": {id}, "username": {"bob"}, "password": {"canwefixit"}})
	code := codeFrom(t, resp, "st-form")
	tok, err := conf.Exchange(e.ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := e.verifier(t).Verify(e.ctx, rawIDToken(t, tok))
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	idt.Claims(&claims)
	if claims["preferred_username"] != "bob" || idt.Nonce != "n-form" {
		t.Errorf("claims = %v", claims)
	}

	t.Run("form is spent", func(t *testing.T) {
		resp := e.postForm(t, e.hc, action, url.Values{"id": {id}, "username": {"bob"}, "password": {"canwefixit"}})
		if resp.StatusCode < 400 || resp.Header.Get("Location") != "" {
			t.Errorf("status %d, Location %q; want a refusal", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestLoginFormAttemptsCapped(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AutoLogin = "" })
	action, id := e.startFormLogin(t, e.oauth2Config(t, oauth2.AuthStyleAutoDetect), "s")
	e.get(t, action+"?id="+url.QueryEscape(id))
	for range maxLoginErrors {
		e.postForm(t, e.hc, action, url.Values{"id": {id}, "username": {"alice"}, "password": {"guess"}})
	}
	resp := e.postForm(t, e.hc, action, url.Values{"id": {id}, "username": {"alice"}, "password": {"wonderland"}})
	if resp.StatusCode < 400 || resp.Header.Get("Location") != "" {
		t.Errorf("after %d failures the right password got status %d, Location %q", maxLoginErrors, resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLoginFormUnknownRequest(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AutoLogin = "" })
	resp := e.get(t, e.p.IssuerURL()+"login/?id=made-up")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	checkCSP(t, resp, readBody(t, resp))
}

// checkCSP checks the page's headers and that its one inline style is the
// one the CSP hash allows.
func checkCSP(t *testing.T, resp *http.Response, body string) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	start, end := strings.Index(body, "<style>"), strings.Index(body, "</style>")
	if start < 0 || end < start {
		t.Fatal("no inline style")
	}
	sum := sha256.Sum256([]byte(body[start+len("<style>") : end]))
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'",
		"style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}
