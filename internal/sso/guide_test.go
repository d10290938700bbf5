package sso_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/iam"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

var (
	hex32    = regexp.MustCompile(`^[0-9a-f]{32}$`)
	codeForm = regexp.MustCompile(`^cloudflare_dashboard_sso=[0-9a-f]{32}$`)
)

// TestGuideFlow is the integration guide's API half, step by step, with the
// official SDK and a token holding only "SSO Connector Write", as the guide
// tells the admin to create: create → enable refused → publish TXT →
// begin_verification → verified → enable → disable (lock-out recovery).
//
// It runs on every storage backend this machine offers.
func TestGuideFlow(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			var opts []apptest.Option
			if backend == store.Postgres {
				opts = append(opts, apptest.WithPostgres(t))
			}
			guideFlow(t, apptest.New(t, opts...))
		})
	}
}

func guideFlow(t *testing.T, env *apptest.Env) {
	ctx := context.Background()
	token := env.NewToken(env.AccountID, "SSO Connector Write")
	c := env.Client(token)
	acct := cloudflare.F(env.AccountID)

	created, err := c.IAM.SSO.New(ctx, iam.SSONewParams{AccountID: acct, EmailDomain: cloudflare.F("AcmeCorp.Company.")})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	raw := rawObject(t, created.JSON.RawJSON())
	for _, k := range []string{"id", "created_on", "updated_on", "email_domain", "enabled", "use_fedramp_language", "verification"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("create result lacks %q: %s", k, created.JSON.RawJSON())
		}
	}
	if !hex32.MatchString(created.ID) || created.EmailDomain != "acmecorp.company" || created.Enabled ||
		created.Verification.Status != "awaiting" || !codeForm.MatchString(created.Verification.Code) {
		t.Fatalf("unexpected connector: %s", created.JSON.RawJSON())
	}
	if raw["enabled"] != false || raw["use_fedramp_language"] != false {
		t.Errorf("booleans must be JSON booleans: %s", created.JSON.RawJSON())
	}
	code := created.Verification.Code

	// Enabling before verification: 400, naming the record to publish.
	_, err = c.IAM.SSO.Update(ctx, created.ID, iam.SSOUpdateParams{AccountID: acct, Enabled: cloudflare.F(true)})
	apiErr := asAPIError(t, err, http.StatusBadRequest)
	if msg := apiErr.Errors[0].Message; !strings.Contains(msg, code) || !strings.Contains(msg, "acmecorp.company") {
		t.Errorf("refusal does not name the TXT record: %q", msg)
	}

	// Before the record exists, begin_verification leaves it pending with a reason.
	if _, err := c.IAM.SSO.BeginVerification(ctx, created.ID, iam.SSOBeginVerificationParams{AccountID: acct}); err != nil {
		t.Fatalf("begin_verification: %v", err)
	}
	got, err := c.IAM.SSO.Get(ctx, created.ID, iam.SSOGetParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	if got.Verification.Status != "pending" {
		t.Fatalf("status after begin without record = %s", got.Verification.Status)
	}
	reason, _ := rawObject(t, got.JSON.RawJSON())["verification"].(map[string]any)["reason"].(string)
	if reason == "" {
		t.Errorf("pending connector gives no reason: %s", got.JSON.RawJSON())
	}

	env.Publish("acmecorp.company", code)
	res, err := c.IAM.SSO.BeginVerification(ctx, created.ID, iam.SSOBeginVerificationParams{AccountID: acct})
	if err != nil {
		t.Fatalf("begin_verification: %v", err)
	}
	if _, has := rawObject(t, res.JSON.RawJSON())["result"]; has {
		t.Errorf("begin_verification must answer without a result: %s", res.JSON.RawJSON())
	}
	got, err = c.IAM.SSO.Get(ctx, created.ID, iam.SSOGetParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	if got.Verification.Status != "verified" {
		t.Fatalf("status after publishing = %s: %s", got.Verification.Status, got.JSON.RawJSON())
	}
	ns := rawObject(t, got.JSON.RawJSON())["verification"].(map[string]any)["nameservers"].([]any)
	if len(ns) != 1 || ns[0].(map[string]any)["result"] != "found" {
		t.Errorf("name server answers not shown: %v", ns)
	}

	up, err := c.IAM.SSO.Update(ctx, created.ID, iam.SSOUpdateParams{AccountID: acct, Enabled: cloudflare.F(true)})
	if err != nil || !up.Enabled {
		t.Fatalf("enable: %v %+v", err, up)
	}
	// Lock-out recovery: the same token turns it off again.
	down, err := c.IAM.SSO.Update(ctx, created.ID, iam.SSOUpdateParams{AccountID: acct, Enabled: cloudflare.F(false)})
	if err != nil || down.Enabled {
		t.Fatalf("disable: %v %+v", err, down)
	}

	list, err := c.IAM.SSO.List(ctx, iam.SSOListParams{AccountID: acct})
	if err != nil || len(list.Result) != 1 || list.Result[0].ID != created.ID {
		t.Fatalf("list: %v %+v", err, list)
	}
	del, err := c.IAM.SSO.Delete(ctx, created.ID, iam.SSODeleteParams{AccountID: acct})
	if err != nil || del.ID != created.ID {
		t.Fatalf("delete: %v %+v", err, del)
	}
	_, err = c.IAM.SSO.Get(ctx, created.ID, iam.SSOGetParams{AccountID: acct})
	asAPIError(t, err, http.StatusNotFound)
}

// TestGuideCurl sends the guide's requests byte for byte as curl does
// (--json sets both Content-Type and Accept), host changed only.
func TestGuideCurl(t *testing.T) {
	env := apptest.New(t)
	create := env.Do("POST", "/accounts/"+env.AccountID+"/sso_connectors", env.Token, `{"email_domain":"acmecorp.company"}`)
	if create.Status != 200 || !strings.HasPrefix(create.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("create: %d %s", create.Status, create.Body)
	}
	body := create.JSON(t)
	if body["success"] != true || len(body["errors"].([]any)) != 0 || len(body["messages"].([]any)) != 0 {
		t.Fatalf("envelope: %s", create.Body)
	}
	result := body["result"].(map[string]any)
	id := result["id"].(string)
	code := result["verification"].(map[string]any)["code"].(string)
	env.Publish("acmecorp.company", code)
	if r := env.Do("POST", "/accounts/"+env.AccountID+"/sso_connectors/"+id+"/begin_verification", env.Token, nil); r.Status != 200 {
		t.Fatalf("begin_verification: %d %s", r.Status, r.Body)
	}
	patch := env.Do("PATCH", "/accounts/"+env.AccountID+"/sso_connectors/"+id, env.Token, `{"enabled": true}`)
	if patch.Status != 200 || patch.JSON(t)["result"].(map[string]any)["enabled"] != true {
		t.Fatalf("enable: %d %s", patch.Status, patch.Body)
	}
}

func rawObject(t *testing.T, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("raw JSON: %v: %s", err, raw)
	}
	return m
}

func asAPIError(t *testing.T, err error, status int) *cloudflare.Error {
	t.Helper()
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an API error with status %d, got %v", status, err)
	}
	if apiErr.StatusCode != status || len(apiErr.Errors) == 0 {
		t.Fatalf("want status %d with errors, got %d: %v", status, apiErr.StatusCode, err)
	}
	return apiErr
}
