package access_test

import (
	"context"
	"encoding/json"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"

	"github.com/ssogate/ssogate/internal/apptest"
)

// PUT /access/keys sets the account's rotation interval, through the SDK.
func TestKeysRotationIntervalAPI(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(env.Token)
	ctx := context.Background()
	acct := cloudflare.F(env.AccountID)
	got, err := c.ZeroTrust.Access.Keys.Update(ctx, zero_trust.AccessKeyUpdateParams{AccountID: acct, KeyRotationIntervalDays: cloudflare.F(30.0)})
	if err != nil {
		t.Fatal(err)
	}
	var view struct {
		Days int `json:"key_rotation_interval_days"`
		Next int `json:"days_until_next_rotation"`
	}
	if err := json.Unmarshal([]byte(got.JSON.RawJSON()), &view); err != nil || view.Days != 30 || view.Next < 29 || view.Next > 30 {
		t.Fatalf("update answer %s (%v)", got.JSON.RawJSON(), err)
	}
	r := env.Do("GET", "/accounts/"+env.AccountID+"/access/keys", env.Token, nil)
	if r.Status != 200 || r.JSON(t)["result"].(map[string]any)["key_rotation_interval_days"] != 30.0 {
		t.Fatalf("GET after PUT: %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{`{"key_rotation_interval_days":20}`, `{"key_rotation_interval_days":366}`,
		`{"key_rotation_interval_days":30.5}`, `{}`, `{"key_rotation_interval_days":"30"}`} {
		if r := env.Do("PUT", "/accounts/"+env.AccountID+"/access/keys", env.Token, bad); r.Status != 400 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	// Another account's token cannot change it.
	_, other := env.NewAccount("Other")
	if r := env.Do("PUT", "/accounts/"+env.AccountID+"/access/keys", other, `{"key_rotation_interval_days":21}`); r.Status != 403 && r.Status != 404 {
		t.Errorf("other account's token: %d", r.Status)
	}
}

// POST /access/apps/{id}/revoke_tokens, through the SDK (body-less POST).
func TestRevokeTokensAPI(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(env.Token)
	ctx := context.Background()
	r := env.Do("POST", "/accounts/"+env.AccountID+"/access/apps", env.Token,
		`{"type":"self_hosted","name":"Grafana","domain":"grafana.acmecorp.company"}`)
	if r.Status != 201 {
		t.Fatalf("create app: %d %s", r.Status, r.Body)
	}
	id := r.JSON(t)["result"].(map[string]any)["id"].(string)
	if _, err := c.ZeroTrust.Access.Applications.RevokeTokens(ctx, zero_trust.AppIDParam(id),
		zero_trust.AccessApplicationRevokeTokensParams{AccountID: cloudflare.F(env.AccountID)}); err != nil {
		t.Fatalf("revoke_tokens: %v", err)
	}
	_, err := c.ZeroTrust.Access.Applications.RevokeTokens(ctx, zero_trust.AppIDParam("0b5c5e2c-5a9e-4b8e-9d7e-7c5c1f0e9a11"),
		zero_trust.AccessApplicationRevokeTokensParams{AccountID: cloudflare.F(env.AccountID)})
	wantError(t, err, 404, "was not found")
}
