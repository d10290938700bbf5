package cli_test

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTokenVerify(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		endpoint string
	}{
		{"account scoped", ts.env(), nil, "GET /accounts/" + ts.account + "/tokens/verify"},
		{"user", with(ts.env(), "CLOUDFLARE_ACCOUNT_ID", ""), nil, "GET /user/tokens/verify"},
		{"token file", with(ts.env(), "CLOUDFLARE_API_TOKEN", ""), []string{"--token-file", file}, "/tokens/verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 0, tt.env, append([]string{"token", "verify"}, tt.args...)...)
			contains(t, "token verify", r.stdout, ts.tokenID, "active", tt.endpoint)
		})
	}

	got := decode[map[string]any](t, must(t, 0, ts.env(), "token", "verify", "--json").stdout)
	if got["id"] != ts.tokenID || got["status"] != "active" {
		t.Errorf("token verify --json = %v, want id %s active", got, ts.tokenID)
	}

	r := must(t, 1, with(ts.env(), "CLOUDFLARE_API_TOKEN", "y234567890123456789012345678901234567890"), "token", "verify")
	contains(t, "token verify with a wrong token", r.stderr, "Invalid API Token")
}
