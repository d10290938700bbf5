package sso_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/dnsverify"
	"github.com/ssogate/ssogate/internal/sso"
)

func connectors(env *apptest.Env, account string) string {
	return "/accounts/" + account + "/sso_connectors"
}

// create makes a connector through the API and returns id and code.
func create(t *testing.T, env *apptest.Env, account, token, domain string) (id, code string) {
	t.Helper()
	r := env.Do("POST", connectors(env, account), token, map[string]any{"email_domain": domain})
	if r.Status != 200 {
		t.Fatalf("create %s: %d %s", domain, r.Status, r.Body)
	}
	res := r.JSON(t)["result"].(map[string]any)
	return res["id"].(string), res["verification"].(map[string]any)["code"].(string)
}

func errorMessage(t *testing.T, r apptest.Response) string {
	t.Helper()
	errs, _ := r.JSON(t)["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("no errors in %s", r.Body)
	}
	return errs[0].(map[string]any)["message"].(string)
}

func TestCreateRefusesBadInput(t *testing.T) {
	env := apptest.New(t)
	cases := []struct{ body, want string }{
		{`{}`, "email_domain is required"},
		{`{"email_domain":null}`, "email_domain is required"},
		{`{"email_domain":5}`, "must be a string"},
		{`{"email_domain":""}`, "no domain was given"},
		{`{"email_domain":"gmail.com"}`, "free email provider"},
		{`{"email_domain":"co.uk"}`, "public suffix"},
		{`{"email_domain":"com"}`, "com"},
		{`{"email_domain":"192.0.2.1"}`, "IP address"},
		{`{"email_domain":"localhost"}`, "localhost"},
		{`{"email_domain":"acme.test"}`, "test"},
		{`{"email_domain":"acme.cromulent"}`, "cromulent"},
		{`{"email_domain":"alice@acmecorp.company"}`, "acmecorp.company"},
		{`{"email_domain":"https://acmecorp.company/"}`, "acmecorp.company"},
		{`{"email_domain":"*.acmecorp.company"}`, "wildcard"},
		{`{"email_domain":"acme corp.company"}`, "acme corp.company"},
		{`{"email_domain":"` + strings.Repeat("a", 64) + `.company"}`, "63"},
		{``, "body is empty"},
		{`{`, "Malformed JSON"},
		{`[]`, "Malformed JSON"},
		{`{"email_domain":"acmecorp.company"} x`, "unexpected data"},
		{`{"email_domain":"acmecorp.company","begin_verification":"yes"}`, "true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			r := env.Do("POST", connectors(env, env.AccountID), env.Token, tc.body)
			if r.Status != 400 {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
			}
			if msg := errorMessage(t, r); !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.want)) {
				t.Errorf("message %q does not mention %q", msg, tc.want)
			}
		})
	}
	list := env.Do("GET", connectors(env, env.AccountID), env.Token, nil).JSON(t)
	if n := len(list["result"].([]any)); n != 0 {
		t.Errorf("refused creates stored %d connectors", n)
	}
}

func TestUpdateAndDeleteRules(t *testing.T) {
	env := apptest.New(t)
	id, code := create(t, env, env.AccountID, env.Token, "acmecorp.company")
	item := connectors(env, env.AccountID) + "/" + id
	cases := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"PATCH", item, `{"enabled":"yes"}`, 400, "true or false"},
		{"PATCH", item, `{"enabled":true}`, 400, code},
		{"PATCH", item, `{}`, 200, ""},
		{"PATCH", connectors(env, env.AccountID) + "/0123456789abcdef0123456789abcdef", `{"enabled":false}`, 404, "not found"},
		{"PATCH", connectors(env, env.AccountID) + "/not-an-id", `{"enabled":false}`, 400, "identifier"},
		{"DELETE", connectors(env, env.AccountID) + "/0123456789abcdef0123456789abcdef", "", 404, "not found"},
		{"POST", item + "/begin_verification", `not json`, 400, "Malformed JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.body, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := env.Do(tc.method, tc.path, env.Token, body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.want != "" && !strings.Contains(errorMessage(t, r), tc.want) {
				t.Errorf("message %q lacks %q", errorMessage(t, r), tc.want)
			}
		})
	}
	// An enabled connector is not deleted by accident.
	env.Publish("acmecorp.company", code)
	if r := env.Do("PATCH", item, env.Token, `{"enabled":true}`); r.Status != 200 {
		t.Fatal(string(r.Body))
	}
	r := env.Do("DELETE", item, env.Token, nil)
	if r.Status != 400 || !strings.Contains(errorMessage(t, r), "disable it first") {
		t.Fatalf("deleting an enabled connector: %d %s", r.Status, r.Body)
	}
	env.Do("PATCH", item, env.Token, `{"enabled":false}`)
	if r := env.Do("DELETE", item, env.Token, nil); r.Status != 200 || r.JSON(t)["result"].(map[string]any)["id"] != id {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
}

