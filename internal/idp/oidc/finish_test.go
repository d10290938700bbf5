package oidcrp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

func TestFinishSuccess(t *testing.T) {
	for _, tc := range []struct {
		signing refop.SigningMode
		pkce    bool
	}{
		{refop.SigningRS256, false},
		{refop.SigningRS256, true},
		{refop.SigningES256, false},
		{refop.SigningES256, true},
	} {
		t.Run(string(tc.signing)+"/pkce="+strconv.FormatBool(tc.pkce), func(t *testing.T) {
			e := newEnv(t, func(c *refop.Config) { c.Signing = tc.signing })
			p := e.prov
			p.PKCE = tc.pkce
			p.Issuer = e.op.IssuerURL()
			p.Claims = []string{"nickname", "AMR", "not_sent"}
			start, q := e.login(t, p)

			authz, _ := url.Parse(start.URL)
			if tc.pkce {
				if start.Verifier == "" || authz.Query().Get("code_challenge") != oauth2.S256ChallengeFromVerifier(start.Verifier) ||
					authz.Query().Get("code_challenge_method") != "S256" {
					t.Fatalf("authorize URL %s lacks the S256 challenge of verifier %q", start.URL, start.Verifier)
				}
			} else if start.Verifier != "" || authz.Query().Has("code_challenge") {
				t.Fatalf("PKCE off, yet verifier %q / URL %s", start.Verifier, start.URL)
			}

			id, err := e.finish(t, p, e.opts(), start, q)
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			sub, _ := e.op.Subject("alice")
			want := Identity{
				Subject: sub, Email: "alice@example.com", EmailVerified: ptr(true),
				Name: "Alice Liddell", PreferredUsername: "alice", Groups: []string{"admins", "staff"},
				Claims: map[string]any{"nickname": "alice", "AMR": []any{"pwd"}},
				Issuer: e.op.IssuerURL(),
			}
			if diff := cmp.Diff(want, id, cmpopts.IgnoreFields(Identity{}, "Raw")); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
			if id.Raw["nonce"] != start.Nonce || id.Raw["aud"] == nil || id.Raw["email_verified"] != true {
				t.Errorf("Raw lacks the token's claims: %v", id.Raw)
			}

			reqs := e.tokenRequests()
			if len(reqs) != 1 || !reqs[0].basic || reqs[0].form.Has("client_secret") {
				t.Fatalf("token requests = %+v, want one with client_secret_basic", reqs)
			}
			f := reqs[0].form
			if f.Get("redirect_uri") != testRedirect || f.Get("code") != q.Get("code") || f.Get("grant_type") != "authorization_code" {
				t.Errorf("token form = %v", f)
			}
			if got := f.Get("code_verifier"); got != start.Verifier {
				t.Errorf("code_verifier sent = %q, want %q", got, start.Verifier)
			}
		})
	}
}

func TestEmailVerifiedFalseAndNoGroups(t *testing.T) {
	e := newEnv(t, func(c *refop.Config) { c.AutoLogin = "bob" })
	start, q := e.login(t, e.prov)
	id, err := e.finish(t, e.prov, e.opts(), start, q)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if id.EmailVerified == nil || *id.EmailVerified || id.Email != "bob@example.com" || len(id.Groups) != 0 || id.Claims != nil {
		t.Errorf("identity = %+v, want email_verified false (not absent), no groups, no extra claims", id)
	}
}

func TestPKCEVerifierMismatch(t *testing.T) {
	e := newEnv(t, nil)
	p := e.prov
	p.PKCE = true
	start, q := e.login(t, p)
	start.Verifier = oauth2.GenerateVerifier() // not the one the challenge was made from
	_, err := e.finish(t, p, e.opts(), start, q)
	wantReason(t, err, ReasonInvalidGrant, q.Get("code"), start.Verifier)
}

func TestStateChecks(t *testing.T) {
	e := newEnv(t, nil)
	start, q := e.login(t, e.prov)
	for _, tc := range []struct {
		name   string
		query  func(url.Values)
		stored func(*Start)
	}{
		{"tampered", func(q url.Values) { q.Set("state", q.Get("state")+"x") }, nil},
		{"missing", func(q url.Values) { q.Del("state") }, nil},
		{"twice", func(q url.Values) { q.Add("state", q.Get("state")) }, nil},
		{"no stored login", nil, func(s *Start) { *s = Start{} }},
		{"stored state empty, callback too", func(q url.Values) { q.Set("state", "") }, func(s *Start) { s.State = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qq, st := cloneValues(q), start
			if tc.query != nil {
				tc.query(qq)
			}
			if tc.stored != nil {
				tc.stored(&st)
			}
			_, err := e.finish(t, e.prov, e.opts(), st, qq)
			wantReason(t, err, ReasonStateMismatch, q.Get("code"))
		})
	}
	if n := len(e.tokenRequests()); n != 0 {
		t.Errorf("%d token requests for callbacks that are not ours, want 0", n)
	}
	// The untouched callback still works: nothing above consumed the code.
	if _, err := e.finish(t, e.prov, e.opts(), start, q); err != nil {
		t.Fatalf("Finish: %v", err)
	}
}

