package oidcrp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

// fakeIdP answers the token endpoint with whatever ID token a test made,
// for the shapes refop never issues (JWE, alg none, odd claims).
type fakeIdP struct {
	srv *httptest.Server
	key *ecdsa.PrivateKey

	mu        sync.Mutex
	tokenBody string // the token endpoint's JSON answer
	tokenCode int
	jwks      string
}

const fakeKid = "fake-key-1"

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIdP{key: key, tokenCode: http.StatusOK}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: fakeKid, Algorithm: "ES256", Use: "sig"}}})
	f.jwks = string(set)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.tokenCode)
		w.Write([]byte(f.tokenBody))
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(f.jwks))
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) provider() Provider {
	return Provider{
		ClientID: testClientID, ClientSecret: testSecret,
		AuthURL: f.srv.URL + "/authorize", TokenURL: f.srv.URL + "/token", CertsURL: f.srv.URL + "/jwks",
	}
}

func (f *fakeIdP) answer(idToken string) {
	f.answerRaw(http.StatusOK, `{"access_token":"at","token_type":"Bearer","id_token":`+quote(idToken)+`}`)
}

func (f *fakeIdP) answerRaw(code int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenCode, f.tokenBody = code, body
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// claims are a valid token's claims for the fake, to be edited per test.
func (f *fakeIdP) claims() map[string]any {
	now := time.Now().Unix()
	return map[string]any{
		"iss": f.srv.URL, "sub": "user-1", "aud": testClientID, "exp": now + 300, "iat": now,
		"nonce": "the-nonce", "email": "carol@example.com",
	}
}

func (f *fakeIdP) sign(t *testing.T, claims map[string]any, kid string, key *ecdsa.PrivateKey) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// finish runs Finish against the fake with a callback that matches.
func (f *fakeIdP) finish(t *testing.T, p Provider) (Identity, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stored := Start{State: "the-state", Nonce: "the-nonce"}
	q := url.Values{"state": {"the-state"}, "code": {"the-code"}}
	return Finish(ctx, p, Options{}, testRedirect, q, stored)
}

func unsignedJWT(header, claims map[string]any, sig string) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	return enc(header) + "." + enc(claims) + "." + sig
}

func TestIDTokenShapes(t *testing.T) {
	f := newFakeIdP(t)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwe := func(t *testing.T) string {
		enc, err := jose.NewEncrypter(jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.ECDH_ES_A256KW, Key: other.Public()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := enc.Encrypt([]byte(f.sign(t, f.claims(), fakeKid, f.key)))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := obj.CompactSerialize()
		return raw
	}
	edit := func(change func(map[string]any)) map[string]any {
		c := f.claims()
		change(c)
		return c
	}
	for _, tc := range []struct {
		name    string
		idToken func(t *testing.T) string
		reason  string
	}{
		{"valid", func(t *testing.T) string { return f.sign(t, f.claims(), fakeKid, f.key) }, ""},
		{"JWE", jwe, ReasonEncryptedIDToken},
		{"alg none", func(*testing.T) string { return unsignedJWT(map[string]any{"alg": "none"}, f.claims(), "") }, ReasonUnsignedIDToken},
		{"HS512", func(*testing.T) string { return unsignedJWT(map[string]any{"alg": "HS512"}, f.claims(), "c2ln") }, ReasonSymmetricIDToken},
		{"ES256K not accepted", func(*testing.T) string { return unsignedJWT(map[string]any{"alg": "ES256K"}, f.claims(), "c2ln") }, ReasonUnsupportedAlg},
		{"EdDSA", func(*testing.T) string { return unsignedJWT(map[string]any{"alg": "EdDSA"}, f.claims(), "c2ln") }, ReasonUnsupportedAlg},
		{"not a JWT", func(*testing.T) string { return "opaque-token" }, ReasonMalformedIDToken},
		{"header not base64", func(*testing.T) string { return "%%%.e30.c2ln" }, ReasonMalformedIDToken},
		{"forged with our kid", func(t *testing.T) string { return f.sign(t, f.claims(), fakeKid, other) }, ReasonBadSignature},
		{"unknown kid", func(t *testing.T) string { return f.sign(t, f.claims(), "rotated-away", other) }, ReasonUnknownKID},
		{"no kid, no key verifies", func(t *testing.T) string { return f.sign(t, f.claims(), "", other) }, ReasonBadSignature},
		{"no kid, key verifies", func(t *testing.T) string { return f.sign(t, f.claims(), "", f.key) }, ""},
		{"audience of another client", func(t *testing.T) string {
			return f.sign(t, edit(func(c map[string]any) { c["aud"] = []string{"someone-else"} }), fakeKid, f.key)
		}, ReasonAudienceMismatch},
		{"audience list with us", func(t *testing.T) string {
			return f.sign(t, edit(func(c map[string]any) { c["aud"] = []string{"x", testClientID} }), fakeKid, f.key)
		}, ""},
		{"no sub", func(t *testing.T) string {
			return f.sign(t, edit(func(c map[string]any) { delete(c, "sub") }), fakeKid, f.key)
		}, ReasonInvalidIDToken},
		{"no exp", func(t *testing.T) string {
			return f.sign(t, edit(func(c map[string]any) { delete(c, "exp") }), fakeKid, f.key)
		}, ReasonInvalidIDToken},
		{"exp a string", func(t *testing.T) string {
			return f.sign(t, edit(func(c map[string]any) { c["exp"] = "tomorrow" }), fakeKid, f.key)
		}, ReasonInvalidIDToken},
		{"no nonce", func(t *testing.T) string {
			return f.sign(t, edit(func(c map[string]any) { delete(c, "nonce") }), fakeKid, f.key)
		}, ReasonNonceMismatch},
		{"nbf 10 minutes ahead", func(t *testing.T) string {
			return f.sign(t, edit(func(c map[string]any) { c["nbf"] = time.Now().Add(10 * time.Minute).Unix() }), fakeKid, f.key)
		}, ReasonClockSkew},
		{"email not a string", func(t *testing.T) string {
			return f.sign(t, edit(func(c map[string]any) { c["email"] = []string{"a@example.com"} }), fakeKid, f.key)
		}, ReasonMissingEmail},
		{"email empty", func(t *testing.T) string {
			return f.sign(t, edit(func(c map[string]any) { c["email"] = " " }), fakeKid, f.key)
		}, ReasonMissingEmail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.idToken(t)
			f.answer(raw)
			_, err := f.finish(t, f.provider())
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Finish: %v", err)
				}
				return
			}
			wantReason(t, err, tc.reason, raw, "the-code")
		})
	}
}

