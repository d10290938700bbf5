package portal_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The launcher shows each user exactly the tiles whose policies admit them
// (§3, checklist 37): by email domain, group (case-insensitive, §1.4),
// email, with block policies winning and hidden apps never shown; a user
// the launcher's own policy refuses gets the deny page, with the reason
// and nothing about anyone else.
func TestLauncherTilesFollowIdentity(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	a.enableDashSSO(t, "acmecorp.company")
	launcherUsers := a.policy(t, "Launcher users", "allow",
		`[{"email_domain":{"domain":"acmecorp.company"}},{"email":{"email":"dave@partner.example"}}]`)
	a.call(t, "PUT", "/access/apps/"+a.launcherID, `{"policies":["`+launcherUsers+`"]}`, 200)
	finance := a.policy(t, "Finance", "allow", `[{"group":{"id":"finance"}}]`)
	aliceOnly := a.policy(t, "Alice only", "allow", `[{"email":{"email":"alice@acmecorp.company"}}]`)
	blockCarol := a.policy(t, "Not Carol", "deny", `[{"email":{"email":"carol@acmecorp.company"}}]`)
	a.app(t, `{"type":"bookmark","name":"Payroll","domain":"https://payroll.acmecorp.company","policies":["`+finance+`"]}`)
	a.app(t, `{"type":"bookmark","name":"Alice's notes","domain":"notes.acmecorp.company","policies":["`+aliceOnly+`"]}`)
	a.app(t, `{"type":"bookmark","name":"Reports","domain":"https://reports.acmecorp.company",
		"policies":[{"id":"`+blockCarol+`","precedence":1},{"id":"`+a.staffPolicy+`","precedence":2}]}`)
	a.app(t, `{"type":"bookmark","name":"Archive","domain":"https://archive.acmecorp.company","app_launcher_visible":false,
		"policies":["`+a.staffPolicy+`"]}`)

	const (
		sso     = "/cdn-cgi/access/sso/dash"
		wiki    = "https://wiki.acmecorp.company"
		payroll = "https://payroll.acmecorp.company"
		notes   = "https://notes.acmecorp.company"
		reports = "https://reports.acmecorp.company"
	)
	allowed := []struct {
		user  string
		tiles map[string]string
	}{
		{"alice", map[string]string{"SSO App": sso, "Wiki": wiki, "Alice's notes": notes, "Reports": reports}},
		{"bob", map[string]string{"SSO App": sso, "Wiki": wiki, "Payroll": payroll, "Reports": reports}},
		{"carol", map[string]string{"SSO App": sso, "Wiki": wiki}},
		{"dave", map[string]string{"Payroll": payroll}},
	}
	for _, tc := range allowed {
		t.Run(tc.user, func(t *testing.T) {
			_, final, _ := a.signIn(t, a.op, a.idpID, tc.user)
			if final.status != http.StatusOK || final.url.String() != a.url+"/" {
				t.Fatalf("launcher: %d at %s: %s", final.status, final.url, final.body)
			}
			if diff := cmp.Diff(tc.tiles, tiles(final.body)); diff != "" {
				t.Errorf("tiles (-want +got):\n%s", diff)
			}
			checkEmails(t, final.body, tc.user, true)
		})
	}

	t.Run("denied by the launcher policy", func(t *testing.T) {
		_, final, _ := a.signIn(t, a.op, a.idpID, "mallory")
		page := text(final.body)
		if final.status != http.StatusForbidden || !strings.Contains(page, "Access denied") ||
			!strings.Contains(page, "That account does not have access to App Launcher") {
			t.Fatalf("deny page: %d %s", final.status, page)
		}
		for _, reason := range []string{`policy "Launcher users": your email domain is not acmecorp.company`, "no policy allows you"} {
			if !strings.Contains(page, reason) {
				t.Errorf("deny page lacks the reason %q: %s", reason, page)
			}
		}
		if len(tiles(final.body)) != 0 || strings.Contains(page, "Wiki") || strings.Contains(page, "Payroll") {
			t.Errorf("deny page shows applications: %s", page)
		}
		checkEmails(t, final.body, "mallory", false)
	})
}

// checkEmails fails if page names anyone's email address but user's, or,
// with own, if it does not name user's.
func checkEmails(t *testing.T, page, user string, own bool) {
	t.Helper()
	page = text(page)
	for _, p := range people {
		has := strings.Contains(page, p.Email)
		if p.Username != user && has || p.Username == user && own && !has {
			t.Errorf("page shows %s: %v", p.Email, has)
		}
	}
}
