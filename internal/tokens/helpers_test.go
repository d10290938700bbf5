package tokens_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/cloudflare/cloudflare-go/v6/shared"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/tokens"
)

var (
	hex32     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	valueForm = regexp.MustCompile(`^sgt_[0-9A-Za-z]{36}$`)
)

// clock is an injectable, advanceable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func groupID(t testing.TB, name string) string {
	t.Helper()
	g, ok := tokens.GroupByName(name)
	if !ok {
		t.Fatalf("no permission group %q", name)
	}
	return g.ID
}

// allow is an SDK policy allowing the named groups on the account.
func allow(t testing.TB, account string, names ...string) shared.TokenPolicyParam {
	t.Helper()
	var refs []shared.TokenPolicyPermissionGroupParam
	for _, n := range names {
		refs = append(refs, shared.TokenPolicyPermissionGroupParam{ID: cloudflare.F(groupID(t, n))})
	}
	return shared.TokenPolicyParam{
		Effect:           cloudflare.F(shared.TokenPolicyEffectAllow),
		PermissionGroups: cloudflare.F(refs),
		Resources: cloudflare.F[shared.TokenPolicyResourcesUnionParam](
			shared.TokenPolicyResourcesIAMResourcesTypeObjectStringParam{tokens.AccountScope + "." + account: "*"}),
	}
}

func newParams(t testing.TB, account, name string, names ...string) accounts.TokenNewParams {
	return accounts.TokenNewParams{
		AccountID: cloudflare.F(account),
		Name:      cloudflare.F(name),
		Policies:  cloudflare.F([]shared.TokenPolicyParam{allow(t, account, names...)}),
	}
}

// sdkError asserts err is an API error with the status and returns it.
func sdkError(t testing.TB, err error, status int) *cloudflare.Error {
	t.Helper()
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an API error with status %d, got %v", status, err)
	}
	if apiErr.StatusCode != status {
		t.Fatalf("status %d, want %d: %v", apiErr.StatusCode, status, err)
	}
	return apiErr
}

// failure checks a raw error response: status, JSON content type, the
// envelope's success:false, and the first error's code. It returns the
// first error object.
func failure(t testing.TB, r apptest.Response, status, code int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	m := r.JSON(t)
	if m["success"] != false {
		t.Errorf("success = %v, want false: %s", m["success"], r.Body)
	}
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("no errors in %s", r.Body)
	}
	first, _ := errs[0].(map[string]any)
	if got, _ := first["code"].(float64); int(got) != code {
		t.Errorf("errors[0].code = %v, want %d: %s", first["code"], code, r.Body)
	}
	return first
}

// chain returns the messages of an error's error_chain.
func chain(e map[string]any) string {
	var out []string
	items, _ := e["error_chain"].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		msg, _ := m["message"].(string)
		out = append(out, msg)
	}
	return strings.Join(out, "; ")
}

func object(t testing.TB, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("not a JSON object (%v): %s", err, raw)
	}
	return m
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func isTime(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil && strings.HasSuffix(s, "Z")
}

// checkToken asserts the wire shape of one token object (cloudflare-api.md
// §3.4): exactly the documented keys, each of the documented type. extra
// lists the optional keys this token must carry (value, expires_on…).
func checkToken(t testing.TB, raw string, extra ...string) map[string]any {
	t.Helper()
	m := object(t, raw)
	want := append([]string{"id", "issued_on", "last_used_on", "modified_on", "name", "policies", "status"}, extra...)
	slices.Sort(want)
	if diff := cmp.Diff(want, keys(m)); diff != "" {
		t.Errorf("token keys (-want +got):\n%s\n%s", diff, raw)
	}
	if id, _ := m["id"].(string); !hex32.MatchString(id) {
		t.Errorf("id %v is not 32 hex", m["id"])
	}
	if s, _ := m["name"].(string); s == "" {
		t.Errorf("name %v", m["name"])
	}
	if s, _ := m["status"].(string); s != "active" && s != "disabled" && s != "expired" {
		t.Errorf("status %v", m["status"])
	}
	for _, k := range []string{"issued_on", "modified_on", "not_before", "expires_on"} {
		if v, ok := m[k]; ok && !isTime(v) {
			t.Errorf("%s = %v, want an RFC 3339 UTC time", k, v)
		}
	}
	if v := m["last_used_on"]; v != nil && !isTime(v) {
		t.Errorf("last_used_on = %v, want null or an RFC 3339 time", v)
	}
	if v, ok := m["value"]; ok {
		if s, _ := v.(string); !valueForm.MatchString(s) {
			t.Errorf("value %v is not sgt_ + 36 base62 characters", v)
		}
	}
	if c, ok := m["condition"]; ok {
		// Present only when set: an empty condition is left out (issue 11).
		if obj, _ := c.(map[string]any); len(obj) == 0 {
			t.Errorf("condition %v is not a non-empty object", c)
		}
	}
	pols, ok := m["policies"].([]any)
	if !ok || len(pols) == 0 {
		t.Fatalf("policies %v is not a non-empty array", m["policies"])
	}
	for i, p := range pols {
		checkPolicy(t, i, p)
	}
	return m
}

func checkPolicy(t testing.TB, i int, p any) {
	t.Helper()
	pm, _ := p.(map[string]any)
	if diff := cmp.Diff([]string{"effect", "id", "permission_groups", "resources"}, keys(pm)); diff != "" {
		t.Errorf("policies[%d] keys (-want +got):\n%s", i, diff)
	}
	if id, _ := pm["id"].(string); !hex32.MatchString(id) {
		t.Errorf("policies[%d].id %v is not 32 hex", i, pm["id"])
	}
	if e := pm["effect"]; e != "allow" && e != "deny" {
		t.Errorf("policies[%d].effect %v", i, e)
	}
	if _, ok := pm["resources"].(map[string]any); !ok {
		t.Errorf("policies[%d].resources %v is not an object", i, pm["resources"])
	}
	gs, _ := pm["permission_groups"].([]any)
	if len(gs) == 0 {
		t.Errorf("policies[%d].permission_groups is empty", i)
	}
	for j, g := range gs {
		gm, _ := g.(map[string]any)
		id, _ := gm["id"].(string)
		name, _ := gm["name"].(string)
		want, ok := tokens.GroupByID(id)
		if !ok || name != want.Name {
			t.Errorf("policies[%d].permission_groups[%d] = %v, want id and name of a catalogue group", i, j, gm)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
