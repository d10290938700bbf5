package dashboard_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/apptest"
)

var (
	shownSecretRE   = regexp.MustCompile(`id="service-token-client-secret">([0-9a-f]{64})<`)
	shownClientIDRE = regexp.MustCompile(`id="service-token-client-id">([0-9a-f]{32}\.access)<`)
)

// TestServiceTokensPage: create (secret shown once), rotate (new secret
// shown once, the old one refused at once), refresh and delete from the
// dashboard, with CSRF like every form.
func TestServiceTokensPage(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	base := "/" + env.AccountID + "/access/service-tokens"
	ctx := context.Background()
	snap := access.NewSnapshot(env.App.Access, env.App.Feed)

	if p := b.get("/" + env.AccountID + "/access"); !strings.Contains(p.Body, `href="`+base+`"`) {
		t.Fatalf("the Access page does not link the service tokens: %s", p.Body)
	}
	p := b.get(base)
	if p.Status != 200 || !strings.Contains(p.Body, "No service tokens yet") || !strings.Contains(p.Body, `id="create-service-token-button"`) {
		t.Fatalf("empty page: %d %s", p.Status, p.Body)
	}
	if r := b.post(base, url.Values{"name": {"CI"}, "duration": {"8760h"}, "csrf": {"forged"}}); r.Status != 403 {
		t.Errorf("create without the page's CSRF token: %d", r.Status)
	}
	refusedForm(t, env, "bad duration", b.post(base, url.Values{"name": {"CI"}, "duration": {"1y"}}), `id="service-token-name"`, "duration must be")
	refusedForm(t, env, "no name", b.post(base, url.Values{"name": {" "}, "duration": {"8760h"}}), `id="service-token-name"`, "name must be")

	created := b.post(base, url.Values{"name": {"CI deploy"}, "duration": {"720h"}})
	secret, clientID := shownSecretRE.FindStringSubmatch(created.Body), shownClientIDRE.FindStringSubmatch(created.Body)
	if created.Status != 200 || secret == nil || clientID == nil || !strings.Contains(created.Body, "will not be shown again") {
		t.Fatalf("created page: %d %s", created.Status, created.Body)
	}
	tok, err := snap.CheckServiceToken(ctx, env.AccountID, clientID[1], secret[1])
	if err != nil || tok.Name != "CI deploy" || tok.Duration != "720h" {
		t.Fatalf("the shown credentials: %+v %v", tok, err)
	}
	list := b.get(base)
	if !strings.Contains(list.Body, clientID[1]) || strings.Contains(list.Body, secret[1]) || !strings.Contains(list.Body, `id="service-token-`+tok.ID+`"`) {
		t.Errorf("list: shows the client id, never the secret: %s", list.Body)
	}

	rotated := b.post(base+"/"+tok.ID+"/rotate", nil)
	newSecret := shownSecretRE.FindStringSubmatch(rotated.Body)
	if rotated.Status != 200 || newSecret == nil || newSecret[1] == secret[1] || !strings.Contains(rotated.Body, "previous secret no longer works") {
		t.Fatalf("rotated page: %d %s", rotated.Status, rotated.Body)
	}
	if _, err := snap.CheckServiceToken(ctx, env.AccountID, clientID[1], secret[1]); !errors.Is(err, access.ErrServiceTokenSecret) {
		t.Errorf("the rotated-away secret: %v", err)
	}
	if _, err := snap.CheckServiceToken(ctx, env.AccountID, clientID[1], newSecret[1]); err != nil {
		t.Errorf("the new secret: %v", err)
	}

	b.get(base)
	if r := b.post(base+"/"+tok.ID+"/refresh", nil); r.Status != 303 || r.Location != base+"?done=service_token_refreshed" {
		t.Errorf("refresh: %d %q", r.Status, r.Location)
	}
	if r := b.post(base+"/"+tok.ID+"/delete", nil); r.Status != 303 || r.Location != base+"?done=service_token_deleted" {
		t.Errorf("delete: %d %q", r.Status, r.Location)
	}
	if _, err := snap.CheckServiceToken(ctx, env.AccountID, clientID[1], newSecret[1]); !errors.Is(err, access.ErrServiceTokenUnknown) {
		t.Errorf("the deleted token: %v", err)
	}
	if p := b.get(base + "?done=service_token_deleted"); !strings.Contains(p.Body, "Service token deleted") || !strings.Contains(p.Body, "No service tokens yet") {
		t.Errorf("after delete: %s", p.Body)
	}
	for _, action := range []string{"access_service_token_create", "access_service_token_rotate", "access_service_token_refresh", "access_service_token_delete"} {
		if r := env.Do("GET", "/accounts/"+env.AccountID+"/audit_logs?action.type="+action, env.Token, nil); !strings.Contains(string(r.Body), tok.ID) {
			t.Errorf("no %s audit entry: %s", action, r.Body)
		}
	}
}

