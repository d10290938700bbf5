package access_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/store/storetest"
	"github.com/ssogate/ssogate/internal/tokens"
)

var (
	clientIDForm     = regexp.MustCompile(`^[0-9a-f]{32}\.access$`)
	clientSecretForm = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// serviceTokenKeys are the fields every answer carries, the secret aside.
var serviceTokenKeys = []string{"client_id", "client_secret_version", "created_at", "duration", "expires_at", "id",
	"last_seen_at", "name", "updated_at"}

// checkServiceTokenShape asserts Cloudflare's shape; withSecret says
// whether client_secret must be there (create, rotate) or must not.
func checkServiceTokenShape(t testing.TB, raw string, withSecret bool) map[string]any {
	t.Helper()
	m := object(t, raw)
	for _, k := range serviceTokenKeys {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, raw)
		}
	}
	if id, _ := m["id"].(string); !uuidForm.MatchString(id) {
		t.Errorf("id %v is not a UUID", m["id"])
	}
	if cid, _ := m["client_id"].(string); !clientIDForm.MatchString(cid) {
		t.Errorf("client_id %v is not 32 hex + .access", m["client_id"])
	}
	if !isTime(m["created_at"]) || !isTime(m["updated_at"]) {
		t.Errorf("created_at %v, updated_at %v", m["created_at"], m["updated_at"])
	}
	secret, has := m["client_secret"].(string)
	switch {
	case withSecret && !clientSecretForm.MatchString(secret):
		t.Errorf("client_secret %q is not 64 hex", secret)
	case !withSecret && has:
		t.Errorf("client_secret shown outside create and rotate: %s", raw)
	}
	if strings.Contains(raw, "hash") {
		t.Errorf("the answer mentions a hash: %s", raw)
	}
	return m
}

