package dashboard_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/apptest"
)

const adminEmail = "admin@ssogate.localhost"
const adminPassword = "correct horse battery staple" // apptest's bootstrap password

// browser drives the dashboard like a browser without JavaScript: a cookie
// jar, forms posted with the CSRF token of the page they came from.
type browser struct {
	t    testing.TB
	env  *apptest.Env
	c    *http.Client
	base string
	csrf string // from the last page that had a form
}

func newBrowser(t *testing.T, env *apptest.Env) *browser {
	return &browser{t: t, env: env, c: env.Browser(), base: "http://localhost:" + env.Port()}
}

type page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body), Header: resp.Header}
	if m := csrfRE.FindStringSubmatch(p.Body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.abs(path), nil)
	return b.do(req)
}

// post sends a form with the current CSRF token (unless form sets one).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow gets redirect targets on the dashboard until a page answers.
func (b *browser) follow(p page) page {
	b.t.Helper()
	for i := 0; i < 5 && p.Status >= 300 && p.Status < 400; i++ {
		p = b.get(p.Location)
	}
	return p
}

func (b *browser) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.base + path
}

// passwordLogin signs in through the email and password steps and returns
// the page reached.
func (b *browser) passwordLogin(email, password string) page {
	b.t.Helper()
	b.get("/login")
	p := b.post("/login", url.Values{"email": {email}})
	if p.Status != 200 || !strings.Contains(p.Body, `id="password"`) {
		b.t.Fatalf("email step for %s: %d %s", email, p.Status, p.Body)
	}
	return b.post("/login/password", url.Values{"email": {email}, "password": {password}})
}

// addMember adds a member with a password (empty: none).
func addMember(t *testing.T, env *apptest.Env, accountID, email, password, role string) accounts.Member {
	t.Helper()
	hash := ""
	if password != "" {
		hash = accounts.HashPassword(password)
	}
	var m accounts.Member
	err := env.App.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		m, err = accounts.AddMember(context.Background(), tx, accountID, email, hash, role, time.Now())
		return err
	})
	if err != nil {
		t.Fatalf("add member %s: %v", email, err)
	}
	return m
}

// enforceSSO gives the account a team domain and an enabled, verified
// connector for domain, through the API; it returns the connector id.
func enforceSSO(t *testing.T, env *apptest.Env, accountID, token, team, domain string) string {
	t.Helper()
	if r := env.Do("POST", "/accounts/"+accountID+"/access/organizations", token,
		map[string]string{"name": team, "auth_domain": team}); r.Status != 200 && r.Status != 201 {
		t.Fatalf("organization: %d %s", r.Status, r.Body)
	}
	r := env.Do("POST", "/accounts/"+accountID+"/sso_connectors", token, map[string]string{"email_domain": domain})
	if r.Status != 200 {
		t.Fatalf("create connector: %d %s", r.Status, r.Body)
	}
	res := r.JSON(t)["result"].(map[string]any)
	id := res["id"].(string)
	env.Publish(domain, res["verification"].(map[string]any)["code"].(string))
	if r := env.Do("POST", "/accounts/"+accountID+"/sso_connectors/"+id+"/begin_verification", token, nil); r.Status != 200 {
		t.Fatalf("begin_verification: %d %s", r.Status, r.Body)
	}
	setEnabled(t, env, accountID, token, id, true)
	return id
}

func setEnabled(t *testing.T, env *apptest.Env, accountID, token, id string, on bool) {
	t.Helper()
	if r := env.Do("PATCH", "/accounts/"+accountID+"/sso_connectors/"+id, token, map[string]bool{"enabled": on}); r.Status != 200 {
		t.Fatalf("PATCH enabled=%v: %d %s", on, r.Status, r.Body)
	}
}
