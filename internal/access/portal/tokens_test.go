package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/access/portal"
	"github.com/ssogate/ssogate/internal/apptest"
)

var (
	kidRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// orgLogin signs username in and returns the org token and the cookie
// that carried it.
func (a *acme) orgLogin(t *testing.T, username string) (*http.Client, string, *http.Cookie) {
	t.Helper()
	c, final, hops := a.signIn(t, a.op, a.idpID, username)
	if final.status != http.StatusOK {
		t.Fatalf("sign in %s: %d %s", username, final.status, final.body)
	}
	ck := callbackHop(t, hops).setCookie("CF_Authorization")
	if ck == nil || ck.Value == "" || ck.Value != jarCookie(c, a.url, "CF_Authorization") {
		t.Fatalf("callback cookie %+v does not match the jar", ck)
	}
	return c, ck.Value, ck
}

func (a *acme) certs(t *testing.T, c *http.Client) keys.CertsDoc {
	t.Helper()
	h := get(t, c, a.url+"/cdn-cgi/access/certs")
	var doc keys.CertsDoc
	if h.status != http.StatusOK || json.Unmarshal([]byte(h.body), &doc) != nil {
		t.Fatalf("certs: %d %s", h.status, h.body)
	}
	return doc
}

func kids(doc keys.CertsDoc) (jwks, certs []string) {
	for _, k := range doc.Keys {
		jwks = append(jwks, k.KID)
	}
	for _, c := range doc.PublicCerts {
		certs = append(certs, c.KID)
	}
	slices.Sort(jwks)
	slices.Sort(certs)
	return jwks, certs
}

func num(t *testing.T, claims map[string]any, name string) int64 {
	t.Helper()
	n, ok := claims[name].(json.Number)
	if !ok {
		t.Fatalf("claim %s = %#v, want a number", name, claims[name])
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		t.Fatalf("claim %s = %s, want whole seconds", name, n)
	}
	return v
}

// The org token (§2, checklist 20, 23–25 for type "org", 31, 32):
// RS256 with a published kid, the exact issuer, audience, stable sub,
// identity_nonce and exp = iat + the organization's session duration; a
// key rotation keeps old tokens valid and signs new ones with the new key.
func TestOrgTokenClaimsAndKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newAcme(t)
	wantIss := "http://acme.access.localhost:" + a.env.Port()

	c1, tok1, ck1 := a.orgLogin(t, "alice")
	if !ck1.HttpOnly || ck1.Path != "/" || ck1.MaxAge != 24*3600 {
		t.Errorf("CF_Authorization cookie: %+v, want HttpOnly, Path=/, Max-Age = 24h", ck1)
	}
	h1, claims1 := jwtParts(t, tok1)
	kid1, _ := h1["kid"].(string)
	if h1["alg"] != "RS256" || h1["typ"] != "JWT" || !kidRE.MatchString(kid1) {
		t.Errorf("header %v, want alg RS256, typ JWT, a 64-hex kid", h1)
	}
	doc := a.certs(t, c1)
	if jwks, _ := kids(doc); !slices.Contains(jwks, kid1) || doc.PublicCert.KID != kid1 {
		t.Errorf("certs: keys %v, public_cert %s; want the token's kid %s", jwks, doc.PublicCert.KID, kid1)
	}
	for _, k := range doc.Keys {
		if k.Kty != "RSA" || k.Alg != "RS256" || k.Use != "sig" || k.N == "" || k.E == "" {
			t.Errorf("JWK %+v, want kty RSA, alg RS256, use sig, n, e", k)
		}
	}

	check := func(claims map[string]any, ttl time.Duration) {
		t.Helper()
		if claims["iss"] != wantIss || claims["email"] != "alice@acmecorp.company" || claims["type"] != "org" {
			t.Errorf("iss %v, email %v, type %v; want %s, alice@acmecorp.company, org", claims["iss"], claims["email"], claims["type"], wantIss)
		}
		if diff := cmp.Diff([]any{"acme.access.localhost"}, claims["aud"]); diff != "" {
			t.Errorf("aud is an array with the team domain (-want +got):\n%s", diff)
		}
		if sub, _ := claims["sub"].(string); !uuidRE.MatchString(sub) {
			t.Errorf("sub %v, want a UUID", claims["sub"])
		}
		if n, _ := claims["identity_nonce"].(string); len(n) < 16 {
			t.Errorf("identity_nonce %v, want an opaque key", claims["identity_nonce"])
		}
		iat, nbf, exp := num(t, claims, "iat"), num(t, claims, "nbf"), num(t, claims, "exp")
		if now := time.Now().Unix(); iat != nbf || iat > now || iat < now-60 || exp-iat != int64(ttl.Seconds()) {
			t.Errorf("iat %d, nbf %d, exp %d (now %d): want iat = nbf = now, exp - iat = %s", iat, nbf, exp, now, ttl)
		}
	}
	check(claims1, 24*time.Hour)

	// get-identity serves the identity the token points at.
	var id portal.Identity
	if h := get(t, c1, a.url+"/cdn-cgi/access/get-identity"); h.status != http.StatusOK || json.Unmarshal([]byte(h.body), &id) != nil ||
		id.IdentityNonce != claims1["identity_nonce"] || id.UserUUID != claims1["sub"] || id.AccountID != a.accountID {
		t.Errorf("get-identity: %d %s, want the token's identity_nonce and sub", h.status, h.body)
	}

	// A shorter organization session and a second login of the same user.
	a.call(t, "PUT", "/access/organizations", `{"session_duration":"30m"}`, 200)
	_, tok2, ck2 := a.orgLogin(t, "alice")
	_, claims2 := jwtParts(t, tok2)
	check(claims2, 30*time.Minute)
	if ck2.MaxAge != 1800 {
		t.Errorf("cookie Max-Age %d, want the 30m session", ck2.MaxAge)
	}
	if claims2["sub"] != claims1["sub"] || claims2["identity_nonce"] == claims1["identity_nonce"] {
		t.Errorf("second login: sub %v (first %v) must match, identity_nonce %v (first %v) must not",
			claims2["sub"], claims1["sub"], claims2["identity_nonce"], claims1["identity_nonce"])
	}
	_, bobTok, _ := a.orgLogin(t, "bob")
	if _, bc := jwtParts(t, bobTok); bc["sub"] == claims1["sub"] {
		t.Errorf("bob and alice share sub %v", bc["sub"])
	}

	// Origins verify with go-oidc against the certs URL (checklist 25). The
	// verifier is built before the rotation: it must pick up the new key
	// by refetching on an unknown kid.
	octx := oidc.ClientContext(ctx, c1)
	verifier := oidc.NewVerifier(wantIss, oidc.NewRemoteKeySet(octx, a.url+"/cdn-cgi/access/certs"), &oidc.Config{ClientID: "acme.access.localhost"})
	for _, tok := range []string{tok1, tok2} {
		if _, err := verifier.Verify(octx, tok); err != nil {
			t.Errorf("go-oidc refused an org token: %v", err)
		}
	}

	newKey, err := a.env.App.Keys.Rotate(ctx, a.accountID)
	if err != nil {
		t.Fatal(err)
	}
	if newKey.KID == kid1 {
		t.Fatalf("rotation kept kid %s", kid1)
	}
	doc = a.certs(t, freshBrowser(c1))
	want := []string{kid1, newKey.KID}
	slices.Sort(want)
	jwks, certs := kids(doc)
	if diff := cmp.Diff(want, jwks); diff != "" {
		t.Errorf("certs keys after rotation (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, certs); diff != "" {
		t.Errorf("certs public_certs after rotation (-want +got):\n%s", diff)
	}
	if doc.PublicCert.KID != newKey.KID {
		t.Errorf("public_cert %s after rotation, want the new key %s", doc.PublicCert.KID, newKey.KID)
	}
	if h := get(t, c1, a.url+"/cdn-cgi/access/get-identity"); h.status != http.StatusOK {
		t.Errorf("a token signed with the previous key: get-identity %d", h.status)
	}
	if h := get(t, c1, a.url+"/"); h.status != http.StatusOK {
		t.Errorf("a token signed with the previous key: launcher %d", h.status)
	}
	_, tok3, _ := a.orgLogin(t, "alice")
	if h3, _ := jwtParts(t, tok3); h3["kid"] != newKey.KID {
		t.Errorf("new login signed with kid %v, want the new key %s", h3["kid"], newKey.KID)
	}
	for _, tok := range []string{tok1, tok3} {
		if _, err := verifier.Verify(octx, tok); err != nil {
			t.Errorf("go-oidc after rotation: %v", err)
		}
	}
}

// Logout revokes the session (checklist 34): a token copied before is
// refused afterwards by get-identity and by the launcher.
func TestLogoutRevokesCopiedToken(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	c, tok, _ := a.orgLogin(t, "alice")
	other, otherTok, _ := a.orgLogin(t, "bob")
	if h := withCookie(t, c, a.url+"/cdn-cgi/access/get-identity", "CF_Authorization", tok); h.status != http.StatusOK {
		t.Fatalf("copied token before logout: %d", h.status)
	}

	h := get(t, c, a.url+"/cdn-cgi/access/logout")
	if ck := h.setCookie("CF_Authorization"); h.status != http.StatusOK || ck == nil || ck.Value != "" || ck.MaxAge >= 0 {
		t.Errorf("logout: %d, cookie %+v, want 200 clearing CF_Authorization", h.status, ck)
	}
	if jarCookie(c, a.url, "CF_Authorization") != "" {
		t.Errorf("the browser still holds CF_Authorization after logout")
	}

	if h := withCookie(t, c, a.url+"/cdn-cgi/access/get-identity", "CF_Authorization", tok); h.status != http.StatusUnauthorized {
		t.Errorf("copied token after logout: get-identity %d %s", h.status, h.body)
	}
	h = withCookie(t, c, a.url+"/", "CF_Authorization", tok)
	if h.status != http.StatusFound || h.url.Host != a.host || !regexp.MustCompile(`^/cdn-cgi/access/login/`).MatchString(h.rawLoc) {
		t.Errorf("copied token after logout: launcher %d %q, want a redirect to login", h.status, h.rawLoc)
	}
	// Another user's session is untouched.
	if h := withCookie(t, other, a.url+"/cdn-cgi/access/get-identity", "CF_Authorization", otherTok); h.status != http.StatusOK {
		t.Errorf("bob's session after alice's logout: %d", h.status)
	}
}

// The session ends with the organization's session duration (checklist
// 24): past it the token is refused and the launcher asks for a login.
func TestOrgSessionExpires(t *testing.T) {
	t.Parallel()
	clock := apptest.NewClock(time.Now())
	a := newAcme(t, apptest.WithNow(clock.Now))
	a.call(t, "PUT", "/access/organizations", `{"session_duration":"30m"}`, 200)
	c, _, _ := a.orgLogin(t, "alice")
	clock.Advance(29 * time.Minute)
	if h := get(t, c, a.url+"/cdn-cgi/access/get-identity"); h.status != http.StatusOK {
		t.Errorf("29 minutes into a 30m session: get-identity %d", h.status)
	}
	clock.Advance(2*time.Minute + time.Second) // past exp and the 60 s leeway
	if h := get(t, c, a.url+"/cdn-cgi/access/get-identity"); h.status != http.StatusUnauthorized {
		t.Errorf("31 minutes into a 30m session: get-identity %d %s", h.status, h.body)
	}
	if h := get(t, c, a.url+"/"); h.status != http.StatusFound || !strings.HasPrefix(h.rawLoc, "/cdn-cgi/access/login/") {
		t.Errorf("launcher after the session: %d %q, want a redirect to login", h.status, h.rawLoc)
	}
}
