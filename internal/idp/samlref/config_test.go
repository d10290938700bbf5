package samlref

import (
	"strings"
	"testing"
)

func TestNewRefusesBadConfig(t *testing.T) {
	good := func() Config {
		return Config{
			Issuer:           "http://127.0.0.1:9000",
			Users:            []User{alice},
			ServiceProviders: []SP{{EntityID: testACS, ACSURL: testACS}},
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no issuer", func(c *Config) { c.Issuer = "" }, "absolute http or https URL"},
		{"ftp issuer", func(c *Config) { c.Issuer = "ftp://h" }, "absolute http or https URL"},
		{"issuer query", func(c *Config) { c.Issuer = "http://h/?x=1" }, "no query"},
		{"issuer path chars", func(c *Config) { c.Issuer = "http://h/{x}" }, "path may only"},
		{"slug with slash", func(c *Config) { c.Slug = "a/b" }, `slug "a/b"`},
		{"mode", func(c *Config) { c.Mode = "HS256" }, `mode "HS256"`},
		{"duplicate user", func(c *Config) { c.Users = append(c.Users, alice) }, `user "alice": listed twice`},
		{"nameless user", func(c *Config) { c.Users = append(c.Users, User{}) }, "username is empty"},
		{"unknown auto-login user", func(c *Config) { c.AutoLogin = "carol" }, `auto-login user "carol"`},
		{"SP without entity ID", func(c *Config) { c.ServiceProviders = []SP{{ACSURL: testACS}} }, "entity ID is empty"},
		{"duplicate SP", func(c *Config) { c.ServiceProviders = append(c.ServiceProviders, c.ServiceProviders[0]) }, "listed twice"},
		{"relative ACS", func(c *Config) { c.ServiceProviders[0].ACSURL = "/cdn-cgi/access/callback" }, "not an absolute http(s) URL"},
		{"javascript ACS", func(c *Config) { c.ServiceProviders[0].ACSURL = "javascript:alert(1)" }, "not an absolute http(s) URL"},
		{"entity ID not a URL", func(c *Config) { c.EntityID = "http://h/a b" }, "round-trips"},
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
		cfg.Slug, cfg.Mode, cfg.Users = "a b", "none", append(cfg.Users, alice)
		_, err := New(cfg)
		for _, want := range []string{"slug", "mode", "listed twice"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v lacks %q", err, want)
			}
		}
	})
	t.Run("defaults", func(t *testing.T) {
		cfg := good()
		cfg.ServiceProviders = []SP{{EntityID: testACS}} // ACS defaults to the entity ID
		p, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if p.EntityID() != "http://127.0.0.1:9000/application/saml/ssogate/metadata/" || p.snapshot().mode != ModeSigned {
			t.Errorf("entity ID %q, mode %q", p.EntityID(), p.snapshot().mode)
		}
		if p.sps[testACS].ACSURL != testACS {
			t.Errorf("ACS URL = %q, want the entity ID", p.sps[testACS].ACSURL)
		}
		if p.keys.key.N.BitLen() != 2048 {
			t.Errorf("key is %d bits, want 2048", p.keys.key.N.BitLen())
		}
	})
	t.Run("issuer with a path", func(t *testing.T) {
		cfg := good()
		cfg.Issuer = "http://127.0.0.1:9000/idp/"
		p, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if p.SSOURL() != "http://127.0.0.1:9000/idp/application/saml/ssogate/sso/binding/redirect/" {
			t.Errorf("SSOURL = %q", p.SSOURL())
		}
	})
}
