package api_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/tokens"
)

// TestRequestIPBehindProxy: a token's request_ip condition is applied to
// the address ClientIP derives, end to end: X-Forwarded-For counts only
// when the peer (here loopback) is a configured trusted proxy.
func TestRequestIPBehindProxy(t *testing.T) {
	trustLoopback := func(c *config.Config, _ *app.Options) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	tests := []struct {
		name    string
		trusted bool
		xff     string
		status  int
	}{
		{"trusted proxy, allowed client", true, "203.0.113.9", 200},
		{"trusted proxy, spoofed left entry", true, "203.0.113.9, 198.51.100.1", 403},
		{"trusted proxy, other client", true, "198.51.100.1", 403},
		{"trusted proxy, garbage hop falls back to the proxy", true, "nonsense", 403},
		{"no trusted proxy: header ignored", false, "203.0.113.9", 403},
	}
	envs := map[bool]*apptest.Env{true: apptest.New(t, trustLoopback), false: apptest.New(t)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := envs[tc.trusted]
			body := map[string]any{"name": "office only", "condition": map[string]any{"request_ip": map[string]any{"in": []string{"203.0.113.0/24"}}},
				"policies": []any{map[string]any{"effect": "allow", "permission_groups": []any{map[string]any{"id": groupIDFor(t, tokens.SSORead)}},
					"resources": map[string]any{"com.cloudflare.api.account." + env.AccountID: "*"}}}}
			created := env.Do("POST", "/accounts/"+env.AccountID+"/tokens", env.Token, body)
			if created.Status != http.StatusOK {
				t.Fatalf("create: %d %s", created.Status, created.Body)
			}
			value := created.JSON(t)["result"].(map[string]any)["value"].(string)
			r := send(t, env, "GET", "/accounts/"+env.AccountID+"/sso_connectors",
				map[string]string{"Authorization": "Bearer " + value, "X-Forwarded-For": tc.xff}, nil)
			if tc.status == 200 {
				if r.Status != 200 {
					t.Errorf("%d %s", r.Status, r.Body)
				}
				return
			}
			failure(t, r, 403, 9109)
		})
	}
}

func groupIDFor(t *testing.T, name string) string {
	t.Helper()
	g, ok := tokens.GroupByName(name)
	if !ok {
		t.Fatalf("no group %q", name)
	}
	return g.ID
}