// TestServiceTokenLifecycle drives every route with the official SDK and
// checks the raw JSON: the secret appears in the create and rotate answers
// only, and the stored rows and the audit log never hold it.
func TestServiceTokenLifecycle(t *testing.T) {
	t.Parallel()
	clock := apptest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	env := apptest.New(t, apptest.WithNow(clock.Now))
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	svc := c.ZeroTrust.Access.ServiceTokens

	var resp *http.Response
	created, err := svc.New(ctx, zero_trust.AccessServiceTokenNewParams{AccountID: acct, Name: cloudflare.F("CI deploy")}, status(&resp))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if resp.StatusCode != 201 {
		t.Errorf("create status %d, want 201", resp.StatusCode)
	}
	m := checkServiceTokenShape(t, created.JSON.RawJSON(), true)
	if created.Duration != "8760h" || m["expires_at"] != "2027-03-01T12:00:00Z" || m["last_seen_at"] != nil || m["client_secret_version"] != float64(1) {
		t.Errorf("create defaults: %s", created.JSON.RawJSON())
	}
	secrets := []string{created.ClientSecret}

	got, err := svc.Get(ctx, created.ID, zero_trust.AccessServiceTokenGetParams{AccountID: acct})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	checkServiceTokenShape(t, got.JSON.RawJSON(), false)
	if got.ClientID != created.ClientID || got.Name != "CI deploy" || !got.ExpiresAt.Equal(clock.Now().Add(8760*time.Hour)) {
		t.Errorf("get: %s", got.JSON.RawJSON())
	}

	clock.Advance(time.Second)
	short, err := svc.New(ctx, zero_trust.AccessServiceTokenNewParams{AccountID: acct, Name: cloudflare.F("cron"), Duration: cloudflare.F("720h")})
	if err != nil || short.Duration != "720h" {
		t.Fatalf("create with a duration: %v %+v", err, short)
	}
	secrets = append(secrets, short.ClientSecret)
	page, err := svc.List(ctx, zero_trust.AccessServiceTokenListParams{AccountID: acct})
	if err != nil || len(page.Result) != 2 || page.Result[0].ID != created.ID || page.Result[1].ID != short.ID {
		t.Fatalf("list: %v %s", err, page.JSON.RawJSON())
	}
	for _, r := range page.Result {
		checkServiceTokenShape(t, r.JSON.RawJSON(), false)
	}
	if strings.Contains(page.JSON.RawJSON(), "client_secret\"") {
		t.Errorf("list shows a secret: %s", page.JSON.RawJSON())
	}
	if p, err := svc.List(ctx, zero_trust.AccessServiceTokenListParams{AccountID: acct, Search: cloudflare.F("CRO")}); err != nil || len(p.Result) != 1 || p.Result[0].ID != short.ID {
		t.Errorf("search: %v %s", err, p.JSON.RawJSON())
	}

	clock.Advance(time.Hour - time.Second)
	updated, err := svc.Update(ctx, created.ID, zero_trust.AccessServiceTokenUpdateParams{AccountID: acct,
		Name: cloudflare.F("CI deploy (prod)"), Duration: cloudflare.F("48h")})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	checkServiceTokenShape(t, updated.JSON.RawJSON(), false)
	if updated.Name != "CI deploy (prod)" || updated.Duration != "48h" || !updated.ExpiresAt.Equal(clock.Now().Add(48*time.Hour)) || updated.ClientID != created.ClientID {
		t.Errorf("update (a new duration counts from now): %s", updated.JSON.RawJSON())
	}

	clock.Advance(24 * time.Hour)
	refreshed, err := svc.Refresh(ctx, created.ID, zero_trust.AccessServiceTokenRefreshParams{AccountID: acct})
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	checkServiceTokenShape(t, refreshed.JSON.RawJSON(), false)
	if !refreshed.ExpiresAt.Equal(clock.Now().Add(48 * time.Hour)) {
		t.Errorf("refresh: expires_at %s, want now + 48h", refreshed.ExpiresAt)
	}

	rotated, err := svc.Rotate(ctx, created.ID, zero_trust.AccessServiceTokenRotateParams{AccountID: acct})
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	rm := checkServiceTokenShape(t, rotated.JSON.RawJSON(), true)
	if rotated.ClientSecret == created.ClientSecret || rotated.ClientID != created.ClientID || rm["client_secret_version"] != float64(2) {
		t.Errorf("rotate: %s", rotated.JSON.RawJSON())
	}
	secrets = append(secrets, rotated.ClientSecret)
	if got, _ := svc.Get(ctx, created.ID, zero_trust.AccessServiceTokenGetParams{AccountID: acct}); strings.Contains(got.JSON.RawJSON(), rotated.ClientSecret) {
		t.Errorf("get after rotate shows the secret")
	}

	deleted, err := svc.Delete(ctx, short.ID, zero_trust.AccessServiceTokenDeleteParams{AccountID: acct})
	if err != nil || deleted.ID != short.ID {
		t.Fatalf("delete: %v %+v", err, deleted)
	}
	checkServiceTokenShape(t, deleted.JSON.RawJSON(), false)
	_, err = svc.Get(ctx, short.ID, zero_trust.AccessServiceTokenGetParams{AccountID: acct})
	wantCode(t, err, 404, 1003)

	for action, want := range map[string]int{"access_service_token_create": 2, "access_service_token_update": 1,
		"access_service_token_refresh": 1, "access_service_token_rotate": 1, "access_service_token_delete": 1} {
		r := env.Do("GET", "/accounts/"+env.AccountID+"/audit_logs?action.type="+action, env.Token, nil)
		if n := len(arr(r.JSON(t)["result"])); n != want {
			t.Errorf("%d %s entries, want %d: %s", n, action, want, r.Body)
		}
	}
	noStoredSecret(t, env, secrets...)
}

// noStoredSecret scans the service-token table and the audit log for the
// secrets in clear.
func noStoredSecret(t testing.TB, env *apptest.Env, secrets ...string) {
	t.Helper()
	for _, q := range []string{
		`SELECT id || ' ' || name || ' ' || client_id || ' ' || secret_hash || ' ' || previous_secret_hash FROM access_service_tokens`,
		`SELECT COALESCE(old_value, '') || ' ' || COALESCE(new_value, '') || ' ' || COALESCE(metadata, '') FROM audit_logs`,
	} {
		rows, err := env.App.DB.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			for _, secret := range secrets {
				if strings.Contains(s, secret) {
					t.Errorf("a secret is stored in clear: %s", s)
				}
			}
		}
		rows.Close()
	}
}