func TestDomainBelongsToOneAccount(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	env := apptest.New(t, apptest.WithNow(clock.Now))
	other, otherToken := env.NewAccount("Other")
	id, code := create(t, env, env.AccountID, env.Token, "acmecorp.company")

	dup := env.Do("POST", connectors(env, env.AccountID), env.Token, `{"email_domain":"ACMECORP.company"}`)
	if dup.Status != 400 || !strings.Contains(errorMessage(t, dup), id) {
		t.Fatalf("duplicate in the same account: %d %s", dup.Status, dup.Body)
	}
	taken := env.Do("POST", connectors(env, other), otherToken, `{"email_domain":"acmecorp.company"}`)
	if taken.Status != 400 || !strings.Contains(errorMessage(t, taken), "another account") ||
		strings.Contains(string(taken.Body), env.AccountID) {
		t.Fatalf("claim by another account: %d %s", taken.Status, taken.Body)
	}

	// Once verified, subdomains are refused to other accounts too.
	env.Publish("acmecorp.company", code)
	env.Do("POST", connectors(env, env.AccountID)+"/"+id+"/begin_verification", env.Token, nil)
	sub := env.Do("POST", connectors(env, other), otherToken, `{"email_domain":"eu.acmecorp.company"}`)
	if sub.Status != 400 || !strings.Contains(errorMessage(t, sub), "overlaps") {
		t.Fatalf("subdomain of a verified domain: %d %s", sub.Status, sub.Body)
	}
}

func TestUnverifiedClaimExpiresAndReleasesDomain(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	env := apptest.New(t, apptest.WithNow(clock.Now))
	other, otherToken := env.NewAccount("Other")
	id, _ := create(t, env, env.AccountID, env.Token, "squatted.company")

	clock.Advance(47 * time.Hour)
	if _, err := env.App.Worker.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := status(t, env, env.AccountID, env.Token, id); got != "pending" {
		t.Fatalf("before the deadline: %s", got)
	}
	clock.Advance(2 * time.Hour)
	if _, err := env.App.Worker.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := status(t, env, env.AccountID, env.Token, id); got != "failed" {
		t.Fatalf("after the deadline: %s", got)
	}
	// The real owner can now claim it.
	create(t, env, other, otherToken, "squatted.company")
	// And the failed claim cannot be revived while someone else holds it.
	r := env.Do("POST", connectors(env, env.AccountID)+"/"+id+"/begin_verification", env.Token, nil)
	if r.Status != 400 || !strings.Contains(errorMessage(t, r), "another account") {
		t.Fatalf("reviving a released claim: %d %s", r.Status, r.Body)
	}
}

