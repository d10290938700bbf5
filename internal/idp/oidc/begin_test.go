package oidcrp

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

func testProvider() Provider {
	return Provider{
		ClientID: testClientID, ClientSecret: testSecret,
		AuthURL:  "https://authentik.company/application/o/authorize/",
		TokenURL: "https://authentik.company/application/o/token/",
		CertsURL: "https://authentik.company/application/o/cf/jwks/",
	}
}

func TestBeginURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    func(*Provider)
		want url.Values // besides state and nonce
	}{
		{"defaults", nil, url.Values{
			"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect},
			"scope": {"openid email profile"},
		}},
		{"openid added to configured scopes", func(p *Provider) { p.Scopes = []string{"email", "groups"} }, url.Values{
			"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect},
			"scope": {"openid email groups"},
		}},
		{"auth_url query kept", func(p *Provider) { p.AuthURL += "?hd=example.com" }, url.Values{
			"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect},
			"scope": {"openid email profile"}, "hd": {"example.com"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testProvider()
			if tc.p != nil {
				tc.p(&p)
			}
			start, err := Begin(p, testRedirect)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(start.URL)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Scheme + "://" + u.Host + u.Path; got != "https://authentik.company/application/o/authorize/" {
				t.Errorf("authorize endpoint = %q", got)
			}
			q := u.Query()
			if q.Get("state") != start.State || q.Get("nonce") != start.Nonce {
				t.Errorf("URL state/nonce %q/%q, Start %q/%q", q.Get("state"), q.Get("nonce"), start.State, start.Nonce)
			}
			q.Del("state")
			q.Del("nonce")
			if diff := cmp.Diff(tc.want, q); diff != "" {
				t.Errorf("authorize query (-want +got):\n%s", diff)
			}
			if start.Verifier != "" {
				t.Errorf("verifier %q without PKCE", start.Verifier)
			}
		})
	}
}

func TestBeginRandomness(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		start, err := Begin(testProvider(), testRedirect)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{start.State, start.Nonce} {
			b, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil || len(b) < 16 {
				t.Fatalf("%q is not 128+ random bits in base64url", v)
			}
			if seen[v] {
				t.Fatalf("%q repeated", v)
			}
			seen[v] = true
		}
	}
}

func TestBeginPKCE(t *testing.T) {
	p := testProvider()
	p.PKCE = true
	start, err := Begin(p, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(start.URL)
	q := u.Query()
	if n := len(start.Verifier); n < 43 || n > 128 {
		t.Errorf("verifier length %d, RFC 7636 wants 43-128", n)
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") != oauth2.S256ChallengeFromVerifier(start.Verifier) {
		t.Errorf("challenge %q/%q does not match verifier", q.Get("code_challenge_method"), q.Get("code_challenge"))
	}
	if strings.Contains(start.URL, start.Verifier) {
		t.Error("the verifier itself is in the authorize URL")
	}
}

func TestBeginRefusesIncompleteConfig(t *testing.T) {
	p := testProvider()
	p.ClientID = ""
	p.CertsURL = "/relative/jwks"
	_, err := Begin(p, "not a url")
	oe := wantReason(t, err, ReasonInvalidConfig)
	for _, want := range []string{"client_id is empty", "certs_url", "redirect URI"} {
		if !strings.Contains(oe.Message, want) {
			t.Errorf("message %q lacks %q: every problem should be reported at once", oe.Message, want)
		}
	}
}
