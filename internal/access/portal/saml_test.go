package portal_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/idp/samlref"
)

// addSAML starts a reference SAML IdP (authentik layout) and configures it
// as the tenant's identity provider "authentik SAML".
func (tn *tenant) addSAML(tb testing.TB, mode samlref.Mode) (*samlref.Provider, string) {
	tb.Helper()
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	tb.Cleanup(srv.Close)
	users := make([]samlref.User, len(people))
	for i, u := range people {
		users[i] = samlref.User{Username: u.Username, Email: u.Email, Name: u.Name, Password: u.Password, Groups: u.Groups}
	}
	op, err := samlref.New(samlref.Config{Issuer: srv.URL, Users: users, Mode: mode, AutoLogin: "alice",
		ServiceProviders: []samlref.SP{{EntityID: tn.url + "/cdn-cgi/access/callback"}}})
	if err != nil {
		tb.Fatal(err)
	}
	handler = op.Handler()
	body, _ := json.Marshal(map[string]any{"name": "authentik SAML", "type": "saml", "config": map[string]any{
		"issuer_url": op.EntityID(), "sso_target_url": op.SSOURL(), "idp_public_certs": []string{op.CertificatePEM()}}})
	res := tn.call(tb, "POST", "/access/identity_providers", string(body), 201)
	return op, res["id"].(string)
}

var (
	postFormRE  = regexp.MustCompile(`<form id="saml-response" method="post" action="([^"]+)">`)
	postFieldRE = regexp.MustCompile(`<input type="hidden" name="(SAMLResponse|RelayState)" value="([^"]*)">`)
)

// postSAML submits the IdP's auto-post form as the browser would.
func postSAML(tb testing.TB, c *http.Client, page hop) hop {
	tb.Helper()
	m := postFormRE.FindStringSubmatch(page.body)
	if m == nil {
		tb.Fatalf("no SAML post form at %s (%d): %s", page.url, page.status, page.body)
	}
	form := url.Values{}
	for _, f := range postFieldRE.FindAllStringSubmatch(page.body, -1) {
		form.Set(f[1], html.UnescapeString(f[2]))
	}
	resp, err := c.PostForm(html.UnescapeString(m[1]), form)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	h := hop{status: resp.StatusCode, url: resp.Request.URL, cookies: resp.Cookies()}
	if l := resp.Header.Get("Location"); l != "" {
		next, _ := resp.Request.URL.Parse(l)
		h.rawLoc, h.loc = l, next.String()
	}
	return h
}

// samlSignIn runs a login through the SAML IdP up to the IdP's post form,
// posts it, and follows the rest; it returns the final page.
func (tn *tenant) samlSignIn(tb testing.TB, c *http.Client, idpID string) hop {
	tb.Helper()
	atIdP, _ := follow(tb, c, tn.loginURL(url.Values{"idp": {idpID}, "redirect_url": {"/cdn-cgi/access/get-identity"}}))
	posted := postSAML(tb, c, atIdP)
	if posted.status != http.StatusSeeOther || !strings.Contains(posted.loc, "/cdn-cgi/access/callback?saml_ref=") {
		tb.Fatalf("posting the SAML response: %d %q", posted.status, posted.loc)
	}
	final, _ := follow(tb, c, posted.loc)
	return final
}

