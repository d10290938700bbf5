package refop

import (
	"strings"
	"testing"
)

func TestNewRefusesBadConfig(t *testing.T) {
	good := func() Config {
		return Config{
			Issuer:  "http://127.0.0.1:9000",
			Users:   []User{alice},
			Clients: []Client{{ID: testClientID, Secret: testSecret, RedirectURIs: []string{testRedirect}}},
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no issuer", func(c *Config) { c.Issuer = "" }, "absolute http or https URL"},
		{"relative issuer", func(c *Config) { c.Issuer = "/idp" }, "absolute http or https URL"},
		{"ftp issuer", func(c *Config) { c.Issuer = "ftp://h" }, "absolute http or https URL"},
		{"issuer query", func(c *Config) { c.Issuer = "http://h/?x=1" }, "no query"},
		{"issuer path chars", func(c *Config) { c.Issuer = "http://h/{x}" }, "path may only"},
		{"reserved slug", func(c *Config) { c.Slug = "token" }, `slug "token"`},
		{"slug with slash", func(c *Config) { c.Slug = "a/b" }, `slug "a/b"`},
		{"signing mode", func(c *Config) { c.Signing = "PS256" }, `signing mode "PS256"`},
		{"duplicate user", func(c *Config) { c.Users = append(c.Users, alice) }, `user "alice": listed twice`},
		{"nameless user", func(c *Config) { c.Users = append(c.Users, User{}) }, "username is empty"},
		{"duplicate client", func(c *Config) { c.Clients = append(c.Clients, c.Clients[0]) }, "listed twice"},
		{"client without redirect", func(c *Config) { c.Clients[0].RedirectURIs = nil }, "no redirect URI"},
		{"relative redirect", func(c *Config) { c.Clients[0].RedirectURIs = []string{"/cb"} }, "not an absolute URI"},
		{"unknown auto-login user", func(c *Config) { c.AutoLogin = "carol" }, `auto-login user "carol"`},
		{"javascript redirect", func(c *Config) { c.Clients[0].RedirectURIs = []string{"javascript:alert(1)"} }, "is refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
			tc.mutate(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	t.Run("every problem reported", func(t *testing.T) {
		cfg := good()
		cfg.Slug, cfg.Signing, cfg.Users = "revoke", "none", append(cfg.Users, alice)
		_, err := New(cfg)
		for _, want := range []string{"slug", "signing mode", "listed twice"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v lacks %q", err, want)
			}
		}
	})
	t.Run("defaults", func(t *testing.T) {
		p, err := New(good())
		if err != nil {
			t.Fatal(err)
		}
		if p.IssuerURL() != "http://127.0.0.1:9000/application/o/ssogate/" || p.signing != SigningRS256 {
			t.Errorf("issuer %q, signing %q", p.IssuerURL(), p.signing)
		}
		if sub, ok := p.Subject("alice"); !ok || sub != p.store.hashedID("1") {
			t.Errorf("Subject(alice) = %q, %v", sub, ok)
		}
		if _, ok := p.Subject("nobody"); ok {
			t.Error("Subject(nobody) found")
		}
	})
}