// TestServiceTokenValidation: bad input is a 400 naming the field; bad
// ids are 400 or 404; nothing is created.
func TestServiceTokenValidation(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	base := "/accounts/" + env.AccountID + "/access/service_tokens"
	tok := resultOf(t, env.Do("POST", base, env.Token, `{"name":"ok"}`), 201)
	one := base + "/" + tok["id"].(string)
	for _, tc := range []struct {
		method, path, body string
		status             int
		words              []string
	}{
		{"POST", base, `{}`, 400, []string{"name is required", "/name"}},
		{"POST", base, `{"name":"  "}`, 400, []string{"/name"}},
		{"POST", base, `{"name":"a\u0007b"}`, 400, []string{"control"}},
		{"POST", base, `{"name":"x","duration":"1y"}`, 400, []string{"/duration", "1y"}},
		{"POST", base, `{"name":"x","duration":"30s"}`, 400, []string{"/duration"}},
		{"POST", base, `{"name":"x","duration":"-5h"}`, 400, []string{"/duration"}},
		{"POST", base, `{"name":"x","client_secret_version":2}`, 400, []string{"/client_secret_version", "rotate"}},
		{"POST", base, `{"name":1}`, 400, []string{"name"}},
		{"POST", base, `{"name":"x","name":"y"}`, 400, []string{"twice"}},
		{"POST", base, ``, 400, []string{"empty"}},
		{"PUT", one, `{"duration":"forever-ish"}`, 400, []string{"/duration"}},
		{"PUT", one, `{"client_secret_version":7}`, 400, []string{"rotate"}},
		{"PUT", one, `{"previous_client_secret_expires_at":"tomorrow"}`, 400, []string{"previous_client_secret_expires_at"}},
		{"POST", one + "/rotate", `{"previous_client_secret_expires_at":"soon"}`, 400, []string{"previous_client_secret_expires_at"}},
		{"GET", base + "/" + notAUUID, ``, 400, nil},
		{"GET", base + "/00000000-0000-4000-8000-000000000000", ``, 404, []string{"not found"}},
		{"POST", base + "/00000000-0000-4000-8000-000000000000/rotate", ``, 404, nil},
		{"POST", base + "/00000000-0000-4000-8000-000000000000/refresh", ``, 404, nil},
		{"DELETE", base + "/00000000-0000-4000-8000-000000000000", ``, 404, nil},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := env.Do(tc.method, tc.path, env.Token, body)
		if r.Status != tc.status {
			t.Errorf("%s %s %s: %d, want %d: %s", tc.method, tc.path, tc.body, r.Status, tc.status, r.Body)
			continue
		}
		for _, w := range tc.words {
			if !strings.Contains(string(r.Body), w) {
				t.Errorf("%s %s %s: answer does not mention %q: %s", tc.method, tc.path, tc.body, w, r.Body)
			}
		}
	}
	r := env.Do("GET", base, env.Token, nil)
	if n := len(arr(r.JSON(t)["result"])); n != 1 {
		t.Errorf("%d tokens after refused creates, want 1: %s", n, r.Body)
	}
	// "forever": no expiry, and a refresh keeps it so.
	f := resultOf(t, env.Do("POST", base, env.Token, `{"name":"forever","duration":"forever"}`), 201)
	if f["expires_at"] != nil || f["duration"] != "forever" {
		t.Errorf("forever token: %v", f)
	}
	if g := resultOf(t, env.Do("POST", base+"/"+f["id"].(string)+"/refresh", env.Token, nil), 200); g["expires_at"] != nil {
		t.Errorf("refreshed forever token: %v", g)
	}
}