func TestNonceMismatch(t *testing.T) {
	e := newEnv(t, nil)
	start, q := e.login(t, e.prov)
	start.Nonce = "a-different-nonce"
	_, err := e.finish(t, e.prov, e.opts(), start, q)
	wantReason(t, err, ReasonNonceMismatch, q.Get("code"))
}

func TestCodeReplay(t *testing.T) {
	e := newEnv(t, nil)
	start, q := e.login(t, e.prov)
	if _, err := e.finish(t, e.prov, e.opts(), start, q); err != nil {
		t.Fatalf("first Finish: %v", err)
	}
	_, err := e.finish(t, e.prov, e.opts(), start, q)
	oe := wantReason(t, err, ReasonInvalidGrant, q.Get("code"))
	if !strings.Contains(oe.Message, "already used") {
		t.Errorf("message %q does not explain a used code", oe.Message)
	}
}

func TestMissingCode(t *testing.T) {
	e := newEnv(t, nil)
	start, q := e.login(t, e.prov)
	q.Del("code")
	_, err := e.finish(t, e.prov, e.opts(), start, q)
	wantReason(t, err, ReasonMissingCode)
}

func TestSymmetricIDToken(t *testing.T) {
	e := newEnv(t, func(c *refop.Config) { c.Signing = refop.SigningHS256 })
	start, q := e.login(t, e.prov)
	_, err := e.finish(t, e.prov, e.opts(), start, q)
	oe := wantReason(t, err, ReasonSymmetricIDToken, q.Get("code"))
	for _, want := range []string{"HS256", "client secret", "Signing Key"} {
		if !strings.Contains(oe.Message, want) {
			t.Errorf("message %q lacks %q", oe.Message, want)
		}
	}
	if n := e.hitCount(mustPath(t, e.prov.CertsURL)); n != 0 {
		t.Errorf("JWKS fetched %d times for a token refused on its header", n)
	}
}