// TestServiceTokensReadOnlyAndOtherAccounts: a read-only member sees the
// list and no action; another account's token id is not found.
func TestServiceTokensReadOnlyAndOtherAccounts(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	mine, err := env.App.Access.CreateServiceToken(ctx, env.AccountID, access.ServiceTokenInput{Name: ptr("mine")})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := env.NewAccount("Other Corp")
	theirs, err := env.App.Access.CreateServiceToken(ctx, other, access.ServiceTokenInput{Name: ptr("theirs")})
	if err != nil {
		t.Fatal(err)
	}
	addMember(t, env, env.AccountID, "reader@corp.example.com", "reader's long password", accounts.RoleReadOnly)
	reader := newBrowser(t, env)
	reader.passwordLogin("reader@corp.example.com", "reader's long password")
	base := "/" + env.AccountID + "/access/service-tokens"
	p := reader.get(base)
	if p.Status != 200 || !strings.Contains(p.Body, mine.ClientID) || !strings.Contains(p.Body, `id="service-tokens-read-only"`) {
		t.Fatalf("read-only page: %d %s", p.Status, p.Body)
	}
	for _, s := range []string{"create-service-token", "/rotate", "/refresh", "/delete"} {
		if strings.Contains(p.Body, s) {
			t.Errorf("read-only member sees %q", s)
		}
	}
	for _, path := range []string{"", "/" + mine.ID + "/rotate", "/" + mine.ID + "/refresh", "/" + mine.ID + "/delete"} {
		if r := reader.post(base+path, url.Values{"name": {"x"}, "duration": {"8760h"}}); r.Status != 403 {
			t.Errorf("read-only POST %s: %d", path, r.Status)
		}
	}

	admin := newBrowser(t, env)
	admin.passwordLogin(adminEmail, adminPassword)
	admin.get(base)
	for _, action := range []string{"rotate", "refresh", "delete"} {
		if r := admin.post(base+"/"+theirs.ID+"/"+action, nil); r.Status != 404 || shownSecretRE.MatchString(r.Body) {
			t.Errorf("%s another account's token: %d", action, r.Status)
		}
	}
	if got, err := env.App.Access.GetServiceToken(ctx, other, theirs.ID); err != nil || got.ClientSecretVersion != 1 {
		t.Errorf("the other account's token changed: %+v %v", got, err)
	}
	if got, err := env.App.Access.GetServiceToken(ctx, env.AccountID, mine.ID); err != nil || got.ClientSecretVersion != 1 {
		t.Errorf("read-only posts changed the token: %+v %v", got, err)
	}
}

// TestServiceAuthPolicyFromDashboard: the policy form offers Service Auth
// with the account's service tokens and builds the rules the API takes.
func TestServiceAuthPolicyFromDashboard(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	ci, err := env.App.Access.CreateServiceToken(ctx, env.AccountID, access.ServiceTokenInput{Name: ptr("CI")})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	base := "/" + env.AccountID + "/access"
	form := b.get(base + "/policies/new")
	if form.Status != 200 || !strings.Contains(form.Body, `value="non_identity"`) || !strings.Contains(form.Body, `id="policy-token-`+ci.ID+`"`) {
		t.Fatalf("policy form: %d %s", form.Status, form.Body)
	}
	refusedForm(t, env, "an email rule in a Service Auth policy", b.post(base+"/policies", url.Values{"name": {"CI"},
		"decision": {"non_identity"}, "emails": {"kim@acmecorp.company"}}), `id="policy-service-tokens"`, "cannot be used in a non_identity policy")
	refusedForm(t, env, "a service token in an allow policy", b.post(base+"/policies", url.Values{"name": {"CI"},
		"decision": {"allow"}, "service_tokens": {ci.ID}}), `id="policy-token-`+ci.ID+`" name="service_tokens" value="`+ci.ID+`" type="checkbox" checked`, "cannot be used in an allow policy")
	if p := b.post(base+"/policies", url.Values{"name": {"CI"}, "decision": {"non_identity"}, "service_tokens": {ci.ID},
		"any_valid_service_token": {"on"}}); p.Status != 303 {
		t.Fatalf("create Service Auth policy: %d %s", p.Status, p.Body)
	}
	pols, err := env.App.Access.ListPolicies(ctx, env.AccountID)
	if err != nil || len(pols) != 1 || pols[0].Decision != "non_identity" || len(pols[0].Include) != 2 ||
		pols[0].Include[0].Type != "any_valid_service_token" || pols[0].Include[1].Type != "service_token" {
		t.Fatalf("policies: %+v %v", pols, err)
	}
}