func TestEncryptedMessage(t *testing.T) {
	f := newFakeIdP(t)
	f.answer("eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0.a.b.c.d")
	_, err := f.finish(t, f.provider())
	oe := wantReason(t, err, ReasonEncryptedIDToken)
	for _, want := range []string{"RSA-OAEP-256", "A256CBC-HS512", "Encryption Key"} {
		if !strings.Contains(oe.Message, want) {
			t.Errorf("message %q lacks %q", oe.Message, want)
		}
	}
}

func TestTokenResponses(t *testing.T) {
	f := newFakeIdP(t)
	for _, tc := range []struct {
		name   string
		code   int
		body   string
		reason string
	}{
		{"no id_token", 200, `{"access_token":"at","token_type":"Bearer"}`, ReasonNoIDToken},
		{"HTML error page", 502, `<html>Bad gateway</html>`, ReasonTokenEndpoint},
		{"200 but not JSON", 200, `access_token=at`, ReasonTokenEndpoint},
		{"bare 401", 401, ``, ReasonInvalidClient},
		{"other OAuth error", 400, `{"error":"unsupported_grant_type"}`, ReasonTokenEndpoint},
		{"invalid_grant echoing our secrets", 400,
			`{"error":"invalid_grant","error_description":"code the-code for secret ` + testSecret + ` is gone"}`, ReasonInvalidGrant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.answerRaw(tc.code, tc.body)
			_, err := f.finish(t, f.provider())
			wantReason(t, err, tc.reason, "the-code")
		})
	}
}

func TestClaimMapping(t *testing.T) {
	f := newFakeIdP(t)
	for _, tc := range []struct {
		name     string
		extra    map[string]any
		p        func(*Provider)
		want     Identity
		wantKeys []string // Raw must hold these
	}{
		{
			name:  "groups as a comma-separated string under another case",
			extra: map[string]any{"Groups": "eng, ops,,eng", "email_verified": "false"},
			want:  Identity{Groups: []string{"eng", "ops"}, EmailVerified: ptr(false)},
		},
		{
			name:  "exact groups key wins over other cases",
			extra: map[string]any{"groups": []any{"a", "b", "a", 7.0}, "GROUPS": "x"},
			want:  Identity{Groups: []string{"a", "b", "7"}},
		},
		{
			name:  "custom email claim and extra claims",
			extra: map[string]any{"mail": " dave@example.org ", "department": "R&D", "Level": 3.0, "name": "Dave", "preferred_username": "dave"},
			p: func(p *Provider) {
				p.EmailClaim = "mail"
				p.Claims = []string{"department", "level", "absent"}
			},
			want: Identity{Email: "dave@example.org", Name: "Dave", PreferredUsername: "dave",
				Claims: map[string]any{"department": "R&D", "level": 3.0}},
			wantKeys: []string{"mail", "email", "nonce", "aud"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.claims()
			for k, v := range tc.extra {
				c[k] = v
			}
			f.answer(f.sign(t, c, fakeKid, f.key))
			p := f.provider()
			if tc.p != nil {
				tc.p(&p)
			}
			id, err := f.finish(t, p)
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			want := tc.want
			want.Subject, want.Issuer = "user-1", f.srv.URL
			if want.Email == "" {
				want.Email = "carol@example.com"
			}
			want.Raw = id.Raw
			if diff := cmp.Diff(want, id); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
			for _, k := range tc.wantKeys {
				if _, ok := id.Raw[k]; !ok {
					t.Errorf("Raw lacks %q: %v", k, id.Raw)
				}
			}
		})
	}
}

func TestPublicClient(t *testing.T) {
	f := newFakeIdP(t)
	var form url.Values
	var auth string
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			r.ParseForm()
			form, auth = r.PostForm, r.Header.Get("Authorization")
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id_token":` + quote(f.sign(t, f.claims(), fakeKid, f.key)) + `}`))
			return
		}
		w.Write([]byte(f.jwks))
	})
	p := f.provider()
	p.ClientSecret = ""
	if _, err := f.finish(t, p); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if auth != "" || form.Get("client_id") != testClientID || form.Has("client_secret") {
		t.Errorf("public client sent Authorization %q, form %v; want client_id in the form only", auth, form)
	}
}