func TestEmptyJWKS(t *testing.T) {
	t.Run("refop none-jwks {}", func(t *testing.T) {
		e := newEnv(t, func(c *refop.Config) { c.Signing = refop.SigningNoneJWKS })
		start, q := e.login(t, e.prov)
		_, err := e.finish(t, e.prov, e.opts(), start, q)
		oe := wantReason(t, err, ReasonEmptyJWKS, q.Get("code"))
		if !strings.Contains(oe.Message, e.prov.CertsURL) || !strings.Contains(oe.Message, "signing key") {
			t.Errorf("message %q should name certs_url and the signing key", oe.Message)
		}
	})
	t.Run(`{"keys":[]}`, func(t *testing.T) {
		e := newEnv(t, nil)
		empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"keys":[]}`))
		}))
		t.Cleanup(empty.Close)
		p := e.prov
		p.CertsURL = empty.URL + "/jwks/"
		start, q := e.login(t, p)
		_, err := e.finish(t, p, e.opts(), start, q)
		wantReason(t, err, ReasonEmptyJWKS, q.Get("code"))
	})
}

func TestMissingEmail(t *testing.T) {
	t.Run("omitted by the IdP", func(t *testing.T) {
		e := newEnv(t, func(c *refop.Config) { c.OmitEmailClaim = true })
		start, q := e.login(t, e.prov)
		_, err := e.finish(t, e.prov, e.opts(), start, q)
		oe := wantReason(t, err, ReasonMissingEmail, q.Get("code"))
		for _, want := range []string{"Failed to fetch user/group information from the identity provider", `"email"`, "email_claim_name"} {
			if !strings.Contains(oe.Message, want) {
				t.Errorf("message %q lacks %q", oe.Message, want)
			}
		}
	})
	t.Run("configured claim holds no address", func(t *testing.T) {
		e := newEnv(t, nil)
		p := e.prov
		p.EmailClaim = "preferred_username"
		start, q := e.login(t, p)
		_, err := e.finish(t, p, e.opts(), start, q)
		wantReason(t, err, ReasonMissingEmail, q.Get("code"))
	})
}

func TestClockSkew(t *testing.T) {
	skewSeconds := regexp.MustCompile(`(\d+) seconds`)
	for _, tc := range []struct {
		name   string
		offset time.Duration
		leeway time.Duration
		reason string // "" = success
		around int64  // seconds the message should report
	}{
		{"ahead 30s within default leeway", 30 * time.Second, 0, "", 0},
		{"behind 30s within default leeway", -30 * time.Second, 0, "", 0},
		{"ahead 5m", 5 * time.Minute, 0, ReasonClockSkew, 300},
		{"ahead 30s with 10s leeway", 30 * time.Second, 10 * time.Second, ReasonClockSkew, 30},
		{"behind 2h", -2 * time.Hour, 0, ReasonExpired, 3600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *refop.Config) { c.ClockOffset = tc.offset })
			start, q := e.login(t, e.prov)
			o := e.opts()
			o.Leeway = tc.leeway
			_, err := e.finish(t, e.prov, o, start, q)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Finish: %v", err)
				}
				return
			}
			oe := wantReason(t, err, tc.reason, q.Get("code"))
			m := skewSeconds.FindStringSubmatch(oe.Message)
			if m == nil {
				t.Fatalf("message %q gives no difference in seconds", oe.Message)
			}
			if got, _ := strconv.ParseInt(m[1], 10, 64); got < tc.around-5 || got > tc.around+5 {
				t.Errorf("message says %d seconds, want about %d: %q", got, tc.around, oe.Message)
			}
		})
	}
}

func TestInjectedNow(t *testing.T) {
	e := newEnv(t, nil)
	start, q := e.login(t, e.prov)
	o := e.opts()
	o.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	_, err := e.finish(t, e.prov, o, start, q)
	wantReason(t, err, ReasonExpired, q.Get("code"))
}

func TestIdPErrorCallback(t *testing.T) {
	e := newEnv(t, nil)
	start, err := Begin(e.prov, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{
		"error":             {"access_denied"},
		"error_description": {"User is not allowed to access this application.\n"},
		"state":             {start.State},
	}
	_, err = e.finish(t, e.prov, e.opts(), start, q)
	oe := wantReason(t, err, ReasonIdPError)
	if !strings.Contains(oe.Message, "access_denied") || !strings.Contains(oe.Message, "User is not allowed to access this application.") ||
		strings.Contains(oe.Message, "\n") {
		t.Errorf("message %q should quote the IdP's error on one line", oe.Message)
	}

	// Someone else's error page must not speak on our page.
	q.Set("state", "forged")
	_, err = e.finish(t, e.prov, e.opts(), start, q)
	oe = wantReason(t, err, ReasonStateMismatch)
	if strings.Contains(oe.Message, "not allowed") {
		t.Errorf("a forged callback's text reached the message: %q", oe.Message)
	}
}

func TestWrongClientSecret(t *testing.T) {
	e := newEnv(t, nil)
	p := e.prov
	p.ClientSecret = "not-the-right-secret-0000"
	start, q := e.login(t, p)
	_, err := e.finish(t, p, e.opts(), start, q)
	oe := wantReason(t, err, ReasonInvalidClient, q.Get("code"), p.ClientSecret)
	if !strings.Contains(oe.Message, "client_secret") || !strings.Contains(oe.Message, testClientID) {
		t.Errorf("message %q should point at client_id and client_secret", oe.Message)
	}
	reqs := e.tokenRequests()
	if len(reqs) != 2 || !reqs[0].basic || reqs[1].basic || reqs[1].form.Get("client_id") != testClientID {
		t.Errorf("token requests = %+v, want basic then post", reqs)
	}
	// The code survived the refusals: the right secret still redeems it.
	if _, err := e.finish(t, e.prov, e.opts(), start, q); err != nil {
		t.Fatalf("Finish with the right secret: %v", err)
	}
}

func TestIssuerMismatch(t *testing.T) {
	e := newEnv(t, nil)
	p := e.prov
	p.Issuer = strings.TrimSuffix(e.op.IssuerURL(), "/") // the classic: trailing slash dropped
	start, q := e.login(t, p)
	_, err := e.finish(t, p, e.opts(), start, q)
	oe := wantReason(t, err, ReasonIssuerMismatch, q.Get("code"))
	if !strings.Contains(oe.Message, e.op.IssuerURL()) || !strings.Contains(oe.Message, "trailing slash") {
		t.Errorf("message %q should show both issuers", oe.Message)
	}
}

func TestTokenEndpointUnreachable(t *testing.T) {
	e := newEnv(t, nil)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	p := e.prov
	start, q := e.login(t, p)
	p.TokenURL = dead.URL + "/application/o/token/"
	_, err := e.finish(t, p, e.opts(), start, q)
	wantReason(t, err, ReasonTokenEndpoint, q.Get("code"))
}

func TestJWKSUnreachable(t *testing.T) {
	e := newEnv(t, nil)
	p := e.prov
	p.CertsURL = e.srv.URL + "/application/o/no-such-app/jwks/"
	start, q := e.login(t, p)
	_, err := e.finish(t, p, e.opts(), start, q)
	wantReason(t, err, ReasonJWKSUnavailable, q.Get("code"))
}

func mustPath(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}
