package portal_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/idp/refop"
)

// hashOrigin is an application origin that answers with the SHA-256 and
// length of the body it received, and frames itself as it likes.
func hashOrigin(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		_, _ = io.Copy(h, r.Body)
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("X-Origin", "yes")
		_, _ = io.WriteString(w, hex.EncodeToString(h.Sum(nil))+" "+r.Header.Get("Content-Type")+" ")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// post sends body to u with the given content type, without following
// redirects.
func post(t *testing.T, c *http.Client, u, ctype string, body []byte) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestFormBodyLimits: ssogate's own endpoints on the team domain and on
// application hosts read at most a small urlencoded form and answer more
// with a page; what the gateway proxies to an origin is neither capped nor
// parsed.
func TestFormBodyLimits(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	origin := hashOrigin(t)
	a.app(t, `{"type":"self_hosted","name":"Files","domain":"files.localhost","origin_url":"`+origin.URL+`","policies":["`+a.staffPolicy+`"]}`)
	base := "http://files.localhost:" + a.env.Port()
	c := a.env.Browser()
	if final, _ := a.appLogin(t, c, base+"/", "alice"); final.status != http.StatusOK {
		t.Fatalf("login to Files: %d %s", final.status, final.body)
	}
	// Bodies far over both ssogate limits reach the origin byte for byte.
	upload := bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16)
	sum := sha256.Sum256(upload)
	for _, ctype := range []string{"multipart/form-data; boundary=b", "application/x-www-form-urlencoded", "application/octet-stream"} {
		resp, body := post(t, c, base+"/upload", ctype, upload)
		if want := hex.EncodeToString(sum[:]) + " " + ctype + " "; resp.StatusCode != http.StatusOK || body != want {
			t.Errorf("proxied 8 MB %s: %d %.200q, want %q", ctype, resp.StatusCode, body, want)
		}
	}
	bigForm := []byte("SAMLResponse=" + strings.Repeat("A", 600<<10) + "&RelayState=x")
	multipart := []byte("--b\r\nContent-Disposition: form-data; name=\"SAMLResponse\"\r\n\r\nx\r\n--b--\r\n")
	refusals := []struct {
		name, url, ctype string
		body             []byte
		status           int
		title            string
	}{
		{"team domain ACS, 600 KB", a.url + "/cdn-cgi/access/callback", "application/x-www-form-urlencoded", bigForm, 413, "Form too large"},
		{"team domain ACS, multipart", a.url + "/cdn-cgi/access/callback", "multipart/form-data; boundary=b", multipart, 415, "Form not read"},
		{"team domain, any path", a.url + "/", "application/x-www-form-urlencoded", bigForm, 413, "Form too large"},
		{"app host's own endpoint", base + "/cdn-cgi/access/logout", "application/x-www-form-urlencoded", bigForm, 413, "Form too large"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, c, tc.url, tc.ctype, tc.body)
			if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, tc.title) {
				t.Errorf("status %d (want %d), Content-Type %q: %.300s", resp.StatusCode, tc.status, resp.Header.Get("Content-Type"), body)
			}
		})
	}
}

// plainTransport sends https://*.localhost requests over plain http, so a
// test can run ssogate configured for https (Secure cookies, https team
// and app URLs) without TLS; the cookie jar and redirects still see https.
type plainTransport struct{ next http.RoundTripper }

func (p plainTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" || !strings.HasSuffix(r.URL.Hostname(), "localhost") {
		return p.next.RoundTrip(r)
	}
	out := r.Clone(r.Context())
	out.URL.Scheme = "http"
	resp, err := p.next.RoundTrip(out)
	if resp != nil {
		resp.Request = r
	}
	return resp, err
}

// acmeOverHTTPS is the acme fixture on an ssogate whose team domains and
// application hosts are https, with a browser that reaches them.
func acmeOverHTTPS(t *testing.T) (*acme, *http.Client) {
	t.Helper()
	env := apptest.New(t, func(c *config.Config, _ *app.Options) { c.AccessScheme = "https" })
	tn := newTenant(t, env, env.AccountID, env.Token, "acme")
	tn.url = "https://" + tn.host
	a := &acme{tenant: tn}
	a.op, a.idpID = a.addOP(t, "authentik", refop.Config{AutoLogin: "alice"})
	a.staffPolicy = a.policy(t, "Acme staff", "allow", `[{"email_domain":{"domain":"acmecorp.company"}}]`)
	a.app(t, `{"type":"app_launcher","policies":["`+a.staffPolicy+`"]}`)
	c := env.Browser()
	c.Transport = plainTransport{c.Transport}
	return a, c
}

// TestPageHeaders: ssogate's own pages on team domains and application
// hosts refuse framing, and over https carry the dashboard's HSTS; a
// response proxied from an origin carries neither of ssogate's, only what
// the origin sent.
func TestPageHeaders(t *testing.T) {
	t.Parallel()
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			var a *acme
			var c *http.Client
			if scheme == "https" {
				a, c = acmeOverHTTPS(t)
			} else {
				a = newAcme(t)
				c = a.env.Browser()
			}
			origin := hashOrigin(t)
			a.app(t, `{"type":"self_hosted","name":"Files","domain":"files.localhost","origin_url":"`+origin.URL+`","policies":["`+a.staffPolicy+`"]}`)
			base := scheme + "://files.localhost:" + a.env.Port()
			wantHSTS := []string(nil)
			if scheme == "https" {
				wantHSTS = []string{"max-age=31536000"}
			}
			own := map[string]string{
				"team domain page":         a.url + "/",
				"team domain error page":   a.url + "/nothing-here",
				"app host redirect":        base + "/",
				"app host page":            base + "/cdn-cgi/access/nothing-here",
				"app host get-identity":    base + "/cdn-cgi/access/get-identity",
				"app host, assets are too": base + "/cdn-cgi/access/assets/style.css",
			}
			for name, u := range own {
				h := headersOf(t, freshBrowser(c), u)
				if got := h.Values("X-Frame-Options"); !slices.Equal(got, []string{"DENY"}) {
					t.Errorf("%s: X-Frame-Options %q", name, got)
				}
				if got := h.Values("Strict-Transport-Security"); !slices.Equal(got, wantHSTS) {
					t.Errorf("%s: Strict-Transport-Security %q, want %q", name, got, wantHSTS)
				}
			}
			if final, _ := a.appLogin(t, c, base+"/", "alice"); final.status != http.StatusOK || !strings.Contains(final.body, " ") {
				t.Fatalf("login to Files: %d %s", final.status, final.body)
			}
			h := headersOf(t, c, base+"/page")
			if h.Get("X-Origin") != "yes" {
				t.Fatalf("not proxied: %v", h)
			}
			if got := h.Values("X-Frame-Options"); !slices.Equal(got, []string{"SAMEORIGIN"}) {
				t.Errorf("proxied: X-Frame-Options %q, want only the origin's", got)
			}
			for _, name := range []string{"Strict-Transport-Security", "Content-Security-Policy", "Cache-Control", "Referrer-Policy"} {
				if got := h.Values(name); len(got) > 0 {
					t.Errorf("proxied: ssogate's %s %q on the origin's response", name, got)
				}
			}
		})
	}
}

// headersOf GETs u without following redirects and returns the headers.
func headersOf(t *testing.T, c *http.Client, u string) http.Header {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.Header
}
