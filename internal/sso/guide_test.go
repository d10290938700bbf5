package sso_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/iam"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

var (
	hex32    = regexp.MustCompile(`^[0-9a-f]{32}$`)
	codeForm = regexp.MustCompile(`^cloudflare_dashboard_sso=[0-9a-f]{32}$`)
	// microsRFC3339 is how every time is written (docs/api.md).
	microsRFC3339 = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$`)
)

// TestGuideFlow is the integration guide's API half, step by step, with the
// official SDK and a token holding only "SSO Connector Write", as the guide
// tells the admin to create: create (pending) → enable refused, naming the
// record → publish TXT → enable, which checks DNS itself → disable
// (lock-out recovery) → list → delete. Then the begin_verification path:
// created awaiting, started by hand.
//
// It runs on every storage backend this machine offers.
func TestGuideFlow(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			var opts []apptest.Option
			if backend == store.Postgres {
				opts = append(opts, apptest.WithPostgres(t))
			}
			env := apptest.New(t, opts...)
			guideFlow(t, env)
			awaitingFlow(t, env)
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
		created.Verification.Status != "pending" || !codeForm.MatchString(created.Verification.Code) {
		t.Fatalf("unexpected connector: %s", created.JSON.RawJSON())
	}
	if raw["enabled"] != false || raw["use_fedramp_language"] != false {
		t.Errorf("booleans must be JSON booleans: %s", created.JSON.RawJSON())
	}
	code := created.Verification.Code

	// Enabling before the record exists: 400, naming the record to publish
	// and what the name server answered.
	_, err = c.IAM.SSO.Update(ctx, created.ID, iam.SSOUpdateParams{AccountID: acct, Enabled: cloudflare.F(true)})
	apiErr := asAPIError(t, err, http.StatusBadRequest)
	msg := apiErr.Errors[0].Message
	for _, want := range []string{code, "acmecorp.company", env.DNS.Addr() + ": "} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal lacks %q: %q", want, msg)
		}
	}
	got, err := c.IAM.SSO.Get(ctx, created.ID, iam.SSOGetParams{AccountID: acct})
	if err != nil || got.Verification.Status != "pending" || got.Enabled {
		t.Fatalf("after the refused enable: %v %s", err, got.JSON.RawJSON())
	}

	// The guide's step 8: the record is published, PATCH enabled:true.
	env.Publish("acmecorp.company", code)
	up, err := c.IAM.SSO.Update(ctx, created.ID, iam.SSOUpdateParams{AccountID: acct, Enabled: cloudflare.F(true)})
	if err != nil || !up.Enabled || up.Verification.Status != "verified" {
		t.Fatalf("enable: %v %s", err, up.JSON.RawJSON())
	}
	ns := rawObject(t, up.JSON.RawJSON())["verification"].(map[string]any)["nameservers"].([]any)
	if len(ns) != 1 || ns[0].(map[string]any)["result"] != "found" {
		t.Errorf("name server answers not shown: %v", ns)
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

// awaitingFlow: begin_verification false is the only way to "awaiting";
// begin_verification then starts the checks, and answers without a result.
func awaitingFlow(t *testing.T, env *apptest.Env) {
	ctx := context.Background()
	c := env.Client(env.NewToken(env.AccountID, "SSO Connector Write"))
	acct := cloudflare.F(env.AccountID)
	created, err := c.IAM.SSO.New(ctx, iam.SSONewParams{AccountID: acct, EmailDomain: cloudflare.F("later.example.com"),
		BeginVerification: cloudflare.F(false)})
	if err != nil || created.Verification.Status != "awaiting" {
		t.Fatalf("create with begin_verification false: %v %s", err, created.JSON.RawJSON())
	}
	res, err := c.IAM.SSO.BeginVerification(ctx, created.ID, iam.SSOBeginVerificationParams{AccountID: acct})
	if err != nil {
		t.Fatalf("begin_verification: %v", err)
	}
	if _, has := rawObject(t, res.JSON.RawJSON())["result"]; has {
		t.Errorf("begin_verification must answer without a result: %s", res.JSON.RawJSON())
	}
	got, err := c.IAM.SSO.Get(ctx, created.ID, iam.SSOGetParams{AccountID: acct})
	if err != nil || got.Verification.Status != "pending" {
		t.Fatalf("after begin_verification without a record: %v %s", err, got.JSON.RawJSON())
	}
	reason, _ := rawObject(t, got.JSON.RawJSON())["verification"].(map[string]any)["reason"].(string)
	if reason == "" {
		t.Errorf("pending connector gives no reason: %s", got.JSON.RawJSON())
	}
	env.Publish("later.example.com", created.Verification.Code)
	if _, err := c.IAM.SSO.BeginVerification(ctx, created.ID, iam.SSOBeginVerificationParams{AccountID: acct}); err != nil {
		t.Fatal(err)
	}
	got, err = c.IAM.SSO.Get(ctx, created.ID, iam.SSOGetParams{AccountID: acct})
	if err != nil || got.Verification.Status != "verified" {
		t.Fatalf("after publishing and begin_verification: %v %s", err, got.JSON.RawJSON())
	}
}

// guidePath is the integration guide, as shared/seed has it (the copy in
// testdata is checked against it by TestGuideCopyIsCurrent).
const guidePath = "testdata/cloudflare-dashboard-sso-with-authentik.md"

// TestGuideCurl runs the guide's shell blocks with bash and curl exactly as
// the guide writes them, but for the host: export the token and account →
// create the connector (pending) → publish the TXT record → export the
// connector id → PATCH enabled:true, which must succeed with no other call
// → the lock-out recovery, the same PATCH with false. The guide's
// <placeholders> are filled with this server's values, as a reader would.
func TestGuideCurl(t *testing.T) {
	apptest.NeedCommand(t, "curl", "apt-get install -y curl")
	raw, err := os.ReadFile(guidePath)
	if err != nil {
		t.Fatal(err)
	}
	env := apptest.New(t)
	guide := strings.ReplaceAll(string(raw), "https://api.cloudflare.com/client/v4", env.APIURL)
	blocks := apptest.ShellBlocks(guide)
	if len(blocks) != 4 || !strings.Contains(blocks[1], "--request POST") || !strings.Contains(blocks[3], "--request PATCH") {
		t.Fatalf("the guide's shell blocks changed; expected exports, create, export, enable: %q", blocks)
	}
	token := env.NewToken(env.AccountID, "SSO Connector Write") // step 3: "SSO Connector: Edit"
	exports := strings.NewReplacer("<your_api_token>", token, "<your_account_id>", env.AccountID).Replace(blocks[0])
	run := func(script string) map[string]any {
		t.Helper()
		out := apptest.Bash(t, t.TempDir(), nil, 30*time.Second, exports+"\n"+script)
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil || m["success"] != true {
			t.Fatalf("not a successful v4 response (%v): %s\n--- script\n%s", err, out, script)
		}
		return m
	}

	created := run(blocks[1])["result"].(map[string]any)
	verification := created["verification"].(map[string]any)
	if next, _ := verification["next_check_on"].(string); !microsRFC3339.MatchString(next) {
		t.Errorf("next_check_on %q is not RFC 3339 with microseconds, like every other time", next)
	}
	if created["enabled"] != false || verification["status"] != "pending" || !codeForm.MatchString(verification["code"].(string)) {
		t.Fatalf("create must answer as the guide shows (enabled false, status pending): %v", created)
	}
	env.Publish("acmecorp.company", verification["code"].(string)) // step 6
	setID := strings.ReplaceAll(blocks[2], "<your_sso_connector_id>", created["id"].(string))

	enabled := run(setID + "\n" + blocks[3])["result"].(map[string]any)
	if enabled["enabled"] != true || enabled["verification"].(map[string]any)["status"] != "verified" {
		t.Fatalf("enable: %v", enabled)
	}
	disable := strings.Replace(blocks[3], `{"enabled": true}`, `{"enabled": false}`, 1)
	if disabled := run(setID + "\n" + disable)["result"].(map[string]any); disabled["enabled"] != false {
		t.Fatalf("disable: %v", disabled)
	}
}

// TestGuideCopyIsCurrent keeps testdata's copy of the guide identical to
// shared/seed, where the checkout has it beside it (CI does).
func TestGuideCopyIsCurrent(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "seed", filepath.Base(guidePath)))
	if errors.Is(err, os.ErrNotExist) && os.Getenv("CI") == "" {
		t.Skip("shared/seed is not beside this checkout")
	}
	if err != nil {
		t.Fatal(err)
	}
	copied, err := os.ReadFile(guidePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(seed, copied) {
		t.Fatalf("%s differs from shared/seed: copy the new guide and make TestGuideCurl pass with it", guidePath)
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