// Checklist 18: a SAML IdP (authentik's SAML provider) signs users in;
// the callback URL is the ACS and the SP entity ID.
func TestSAMLLogin(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	_, idpID := a.addSAML(t, samlref.ModeSigned)
	c := a.env.Browser()
	final := a.samlSignIn(t, c, idpID)
	var id struct {
		Email  string   `json:"email"`
		Groups []string `json:"groups"`
		IdP    struct{ ID, Type string }
	}
	if final.status != http.StatusOK || json.Unmarshal([]byte(final.body), &id) != nil ||
		id.Email != "alice@acmecorp.company" || len(id.Groups) != 1 || id.Groups[0] != "staff" || id.IdP.ID != idpID {
		t.Fatalf("identity after a SAML login: %d %s", final.status, final.body)
	}
	// The launcher admits her like an OIDC login.
	if h := get(t, c, a.url+"/"); h.status != http.StatusOK || !strings.Contains(h.body, "Wiki") {
		t.Errorf("launcher after SAML: %d", h.status)
	}
	// SP metadata names the callback as entity ID and ACS.
	md := get(t, c, a.url+"/cdn-cgi/access/saml-metadata")
	acs := a.url + "/cdn-cgi/access/callback"
	if md.status != http.StatusOK || !strings.Contains(md.body, `entityID="`+acs+`"`) || !strings.Contains(md.body, `Location="`+acs+`"`) {
		t.Errorf("SP metadata: %d %s", md.status, md.body)
	}
	// The API shows the SAML config block, certificates public, no OIDC keys,
	// and no default it was not sent (sign_request; issue 11).
	r := a.env.Do("GET", "/accounts/"+a.accountID+"/access/identity_providers/"+idpID, a.token, nil)
	cfg := r.JSON(t)["result"].(map[string]any)["config"].(map[string]any)
	if cfg["sso_target_url"] == nil || cfg["idp_public_certs"] == nil || cfg["client_id"] != nil || cfg["sign_request"] != nil {
		t.Errorf("SAML config in the API: %v", cfg)
	}
}

// The parked response belongs to the browser that started the login, and
// is used once.
func TestSAMLResponseBoundToBrowser(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	_, idpID := a.addSAML(t, samlref.ModeSigned)
	c := a.env.Browser()
	atIdP, _ := follow(t, c, a.loginURL(url.Values{"idp": {idpID}, "redirect_url": {"/"}}))
	other := freshBrowser(c)
	posted := postSAML(t, other, atIdP) // the response lands in another browser
	if h := get(t, other, posted.loc); h.status != http.StatusBadRequest || !strings.Contains(h.body, "Invalid session") {
		t.Errorf("SAML response in another browser: %d", h.status)
	}
	// The other browser consumed nothing: in its own browser the response
	// completes the login, once.
	posted = postSAML(t, c, atIdP)
	if h := get(t, c, posted.loc); h.status != http.StatusFound || h.rawLoc != "/" {
		t.Errorf("the response in its own browser: %d %q", h.status, h.rawLoc)
	}
	if h := get(t, c, posted.loc); h.status != http.StatusBadRequest {
		t.Errorf("replayed saml_ref: %d", h.status)
	}
	again := postSAML(t, c, atIdP) // the same response posted again
	if h := get(t, c, again.loc); h.status != http.StatusBadRequest {
		t.Errorf("replayed SAML response: %d", h.status)
	}
}

// authentik's SAML pitfalls each get their own message.
func TestSAMLPitfallsAreExplained(t *testing.T) {
	t.Parallel()
	for mode, want := range map[samlref.Mode]string{
		samlref.ModeUnsigned: "is not signed",
		samlref.ModeWrongKey: "does not verify with the configured certificate",
		samlref.ModeNoEmail:  "Failed to fetch user/group information from the identity provider",
	} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			a := newAcme(t)
			op, idpID := a.addSAML(t, samlref.ModeSigned)
			if err := op.SetMode(mode); err != nil {
				t.Fatal(err)
			}
			final := a.samlSignIn(t, a.env.Browser(), idpID)
			if final.status != http.StatusBadGateway || !strings.Contains(text(final.body), want) {
				t.Errorf("%s: %d, want 502 saying %q: %s", mode, final.status, want, final.body)
			}
		})
	}
}

func TestSAMLConfigValidation(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	for name, cfg := range map[string]string{
		"no issuer":    `{"sso_target_url":"https://idp.example/sso","idp_public_certs":["x"]}`,
		"bad sso url":  `{"issuer_url":"https://idp.example/","sso_target_url":"javascript:x","idp_public_certs":["x"]}`,
		"no cert":      `{"issuer_url":"https://idp.example/","sso_target_url":"https://idp.example/sso"}`,
		"garbage cert": `{"issuer_url":"https://idp.example/","sso_target_url":"https://idp.example/sso","idp_public_certs":["not a cert"]}`,
	} {
		r := a.env.Do("POST", "/accounts/"+a.accountID+"/access/identity_providers", a.token,
			`{"name":"s","type":"saml","config":`+cfg+`}`)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "/config/") {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}