func status(t *testing.T, env *apptest.Env, account, token, id string) string {
	t.Helper()
	r := env.Do("GET", connectors(env, account)+"/"+id, token, nil)
	if r.Status != 200 {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["result"].(map[string]any)["verification"].(map[string]any)["status"].(string)
}

// blockingChecker holds every check until released.
type blockingChecker struct {
	started chan struct{}
	release chan struct{}
	calls   atomic.Int64
}

func (b *blockingChecker) Check(ctx context.Context, domain, expected string) dnsverify.Result {
	b.calls.Add(1)
	if b.started != nil {
		b.started <- struct{}{}
		<-b.release
	}
	return dnsverify.Result{Verdict: dnsverify.Found, Name: domain, Expected: expected}
}

func TestDeleteDuringCheckDoesNotResurrect(t *testing.T) {
	chk := &blockingChecker{started: make(chan struct{}), release: make(chan struct{})}
	env := apptest.New(t, apptest.WithChecker(chk))
	id, _ := create(t, env, env.AccountID, env.Token, "acmecorp.company")
	done := make(chan apptest.Response)
	go func() {
		done <- env.Do("POST", connectors(env, env.AccountID)+"/"+id+"/begin_verification", env.Token, nil)
	}()
	<-chk.started
	if r := env.Do("DELETE", connectors(env, env.AccountID)+"/"+id, env.Token, nil); r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	close(chk.release)
	<-done
	if r := env.Do("GET", connectors(env, env.AccountID)+"/"+id, env.Token, nil); r.Status != 404 {
		t.Fatalf("connector came back: %d %s", r.Status, r.Body)
	}
}

func TestSweepChecksEachDueConnectorOnce(t *testing.T) {
	chk := &blockingChecker{}
	clock := apptest.NewClock(time.Now())
	env := apptest.New(t, apptest.WithChecker(chk), apptest.WithNow(clock.Now))
	svc := env.App.SSO
	const n = 40
	for i := 0; i < n; i++ {
		c, err := svc.Create(context.Background(), env.AccountID, sso.CreateInput{EmailDomain: ptr(domainN(i))})
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != sso.Pending {
			t.Fatalf("status %s", c.Status)
		}
	}
	clock.Advance(2 * time.Minute) // every first check is due
	var wg sync.WaitGroup
	var total atomic.Int64
	for w := 0; w < 3; w++ { // three workers racing for the same rows
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker := sso.NewWorker(svc, 4)
			n, err := worker.Sweep(context.Background())
			if err != nil {
				t.Error(err)
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	if chk.calls.Load() != n || total.Load() != n {
		t.Fatalf("checks %d, swept %d; want each of %d connectors once", chk.calls.Load(), total.Load(), n)
	}
	list, _ := svc.List(context.Background(), env.AccountID)
	for _, c := range list {
		if c.Status != sso.Verified {
			t.Fatalf("%s is %s", c.EmailDomain, c.Status)
		}
	}
}

// TestChangesAreAudited: the guide's path (create, PATCH enabled:true with
// the record published, disable, delete) leaves an entry for each change,
// the verification included and attributed to the caller whose PATCH ran
// the check; the worker's verification is attributed to ssogate itself.
func TestChangesAreAudited(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	env := apptest.New(t, apptest.WithNow(clock.Now))
	id, code := create(t, env, env.AccountID, env.Token, "acmecorp.company")
	env.Publish("acmecorp.company", code)
	base := connectors(env, env.AccountID) + "/" + id
	env.Do("PATCH", base, env.Token, `{"enabled":true}`)
	env.Do("PATCH", base, env.Token, `{"enabled":false}`)
	env.Do("DELETE", base, env.Token, nil)
	want := "sso_connector_create/token sso_connector_verified/token " +
		"sso_connector_enable/token sso_connector_disable/token sso_connector_delete/token"
	if got := auditTrail(t, env, id); got != want {
		t.Fatalf("audit trail:\n got %s\nwant %s", got, want)
	}

	byWorker, code := create(t, env, env.AccountID, env.Token, "worker.example.com")
	env.Publish("worker.example.com", code)
	clock.Advance(2 * time.Minute)
	if _, err := env.App.Worker.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := auditTrail(t, env, byWorker), "sso_connector_create/token sso_connector_verified/system"; got != want {
		t.Fatalf("audit trail of the worker's verification:\n got %s\nwant %s", got, want)
	}
}

// auditTrail lists a connector's audit entries as action/actor type.
func auditTrail(t *testing.T, env *apptest.Env, id string) string {
	t.Helper()
	entries, _, err := audit.List(context.Background(), env.App.DB, env.AccountID, audit.Filter{Ascending: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.ResourceType == "sso_connector" && e.ResourceID == id {
			got = append(got, e.Action+"/"+e.Actor.Type)
		}
	}
	return strings.Join(got, " ")
}

// TestCreateStartsVerification: a plain create is pending and the worker
// checks it from then on; only begin_verification false gives awaiting,
// which the worker leaves alone.
func TestCreateStartsVerification(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	env := apptest.New(t, apptest.WithNow(clock.Now))
	cases := []struct {
		body, status string
	}{
		{`{"email_domain":"plain.example.com"}`, "pending"},
		{`{"email_domain":"begun.example.com","begin_verification":true}`, "pending"},
		{`{"email_domain":"later.example.com","begin_verification":false}`, "awaiting"},
	}
	ids := map[string]string{}
	for _, tc := range cases {
		r := env.Do("POST", connectors(env, env.AccountID), env.Token, tc.body)
		res := r.JSON(t)["result"].(map[string]any)
		v := res["verification"].(map[string]any)
		if r.Status != 200 || v["status"] != tc.status {
			t.Fatalf("%s: %d, status %v, want %s: %s", tc.body, r.Status, v["status"], tc.status, r.Body)
		}
		if _, next := v["next_check_on"]; next != (tc.status == "pending") {
			t.Errorf("%s: next_check_on present=%v for status %s: %s", tc.body, next, tc.status, r.Body)
		}
		domain := res["email_domain"].(string)
		ids[domain] = res["id"].(string)
		env.Publish(domain, v["code"].(string))
	}
	// The first check is due a minute after the create (±10%).
	if n, err := env.App.Worker.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("a sweep right after the create checked %d connectors (%v), want 0", n, err)
	}
	clock.Advance(66 * time.Second)
	if _, err := env.App.Worker.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	for domain, want := range map[string]string{"plain.example.com": "verified", "begun.example.com": "verified",
		"later.example.com": "awaiting"} {
		if got := status(t, env, env.AccountID, env.Token, ids[domain]); got != want {
			t.Errorf("%s after a sweep: %s, want %s", domain, got, want)
		}
	}
}

// TestEnableChecksDNS: PATCH enabled:true on a connector that is not
// verified checks DNS in the request, from every state.
func TestEnableChecksDNS(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	env := apptest.New(t, apptest.WithNow(clock.Now))
	enable := func(id string) apptest.Response {
		return env.Do("PATCH", connectors(env, env.AccountID)+"/"+id, env.Token, `{"enabled": true}`)
	}

	t.Run("refused, naming the record and each name server's answer", func(t *testing.T) {
		id, code := create(t, env, env.AccountID, env.Token, "absent.example.com")
		env.DNS.AddZone("absent.example.com", "ns1.absent.example.com")
		env.DNS.AddTXT("absent.example.com", "v=spf1 -all")
		r := enable(id)
		msg := errorMessage(t, r)
		for _, want := range []string{code, "at absent.example.com", env.DNS.Addr() + `: 1 TXT record(s), none of them the code: "v=spf1 -all"`} {
			if r.Status != 400 || !strings.Contains(msg, want) {
				t.Errorf("%d %q lacks %q", r.Status, msg, want)
			}
		}
	})
	t.Run("awaiting: started, verified and enabled in one request", func(t *testing.T) {
		r := env.Do("POST", connectors(env, env.AccountID), env.Token, `{"email_domain":"awaiting.example.com","begin_verification":false}`)
		res := r.JSON(t)["result"].(map[string]any)
		id := res["id"].(string)
		env.Publish("awaiting.example.com", res["verification"].(map[string]any)["code"].(string))
		if r := enable(id); r.Status != 200 || r.JSON(t)["result"].(map[string]any)["enabled"] != true {
			t.Fatalf("enable: %d %s", r.Status, r.Body)
		}
		want := "sso_connector_create/token sso_connector_verification_begin/token sso_connector_verified/token sso_connector_enable/token"
		if got := auditTrail(t, env, id); got != want {
			t.Errorf("audit trail:\n got %s\nwant %s", got, want)
		}
	})
	t.Run("failed: claims the domain again and verifies", func(t *testing.T) {
		id, code := create(t, env, env.AccountID, env.Token, "lapsed.example.com")
		clock.Advance(49 * time.Hour)
		if _, err := env.App.Worker.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := status(t, env, env.AccountID, env.Token, id); got != "failed" {
			t.Fatalf("after the deadline: %s", got)
		}
		env.Publish("lapsed.example.com", code)
		if r := enable(id); r.Status != 200 {
			t.Fatalf("enable: %d %s", r.Status, r.Body)
		}
		if got := status(t, env, env.AccountID, env.Token, id); got != "verified" {
			t.Fatalf("status %s", got)
		}
	})
}

// TestEnableIndeterminate: a DNS answer that is not definite never
// verifies; the refusal says so.
func TestEnableIndeterminate(t *testing.T) {
	env := apptest.New(t, apptest.WithChecker(answer{dnsverify.Result{Verdict: dnsverify.Indeterminate,
		Servers: []dnsverify.ServerResult{{Server: "ns1.example.net", Verdict: dnsverify.Indeterminate, Error: "timeout after 2s"},
			{Server: "ns2.example.net", Verdict: dnsverify.Found}}}}))
	id, _ := create(t, env, env.AccountID, env.Token, "flaky.example.com")
	r := env.Do("PATCH", connectors(env, env.AccountID)+"/"+id, env.Token, `{"enabled":true}`)
	msg := errorMessage(t, r)
	if r.Status != 400 || !strings.Contains(msg, "ns1.example.net: no definite answer (timeout after 2s)") ||
		!strings.Contains(msg, "ns2.example.net: has the record") {
		t.Fatalf("%d %s", r.Status, msg)
	}
	if got := status(t, env, env.AccountID, env.Token, id); got != "pending" {
		t.Fatalf("status %s", got)
	}
}

// answer is a checker that always gives the same result.
type answer struct{ r dnsverify.Result }

func (a answer) Check(_ context.Context, domain, expected string) dnsverify.Result {
	r := a.r
	r.Name, r.Expected = domain, expected
	return r
}

func ptr[T any](v T) *T { return &v }

func domainN(i int) string {
	return "d" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example.com"
}
