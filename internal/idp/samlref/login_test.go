package samlref

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/crewjam/saml"
)

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// openLoginForm sends an AuthnRequest with no auto-login, with a cookie
// jar, and returns the form's action and hidden fields.
func (e *env) openLoginForm(t *testing.T, u string) (string, url.Values) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.hc.Jar = jar
	resp := e.get(t, u)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password" type="password"`) {
		t.Fatalf("status %d, want the login form: %s", resp.StatusCode, body)
	}
	checkCSP(t, resp, body)
	for _, banned := range []string{"<script", "src=", "href=", "SAMLResponse"} {
		if strings.Contains(body, banned) {
			t.Errorf("login page contains %q", banned)
		}
	}
	return e.fieldsOf(t, body)
}

func (e *env) fieldsOf(t *testing.T, body string) (string, url.Values) {
	t.Helper()
	fields := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		fields.Set(m[1], html.UnescapeString(m[2]))
	}
	action := regexp.MustCompile(`<form method="post" action="([^"]*)">`).FindStringSubmatch(body)
	if action == nil || fields.Get("token") == "" {
		t.Fatalf("no login form in %s", body)
	}
	return e.srv.URL + html.UnescapeString(action[1]), fields
}

// checkCSP verifies the page's inline style and script are the ones the
// CSP pins, and nothing else may load.
func checkCSP(t *testing.T, resp *http.Response, body string) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("CSP %q, X-Frame-Options %q", csp, resp.Header.Get("X-Frame-Options"))
	}
	for tag, directive := range map[string]string{"style": "style-src", "script": "script-src"} {
		m := regexp.MustCompile(`<` + tag + `>(.*?)</` + tag + `>`).FindStringSubmatch(body)
		if m == nil {
			continue
		}
		sum := sha256.Sum256([]byte(m[1]))
		if want := directive + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
			t.Errorf("CSP %q does not pin the inline %s (%s)", csp, tag, want)
		}
	}
}

func TestLoginForm(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AutoLogin = "" })
	sp := e.newSP(t, testACS)
	const relayState = "rs-form-login"
	u, id := redirectRequest(t, sp, relayState)
	action, fields := e.openLoginForm(t, u)
	if fields.Get("binding") != bindingRedirect || fields.Get("sp") != testACS {
		t.Errorf("hidden fields = %v", fields)
	}

	t.Run("wrong password refused", func(t *testing.T) {
		form := url.Values{"username": {"alice"}, "password": {"not-it"}}
		for k := range fields {
			form.Set(k, fields.Get(k))
		}
		resp := e.postForm(t, action, form)
		body := readBody(t, resp)
		if !strings.Contains(body, "Invalid username or password.") || strings.Contains(body, "SAMLResponse") {
			t.Errorf("status %d, body %s; want the form again with an error", resp.StatusCode, body)
		}
		if _, again := e.fieldsOf(t, body); again.Get("request") != fields.Get("request") || again.Get("token") != fields.Get("token") {
			t.Error("the re-rendered form lost the request or token")
		}
	})
	t.Run("post without the form cookie refused", func(t *testing.T) {
		stranger := &http.Client{Timeout: e.hc.Timeout}
		form := url.Values{"username": {"alice"}, "password": {alice.Password}}
		for k := range fields {
			form.Set(k, fields.Get(k))
		}
		resp, err := stranger.PostForm(action, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if body := readBody(t, resp); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "SAMLResponse") {
			t.Errorf("status %d; want 403 and no response", resp.StatusCode)
		}
	})
	t.Run("right password", func(t *testing.T) {
		form := url.Values{"username": {"bob"}, "password": {bob.Password}}
		for k := range fields {
			form.Set(k, fields.Get(k))
		}
		f := responseForm(t, e.postForm(t, action, form))
		if f.relayState != relayState || f.action != testACS {
			t.Errorf("RelayState %q, action %q", f.relayState, f.action)
		}
		a, err := sp.ParseResponse(f.acsRequest(t), []string{id})
		if err != nil {
			t.Fatalf("ParseResponse: %v", privateErr(err))
		}
		if a.Subject.NameID.Value != bob.Email {
			t.Errorf("NameID = %q, want %q", a.Subject.NameID.Value, bob.Email)
		}
		if got := a.AuthnStatements[0].AuthnContext.AuthnContextClassRef.Value; got != classPassword {
			t.Errorf("AuthnContextClassRef = %q, want %q", got, classPassword)
		}
		if resp := e.postForm(t, action, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("form reused after sign-in: status %d, want 403 (cookie cleared)", resp.StatusCode)
		}
	})
}

func TestLoginFormPostBinding(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AutoLogin = "" })
	sp := e.newSP(t, testACS)
	req, err := sp.MakeAuthenticationRequest(e.p.SSOPostURL(), saml.HTTPPostBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := xml.Marshal(req)
	jar, _ := cookiejar.New(nil)
	e.hc.Jar = jar
	resp := e.postForm(t, e.p.SSOPostURL(), url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(doc)}, "RelayState": {"rs-p"}})
	action, fields := e.fieldsOf(t, readBody(t, resp))
	if fields.Get("binding") != bindingPost {
		t.Fatalf("binding = %q", fields.Get("binding"))
	}
	form := url.Values{"username": {"alice"}, "password": {alice.Password}}
	for k := range fields {
		form.Set(k, fields.Get(k))
	}
	f := responseForm(t, e.postForm(t, action, form))
	if _, err := sp.ParseResponse(f.acsRequest(t), []string{req.ID}); err != nil || f.relayState != "rs-p" {
		t.Fatalf("ParseResponse: %v, RelayState %q", privateErr(err), f.relayState)
	}
}

func TestSetAutoLogin(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AutoLogin = "" })
	sp := e.newSP(t, testACS)
	e.p.SetAutoLogin("bob")
	f, id := e.autoLogin(t, sp, "")
	a, err := sp.ParseResponse(f.acsRequest(t), []string{id})
	if err != nil || a.Subject.NameID.Value != bob.Email {
		t.Fatalf("ParseResponse: %v", privateErr(err))
	}
	e.p.SetAutoLogin("nobody")
	u, _ := redirectRequest(t, sp, "")
	if resp := e.get(t, u); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unknown auto-login user: status %d, want 403", resp.StatusCode)
	}
	e.p.SetAutoLogin("")
	u, _ = redirectRequest(t, sp, "")
	e.openLoginForm(t, u)
}

func TestResponsePage(t *testing.T) {
	e := newEnv(t, nil)
	u, _ := redirectRequest(t, e.newSP(t, testACS), "rs")
	resp := e.get(t, u)
	body := readBody(t, resp)
	checkCSP(t, resp, body)
	for _, want := range []string{
		`<button type="submit">Continue</button>`, // without JavaScript
		`<noscript>`,
		`<script>document.getElementById("saml-response").submit();</script>`, // with it
	} {
		if !strings.Contains(body, want) {
			t.Errorf("response page lacks %q", want)
		}
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
}