// TestServiceTokenTenantIsolation: another account's token id is not found
// through one's own account, and another account's token cannot be used
// on one's own.
func TestServiceTokenTenantIsolation(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	other, otherToken := env.NewAccount("Mallory Inc")
	base := "/accounts/" + env.AccountID + "/access/service_tokens"
	tok := resultOf(t, env.Do("POST", base, env.Token, `{"name":"acme CI"}`), 201)
	id := tok["id"].(string)
	theirs := "/accounts/" + other + "/access/service_tokens/" + id
	for _, tc := range []struct{ method, path, body string }{
		{"GET", theirs, ""}, {"PUT", theirs, `{"name":"stolen"}`}, {"DELETE", theirs, ""},
		{"POST", theirs + "/rotate", ""}, {"POST", theirs + "/refresh", ""},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		if r := env.Do(tc.method, tc.path, otherToken, body); r.Status != 404 {
			t.Errorf("%s %s from another account: %d, want 404: %s", tc.method, tc.path, r.Status, r.Body)
		}
	}
	if r := env.Do("GET", "/accounts/"+other+"/access/service_tokens", otherToken, nil); len(arr(r.JSON(t)["result"])) != 0 {
		t.Errorf("the other account lists: %s", r.Body)
	}
	if r := env.Do("GET", base+"/"+id, otherToken, nil); r.Status != 403 {
		t.Errorf("another account's API token on this account: %d", r.Status)
	}
	if m := resultOf(t, env.Do("GET", base+"/"+id, env.Token, nil), 200); m["name"] != "acme CI" {
		t.Errorf("the token changed: %v", m)
	}
	snap := access.NewSnapshot(env.App.Access, env.App.Feed)
	_, err := snap.CheckServiceToken(context.Background(), other, tok["client_id"].(string), tok["client_secret"].(string))
	if !errors.Is(err, access.ErrServiceTokenUnknown) {
		t.Errorf("a token checked for another account: %v, want ErrServiceTokenUnknown", err)
	}
}

