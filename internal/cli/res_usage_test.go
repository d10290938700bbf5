package cli_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResourceUsageErrors: every mistake in the command line of the
// resource commands exits 2 with a message saying what is wrong, and not
// one request reaches the server.
func TestResourceUsageErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	env := ts.env()
	dir := t.TempDir()
	empty, notPEM := filepath.Join(dir, "empty"), filepath.Join(dir, "not.pem")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const uuid = "0b7c1f2e-4d5a-4c3b-9e8f-0123456789ab"
	const hex = "0123456789abcdef0123456789abcdef"
	oidc := []string{"access", "idp", "add-oidc", "--name", "a", "--client-id", "c", "--client-secret-file", empty,
		"--auth-url", "https://i.example/a", "--token-url", "https://i.example/t", "--certs-url", "https://i.example/j"}
	policy := []string{"access", "policy", "add", "--name", "p", "--decision", "allow"}
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		wants []string
	}{
		{"token list with an argument", env, []string{"token", "list", "all"}, []string{`unexpected argument "all"`}},
		{"token list without a token", with(env, "CLOUDFLARE_API_TOKEN", ""), []string{"token", "list"}, []string{"export CLOUDFLARE_API_TOKEN="}},
		{"token list without an account", with(env, "CLOUDFLARE_ACCOUNT_ID", ""), []string{"token", "list"}, []string{"export CLOUDFLARE_ACCOUNT_ID="}},
		{"token create without a permission", env, []string{"token", "create", "--name", "x"}, []string{"at least one --permission"}},
		{"token create with a bad ip", env, []string{"token", "create", "--permission", "SSO Connector Read", "--ip-allow", "10.0.0.0/33"}, []string{`"10.0.0.0/33" is not an IP address`}},
		{"token create with a bad expiry", env, []string{"token", "create", "--permission", "SSO Connector Read", "--expires-on", "soon"}, []string{"--expires-on", `"soon"`}},
		{"token create expiring in the past", env, []string{"token", "create", "--permission", "SSO Connector Read", "--expires-on", "2001-01-01"}, []string{"is in the past"}},
		{"token roll without an id", env, []string{"token", "roll"}, []string{"give exactly one API token id"}},
		{"token roll with a malformed id", env, []string{"token", "roll", "../user"}, []string{`API token id "../user" is malformed`}},
		{"token delete with two ids", env, []string{"token", "delete", hex, hex}, []string{"got 2 arguments"}},
		{"member add without a role", env, []string{"member", "add", "kim@acmecorp.company"}, []string{"--role"}},
		{"member add without an address", env, []string{"member", "add", "--role", "Administrator"}, []string{"exactly one e-mail address"}},
		{"member add with a bad address", env, []string{"member", "add", "kim", "--role", "Administrator"}, []string{`"kim" is not an e-mail address`}},
		{"member add with a bad status", env, []string{"member", "add", "kim@acmecorp.company", "--role", "Administrator", "--status", "active"}, []string{`--status "active"`, "accepted, pending"}},
		{"member list with a bad status", env, []string{"member", "list", "--status", "gone"}, []string{`--status "gone"`}},
		{"member remove with a UUID", env, []string{"member", "remove", uuid}, []string{`member id "` + uuid + `" is malformed`}},
		{"member remove without an id", with(env, "CLOUDFLARE_SSO_CONNECTOR_ID", hex), []string{"member", "remove"}, []string{"give exactly one member id"}},
		{"audit list with a bad since", env, []string{"audit", "list", "--since", "yesterday"}, []string{"--since", `"yesterday"`}},
		{"audit list with a bad ip", env, []string{"audit", "list", "--actor-ip", "10.0.0"}, []string{`--actor-ip "10.0.0"`}},
		{"audit list with a bad limit", env, []string{"audit", "list", "--limit", "5000"}, []string{"--limit 5000"}},
		{"audit list with a bad direction", env, []string{"audit", "list", "--direction", "up"}, []string{`--direction "up"`}},
		{"org set with nothing", env, []string{"access", "org", "set"}, []string{"nothing to set"}},
		{"org get with an argument", env, []string{"access", "org", "get", "acme"}, []string{`unexpected argument "acme"`}},
		{"idp add-oidc with a secret in argv", env, []string{"access", "idp", "add-oidc", "--client-secret", "s"}, []string{"--client-secret-file"}},
		{"idp add-oidc missing flags", env, []string{"access", "idp", "add-oidc", "--name", "a"}, []string{"missing --client-id, --client-secret-file, --auth-url"}},
		{"idp add-oidc with an empty secret file", env, oidc, []string{"is empty"}},
		{"idp add-oidc with a bad url", env, append(oidc[:len(oidc):len(oidc)], "--auth-url", "idp.example/a"), []string{`--auth-url "idp.example/a"`}},
		{"idp add-saml without a certificate", env, []string{"access", "idp", "add-saml", "--name", "s", "--sso-target-url", "https://s.example/", "--issuer-url", "e"}, []string{"missing --idp-public-cert-file"}},
		{"idp add-saml with a file that is no certificate", env, []string{"access", "idp", "add-saml", "--name", "s", "--sso-target-url", "https://s.example/", "--issuer-url", "e", "--idp-public-cert-file", notPEM}, []string{"no PEM CERTIFICATE block"}},
		{"idp delete with a hex id", env, []string{"access", "idp", "delete", hex}, []string{`identity provider id "` + hex + `" is malformed`, "UUID"}},
		{"app add without a domain", env, []string{"access", "app", "add", "--name", "g"}, []string{"missing --domain"}},
		{"app add with a bad policy id", env, []string{"access", "app", "add", "--name", "g", "--domain", "g.example", "--policy", "Employees"}, []string{`Access policy id "Employees" is malformed`}},
		{"app delete without an id", env, []string{"access", "app", "delete"}, []string{"give exactly one Access application id"}},
		{"policy add without include", env, policy, []string{"at least one --include", "A rule is TYPE or TYPE=VALUE"}},
		{"policy add with an unknown decision", env, []string{"access", "policy", "add", "--name", "p", "--decision", "permit", "--include", "everyone"}, []string{`--decision "permit"`}},
		{"policy add with an unknown rule", env, append(policy, "--include", "geo=US"), []string{`unknown rule type "geo"`}},
		{"policy add with a rule missing its value", env, append(policy, "--include", "email="), []string{"email needs a value"}},
		{"policy add with a value on everyone", env, append(policy, "--include", "everyone=yes"), []string{"everyone takes no value"}},
		{"policy add with a bad exclude", env, append(policy, "--include", "everyone", "--exclude", "ip=nowhere"), []string{`--exclude "ip=nowhere"`}},
		{"policy add with a client id for a service token", env, append(policy, "--include", "service_token="+hex+".access"), []string{"not a service token id"}},
		{"policy delete with a malformed id", env, []string{"access", "policy", "delete", "p1"}, []string{`Access policy id "p1" is malformed`}},
		{"unknown access command", env, []string{"access", "group", "list"}, []string{`unknown command "group"`, "policy add"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 2, tt.env, tt.args...)
			contains(t, "stderr", r.stderr, tt.wants...)
		})
	}
	if n := len(ts.seen()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}
