package samlref

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/google/go-cmp/cmp"
)

// privateErr is the reason behind crewjam/saml's deliberately vague
// "Authentication failed".
func privateErr(err error) error {
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		return ire.PrivateErr
	}
	return err
}

func TestModes(t *testing.T) {
	e := newEnv(t, nil)
	sp := e.newSP(t, testACS)
	for _, tc := range []struct {
		mode                   Mode
		responseSig, assertSig bool
		refusal                string // what ParseResponse says; "" = accepted
	}{
		{ModeSigned, true, true, ""},
		{ModeSignedAssertion, false, true, ""},
		{ModeNoEmail, true, true, ""},
		{ModeUnsigned, false, false, "signature element not present"},
		{ModeWrongKey, true, true, "Could not verify certificate against trusted certs"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			if err := e.p.SetMode(tc.mode); err != nil {
				t.Fatal(err)
			}
			f, id := e.autoLogin(t, sp, "rs-"+string(tc.mode))
			s := shapeOf(t, f)
			if (s.Signature != nil) != tc.responseSig || (s.Assertion.Signature != nil) != tc.assertSig {
				t.Errorf("response signed %v, assertion signed %v; want %v, %v",
					s.Signature != nil, s.Assertion.Signature != nil, tc.responseSig, tc.assertSig)
			}
			a, err := sp.ParseResponse(f.acsRequest(t), []string{id})
			if tc.refusal != "" {
				if err == nil || !strings.Contains(privateErr(err).Error(), tc.refusal) {
					t.Fatalf("ParseResponse: %v, want a refusal saying %q", privateErr(err), tc.refusal)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseResponse: %v", privateErr(err))
			}
			attrs := attrMap(a)
			_, hasEmail := attrs[AttrEmail]
			_, hasUPN := attrs[AttrUPN]
			if wantEmail := tc.mode != ModeNoEmail; hasEmail != wantEmail || hasUPN != wantEmail {
				t.Errorf("emailaddress present %v, upn present %v; want %v", hasEmail, hasUPN, wantEmail)
			}
			wantNameID := saml.NameID{Format: string(saml.EmailAddressNameIDFormat), Value: alice.Email}
			if tc.mode == ModeNoEmail {
				wantNameID = saml.NameID{Format: string(saml.PersistentNameIDFormat), Value: e.p.persistentID(e.p.users["alice"]),
					NameQualifier: e.p.EntityID(), SPNameQualifier: testACS}
			}
			if diff := cmp.Diff(&wantNameID, a.Subject.NameID); diff != "" {
				t.Errorf("NameID (-want +got):\n%s", diff)
			}
			if strings.Contains(string(f.xml(t)), alice.Email) != (tc.mode != ModeNoEmail) {
				t.Errorf("email address in the response: %v", tc.mode != ModeNoEmail)
			}
		})
	}
	t.Run("wrong key signs with a certificate the SP does not hold", func(t *testing.T) {
		e.p.SetMode(ModeWrongKey)
		f, _ := e.autoLogin(t, sp, "")
		s := shapeOf(t, f)
		published := base64.StdEncoding.EncodeToString(e.p.keys.cert.Raw)
		if s.Signature == nil || s.Signature.Certificate == "" || strings.Join(strings.Fields(s.Signature.Certificate), "") == published {
			t.Error("KeyInfo does not carry a different certificate")
		}
	})
	if err := e.p.SetMode("HS256"); err == nil {
		t.Error("SetMode accepted an unknown mode")
	}
}

func TestModeNoEmailDropsShortName(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ShortAttributeNames = true })
	sp := e.newSP(t, testACS)
	parse := func() map[string][]string {
		f, id := e.autoLogin(t, sp, "")
		a, err := sp.ParseResponse(f.acsRequest(t), []string{id})
		if err != nil {
			t.Fatalf("ParseResponse: %v", privateErr(err))
		}
		return attrMap(a)
	}
	got := parse()
	for name, want := range map[string][]string{
		"email": {alice.Email}, "name": {alice.Name}, "groups": {"admins", "staff"},
	} {
		if diff := cmp.Diff(want, got[name]); diff != "" {
			t.Errorf("short attribute %q (-want +got):\n%s", name, diff)
		}
	}
	e.p.SetMode(ModeNoEmail)
	got = parse()
	for _, name := range []string{"email", AttrEmail, AttrUPN} {
		if v, ok := got[name]; ok {
			t.Errorf("no-email mode still sends %s = %v", name, v)
		}
	}
	if _, ok := got["groups"]; !ok {
		t.Error("no-email mode dropped groups too")
	}
}

func TestUserWithoutGroups(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AutoLogin = "bob" })
	sp := e.newSP(t, testACS)
	f, id := e.autoLogin(t, sp, "")
	a, err := sp.ParseResponse(f.acsRequest(t), []string{id})
	if err != nil {
		t.Fatalf("ParseResponse: %v", privateErr(err))
	}
	got, ok := attrMap(a)[AttrGroups]
	if !ok || len(got) != 0 {
		t.Errorf("Group attribute = %v (present %v); authentik sends it with no value", got, ok)
	}
	if uid := attrMap(a)[AttrUID]; len(uid) != 1 || uid[0] != "2" {
		t.Errorf("uid = %v, want [2]", uid)
	}
}

func TestClockOffset(t *testing.T) {
	e := newEnv(t, nil)
	sp := e.newSP(t, testACS)
	for _, tc := range []struct {
		offset  time.Duration
		refusal string // "" = accepted
	}{
		{30 * time.Second, ""},
		{-30 * time.Second, ""},
		{10 * time.Minute, "is in the future"},
		{-10 * time.Minute, "expired"},
	} {
		t.Run(tc.offset.String(), func(t *testing.T) {
			e.p.SetClockOffset(tc.offset)
			before := time.Now()
			f, id := e.autoLogin(t, sp, "")
			s := shapeOf(t, f)
			for name, at := range map[string]time.Time{"response": s.IssueInstant, "assertion": s.Assertion.IssueInstant} {
				if skew := at.Sub(before); skew < tc.offset-2*time.Second || skew > tc.offset+2*time.Second {
					t.Errorf("%s IssueInstant is %v from now, want about %v", name, skew, tc.offset)
				}
			}
			_, err := sp.ParseResponse(f.acsRequest(t), []string{id})
			switch {
			case tc.refusal == "" && err != nil:
				t.Fatalf("ParseResponse: %v", privateErr(err))
			case tc.refusal != "" && (err == nil || !strings.Contains(privateErr(err).Error(), tc.refusal)):
				t.Fatalf("ParseResponse: %v, want a refusal saying %q", privateErr(err), tc.refusal)
			}
		})
	}
}