// TestCheckServiceToken: the gateway's check, from memory, follows
// rotation, refresh, deletion and expiry at once.
func TestCheckServiceToken(t *testing.T) {
	t.Parallel()
	clock := apptest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	env := apptest.New(t, apptest.WithNow(clock.Now))
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)
	svc := c.ZeroTrust.Access.ServiceTokens
	snap := access.NewSnapshot(env.App.Access, env.App.Feed)
	check := func(clientID, secret string) error {
		t.Helper()
		_, err := snap.CheckServiceToken(ctx, env.AccountID, clientID, secret)
		return err
	}

	tok, err := svc.New(ctx, zero_trust.AccessServiceTokenNewParams{AccountID: acct, Name: cloudflare.F("CI"), Duration: cloudflare.F("1h")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := snap.CheckServiceToken(ctx, env.AccountID, tok.ClientID, tok.ClientSecret)
	if err != nil || got.ID != tok.ID || got.Name != "CI" {
		t.Fatalf("valid token: %+v %v", got, err)
	}
	for _, tc := range []struct {
		name, id, secret string
		want             error
	}{
		{"wrong secret", tok.ClientID, strings.Repeat("0", 64), access.ErrServiceTokenSecret},
		{"empty secret", tok.ClientID, "", access.ErrServiceTokenSecret},
		{"secret with a different case", tok.ClientID, strings.ToUpper(tok.ClientSecret), access.ErrServiceTokenSecret},
		{"unknown client id", "0123456789abcdef0123456789abcdef.access", tok.ClientSecret, access.ErrServiceTokenUnknown},
		{"empty client id", "", tok.ClientSecret, access.ErrServiceTokenUnknown},
	} {
		if err := check(tc.id, tc.secret); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if access.ServiceTokenReason(access.ErrServiceTokenSecret) != "invalid_secret" {
		t.Error("ServiceTokenReason")
	}

	// Expiry needs no event; a refresh brings the token back.
	clock.Advance(time.Hour)
	if err := check(tok.ClientID, tok.ClientSecret); !errors.Is(err, access.ErrServiceTokenExpired) {
		t.Errorf("after its duration: %v, want ErrServiceTokenExpired", err)
	}
	if err := check(tok.ClientID, "bad"); !errors.Is(err, access.ErrServiceTokenSecret) {
		t.Errorf("expired token, wrong secret: %v, want ErrServiceTokenSecret (expiry is told to secret holders only)", err)
	}
	if _, err := svc.Refresh(ctx, tok.ID, zero_trust.AccessServiceTokenRefreshParams{AccountID: acct}); err != nil {
		t.Fatal(err)
	}
	if err := check(tok.ClientID, tok.ClientSecret); err != nil {
		t.Errorf("after refresh: %v", err)
	}

	// Rotation: the old secret stops at once by default…
	r1, err := svc.Rotate(ctx, tok.ID, zero_trust.AccessServiceTokenRotateParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	if err := check(tok.ClientID, tok.ClientSecret); !errors.Is(err, access.ErrServiceTokenSecret) {
		t.Errorf("rotated-away secret: %v", err)
	}
	if err := check(tok.ClientID, r1.ClientSecret); err != nil {
		t.Errorf("new secret: %v", err)
	}
	// …or works until previous_client_secret_expires_at, which an update
	// can bring forward.
	r2, err := svc.Rotate(ctx, tok.ID, zero_trust.AccessServiceTokenRotateParams{AccountID: acct,
		PreviousClientSecretExpiresAt: cloudflare.F(clock.Now().Add(10 * time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	if err := check(tok.ClientID, r1.ClientSecret); err != nil {
		t.Errorf("previous secret in its grace period: %v", err)
	}
	if err := check(tok.ClientID, r2.ClientSecret); err != nil {
		t.Errorf("new secret: %v", err)
	}
	if err := check(tok.ClientID, tok.ClientSecret); !errors.Is(err, access.ErrServiceTokenSecret) {
		t.Errorf("the secret before the previous one: %v", err)
	}
	if _, err := svc.Update(ctx, tok.ID, zero_trust.AccessServiceTokenUpdateParams{AccountID: acct,
		PreviousClientSecretExpiresAt: cloudflare.F(clock.Now().Add(-time.Second))}); err != nil {
		t.Fatal(err)
	}
	if err := check(tok.ClientID, r1.ClientSecret); !errors.Is(err, access.ErrServiceTokenSecret) {
		t.Errorf("previous secret after its grace was ended: %v", err)
	}
	clock.Advance(11 * time.Minute)
	if err := check(tok.ClientID, r2.ClientSecret); err != nil {
		t.Errorf("current secret: %v", err)
	}

	// last_seen_at is recorded asynchronously.
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, err := svc.Get(ctx, tok.ID, zero_trust.AccessServiceTokenGetParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		if m := object(t, g.JSON.RawJSON()); isTime(m["last_seen_at"]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("last_seen_at never recorded: %s", g.JSON.RawJSON())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Deletion: unknown at once.
	if _, err := svc.Delete(ctx, tok.ID, zero_trust.AccessServiceTokenDeleteParams{AccountID: acct}); err != nil {
		t.Fatal(err)
	}
	if err := check(tok.ClientID, r2.ClientSecret); !errors.Is(err, access.ErrServiceTokenUnknown) {
		t.Errorf("deleted token: %v", err)
	}
}

func TestServiceTokenCredentials(t *testing.T) {
	h := http.Header{}
	if _, _, ok := access.ServiceTokenCredentials(h, ""); ok {
		t.Error("no headers: ok")
	}
	h.Set("CF-Access-Client-Id", " abc.access ")
	h.Set("cf-access-client-secret", "s3cret")
	if id, s, ok := access.ServiceTokenCredentials(h, ""); !ok || id != "abc.access" || s != "s3cret" {
		t.Errorf("two headers: %q %q %v", id, s, ok)
	}
	if _, _, ok := access.ServiceTokenCredentials(h, "X-Machine-Auth"); ok {
		t.Error("the app names a single header, the request does not send it: ok")
	}
	h.Set("X-Machine-Auth", `{"cf-access-client-id":"abc.access","cf-access-client-secret":"s3cret"}`)
	if id, s, ok := access.ServiceTokenCredentials(h, "X-Machine-Auth"); !ok || id != "abc.access" || s != "s3cret" {
		t.Errorf("single header: %q %q %v", id, s, ok)
	}
	h.Set("X-Machine-Auth", `not json`)
	if id, s, ok := access.ServiceTokenCredentials(h, "X-Machine-Auth"); !ok || id != "" || s != "" {
		t.Errorf("malformed single header: %q %q %v", id, s, ok)
	}
}

// TestServiceTokenChangesReachEveryInstance: with two instances on one
// PostgreSQL, a rotation, a grace period ended early and a deletion made
// through one are enforced by the other's in-memory check within a second.
func TestServiceTokenChangesReachEveryInstance(t *testing.T) {
	storetest.NeedPostgres(t)
	url, key := storetest.PostgresURL(t), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	a := apptest.New(t, apptest.WithDatabaseURL(url), apptest.WithSecretKey(key))
	b := apptest.New(t, apptest.WithDatabaseURL(url), apptest.WithSecretKey(key))
	onB := access.NewSnapshot(b.App.Access, b.App.Feed)
	ctx := context.Background()
	base := "/accounts/" + a.AccountID + "/access/service_tokens"
	tok := resultOf(t, a.Do("POST", base, a.Token, `{"name":"CI"}`), 201)
	id, clientID, secret := tok["id"].(string), tok["client_id"].(string), tok["client_secret"].(string)
	if _, err := onB.CheckServiceToken(ctx, a.AccountID, clientID, secret); err != nil {
		t.Fatalf("b does not accept a's new token: %v", err)
	}
	refusedOnB := func(what, secret string, want error) {
		t.Helper()
		start := time.Now()
		for {
			_, err := onB.CheckServiceToken(ctx, a.AccountID, clientID, secret)
			if errors.Is(err, want) {
				break
			}
			if time.Since(start) > time.Second {
				t.Fatalf("%s: b still answers %v after 1s", what, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("%s reached b in %v", what, time.Since(start).Round(time.Millisecond))
	}
	r := resultOf(t, a.Do("POST", base+"/"+id+"/rotate", a.Token, `{"previous_client_secret_expires_at":"2999-01-01T00:00:00Z"}`), 200)
	if _, err := onB.CheckServiceToken(ctx, a.AccountID, clientID, secret); err != nil {
		t.Fatalf("the previous secret in its grace period on b: %v", err)
	}
	resultOf(t, a.Do("PUT", base+"/"+id, a.Token, `{"previous_client_secret_expires_at":"2000-01-01T00:00:00Z"}`), 200)
	refusedOnB("ending the previous secret's grace", secret, access.ErrServiceTokenSecret)
	secret = r["client_secret"].(string)
	resultOf(t, a.Do("POST", base+"/"+id+"/rotate", a.Token, nil), 200)
	refusedOnB("rotation", secret, access.ErrServiceTokenSecret)
	resultOf(t, a.Do("DELETE", base+"/"+id, a.Token, nil), 200)
	refusedOnB("deletion", secret, access.ErrServiceTokenUnknown)
}

// admitServiceToken is the gateway's decision for a service token (the
// portal remembers the policies' part per app configuration): the check in
// app's account, then app's policies with the client's address.
func admitServiceToken(ctx context.Context, snap *access.Snapshot, app *access.App, clientID, secret string, ip netip.Addr) (access.ServiceToken, policy.Decision, error) {
	t, err := snap.CheckServiceToken(ctx, app.AccountID, clientID, secret)
	if err != nil {
		return t, policy.Decision{}, err
	}
	return t, policy.EvaluateServiceToken(app.DecidablePolicies(), policy.ServiceToken{ID: t.ID, IP: ip}), nil
}

// TestAdmitServiceToken: the gateway's decision — the check, then the
// application's policies — and the policy rules through the API.
func TestAdmitServiceToken(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := env.AccountID
	base := "/accounts/" + acct + "/access"
	ci := resultOf(t, env.Do("POST", base+"/service_tokens", env.Token, `{"name":"CI"}`), 201)
	cron := resultOf(t, env.Do("POST", base+"/service_tokens", env.Token, `{"name":"cron"}`), 201)

	// Service-token rules are refused in allow policies, accepted in
	// non_identity and deny ones.
	r := env.Do("POST", base+"/policies", env.Token, `{"name":"x","decision":"allow","include":[{"any_valid_service_token":{}}]}`)
	if r.Status != 400 || !strings.Contains(string(r.Body), "non_identity (Service Auth)") {
		t.Errorf("allow policy with a service-token rule: %d %s", r.Status, r.Body)
	}
	ciOnly := resultOf(t, env.Do("POST", base+"/policies", env.Token,
		`{"name":"CI only","decision":"non_identity","include":[{"service_token":{"token_id":"`+ci["id"].(string)+`"}}]}`), 201)
	app := createApp(t, c, acct, selfHosted("Wiki", "wiki.acmecorp.company"))
	if r := env.Do("PUT", base+"/apps/"+app["id"].(string), env.Token, `{"policies":["`+ciOnly["id"].(string)+`"]}`); r.Status != 200 {
		t.Fatalf("link the policy: %d %s", r.Status, r.Body)
	}
	snap := access.NewSnapshot(env.App.Access, env.App.Feed)
	wiki, err := snap.AppForHost(ctx, "wiki.acmecorp.company", "/")
	if err != nil || wiki == nil {
		t.Fatalf("app: %v", err)
	}
	ip := netip.MustParseAddr("192.0.2.7")
	tok, d, err := admitServiceToken(ctx, snap, wiki, ci["client_id"].(string), ci["client_secret"].(string), ip)
	if err != nil || d.Result != policy.ResultAllow || d.Policy != ciOnly["id"] || tok.ID != ci["id"] {
		t.Errorf("CI token: %+v %+v %v", tok, d, err)
	}
	if _, d, err := admitServiceToken(ctx, snap, wiki, cron["client_id"].(string), cron["client_secret"].(string), ip); err != nil || d.Result != policy.ResultDeny {
		t.Errorf("cron token, not listed: %+v %v", d, err)
	}
	if _, _, err := admitServiceToken(ctx, snap, wiki, ci["client_id"].(string), cron["client_secret"].(string), ip); !errors.Is(err, access.ErrServiceTokenSecret) {
		t.Errorf("CI's id with cron's secret: %v", err)
	}
	// A deny policy naming the token blocks it, wherever it sits.
	block := resultOf(t, env.Do("POST", base+"/policies", env.Token,
		`{"name":"Block CI","decision":"deny","include":[{"service_token":{"token_id":"`+ci["id"].(string)+`"}}]}`), 201)
	if r := env.Do("PUT", base+"/apps/"+app["id"].(string), env.Token,
		`{"policies":[{"id":"`+ciOnly["id"].(string)+`","precedence":1},{"id":"`+block["id"].(string)+`","precedence":2}]}`); r.Status != 200 {
		t.Fatalf("link the deny policy: %d %s", r.Status, r.Body)
	}
	wiki, _ = snap.AppForHost(ctx, "wiki.acmecorp.company", "/")
	if _, d, err := admitServiceToken(ctx, snap, wiki, ci["client_id"].(string), ci["client_secret"].(string), ip); err != nil || d.Result != policy.ResultDeny || d.Policy != block["id"] {
		t.Errorf("blocked CI token: %+v %v", d, err)
	}
}

// TestPolicyNamesAServiceTokenOfTheAccount: a service_token rule naming a
// token the account does not have (a typo, another account's token, the
// client id pasted for the id) is refused with a pointer at the rule, on
// every way a policy is written; a token deleted later leaves the policy
// editable.
func TestPolicyNamesAServiceTokenOfTheAccount(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	other, otherToken := env.NewAccount("Mallory Inc")
	base := "/accounts/" + env.AccountID + "/access"
	ci := resultOf(t, env.Do("POST", base+"/service_tokens", env.Token, `{"name":"CI"}`), 201)
	theirs := resultOf(t, env.Do("POST", "/accounts/"+other+"/access/service_tokens", otherToken, `{"name":"theirs"}`), 201)
	rule := func(id string) string {
		return `{"name":"CI","decision":"non_identity","include":[{"any_valid_service_token":{}},{"service_token":{"token_id":"` + id + `"}}]}`
	}
	refused := func(what string, r apptest.Response, pointer string) {
		t.Helper()
		if r.Status != 400 || !strings.Contains(string(r.Body), "this account has no service token") ||
			!strings.Contains(string(r.Body), `"pointer":"`+pointer+`"`) {
			t.Errorf("%s: %d %s, want 400 at %s", what, r.Status, r.Body, pointer)
		}
	}
	missing := "00000000-0000-4000-8000-000000000001"
	refused("reusable policy, unknown id", env.Do("POST", base+"/policies", env.Token, rule(missing)), "/include/1/service_token/token_id")
	refused("reusable policy, another account's token", env.Do("POST", base+"/policies", env.Token, rule(theirs["id"].(string))), "/include/1/service_token/token_id")

	app := createApp(t, env.Client(env.Token), env.AccountID, selfHosted("Wiki", "wiki.acmecorp.company"))
	appBase := base + "/apps/" + app["id"].(string)
	refused("app policy", env.Do("POST", appBase+"/policies", env.Token, rule(missing)), "/include/1/service_token/token_id")
	refused("inline policy of an app", env.Do("PUT", appBase, env.Token, `{"policies":[`+rule(missing)+`]}`), "/policies/0/include/1/service_token/token_id")

	p := resultOf(t, env.Do("POST", base+"/policies", env.Token, rule(strings.ToUpper(ci["id"].(string)))), 201)
	refused("update adding an unknown id", env.Do("PUT", base+"/policies/"+p["id"].(string), env.Token,
		`{"include":[{"service_token":{"token_id":"`+ci["id"].(string)+`"}}],"require":[{"service_token":{"token_id":"`+missing+`"}}]}`),
		"/require/0/service_token/token_id")

	// Deleting the token is allowed; the rule then matches nothing, and the
	// policy can still be renamed.
	if r := env.Do("DELETE", base+"/service_tokens/"+ci["id"].(string), env.Token, nil); r.Status != 200 {
		t.Fatalf("delete the token: %d %s", r.Status, r.Body)
	}
	if r := env.Do("PUT", base+"/policies/"+p["id"].(string), env.Token, `{"name":"CI (token gone)"}`); r.Status != 200 {
		t.Errorf("rename a policy naming a deleted token: %d %s", r.Status, r.Body)
	}
	var n int
	if err := env.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM access_policies WHERE account_id=$1`, env.AccountID).Scan(&n); err != nil || n != 1 {
		t.Errorf("policies stored: %d %v, want the one that was accepted", n, err)
	}
}

// TestServiceTokenPermissions: the routes take Cloudflare's "Access:
// Service Tokens" groups, not the Apps and Policies ones — minting machine
// credentials and deciding what they admit are separate grants.
func TestServiceTokenPermissions(t *testing.T) {
	t.Parallel()
	env := apptest.New(t)
	base := "/accounts/" + env.AccountID + "/access/service_tokens"
	apps := env.NewToken(env.AccountID, tokens.AccessAppsWrite)
	read := env.NewToken(env.AccountID, tokens.ServiceTokensRead)
	write := env.NewToken(env.AccountID, tokens.ServiceTokensWrite)
	for _, tc := range []struct {
		who, token, method string
		want               int
	}{
		{"Apps and Policies Write", apps, "GET", 403}, {"Apps and Policies Write", apps, "POST", 403},
		{"Service Tokens Read", read, "GET", 200}, {"Service Tokens Read", read, "POST", 403},
		{"Service Tokens Write", write, "GET", 200}, {"Service Tokens Write", write, "POST", 201},
	} {
		var body any
		if tc.method == "POST" {
			body = `{"name":"CI"}`
		}
		if r := env.Do(tc.method, base, tc.token, body); r.Status != tc.want {
			t.Errorf("%s %s with %s: %d, want %d: %s", tc.method, base, tc.who, r.Status, tc.want, r.Body)
		}
	}
	if r := env.Do("POST", "/accounts/"+env.AccountID+"/access/policies", write,
		`{"name":"x","decision":"non_identity","include":[{"any_valid_service_token":{}}]}`); r.Status != 403 {
		t.Errorf("a policy with only Service Tokens Write: %d, want 403", r.Status)
	}
}
