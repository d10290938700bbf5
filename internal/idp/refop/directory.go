package refop

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// The directory half of storage: users, clients, the auto-login switch, and
// the claims authentik's default scope mappings produce.

// load fills a new storage with cfg's users and clients, returning every
// problem found.
func (s *storage) load(cfg Config) (errs []error) {
	for _, u := range cfg.Users {
		if _, dup := s.users[u.Username]; dup {
			errs = append(errs, fmt.Errorf("user %q: listed twice", u.Username))
		} else if err := s.addUser(u); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range cfg.Clients {
		if _, dup := s.clients[c.ID]; dup {
			errs = append(errs, fmt.Errorf("client %q: listed twice", c.ID))
		} else if err := s.addClient(c); err != nil {
			errs = append(errs, err)
		}
	}
	if _, ok := s.users[cfg.AutoLogin]; cfg.AutoLogin != "" && !ok {
		errs = append(errs, fmt.Errorf("auto-login user %q is not among the users", cfg.AutoLogin))
	}
	return errs
}

func (s *storage) addUser(u User) error {
	if u.Username == "" {
		return fmt.Errorf("user: username is empty")
	}
	if u.ID == "" {
		u.ID = u.Username
	}
	u.Groups = slices.Clone(u.Groups)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.users[u.Username]; ok {
		delete(s.subjects, s.hashedID(old.ID))
	}
	s.users[u.Username] = u
	s.subjects[s.hashedID(u.ID)] = u.Username
	return nil
}

// hashedID mirrors authentik's default sub mode: SHA-256 of the user id and
// the installation, so the same user keeps the same sub across restarts and
// across applications of one installation.
func (s *storage) hashedID(userID string) string {
	sum := sha256.Sum256([]byte(userID + "-" + s.installID))
	return hex.EncodeToString(sum[:])
}

func (s *storage) subjectOf(username string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return "", false
	}
	return s.hashedID(u.ID), true
}

// userBySubject must be called with s.mu held.
func (s *storage) userBySubject(sub string) (User, bool) {
	u, ok := s.users[s.subjects[sub]]
	return u, ok
}

func (s *storage) addClient(c Client) error {
	if c.ID == "" {
		return fmt.Errorf("client: id is empty")
	}
	if len(c.RedirectURIs) == 0 {
		return fmt.Errorf("client %q: no redirect URI", c.ID)
	}
	for _, raw := range c.RedirectURIs {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.Fragment != "" {
			return fmt.Errorf("client %q: redirect URI %q is not an absolute URI without fragment", c.ID, raw)
		}
		// authentik refuses these schemes whatever the configuration says.
		if slices.Contains([]string{"javascript", "data", "vbscript"}, u.Scheme) {
			return fmt.Errorf("client %q: redirect URI scheme %q is refused", c.ID, u.Scheme)
		}
	}
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.ID] = c
	return nil
}

func (s *storage) client(id string) (Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	return c, ok
}

func (s *storage) setAutoLogin(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoLogin = username
}

func (s *storage) autoLoginUser() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.autoLogin
}

// dummyPassword keeps the comparison time the same for unknown users.
var dummyPassword = []byte("refop-no-such-user-refop-no-such-user")

// checkPassword reports whether username/password match a user.
func (s *storage) checkPassword(username, password string) bool {
	s.mu.Lock()
	u, ok := s.users[username]
	s.mu.Unlock()
	want := dummyPassword
	if ok {
		want = []byte(u.Password)
	}
	match := subtle.ConstantTimeCompare(want, []byte(password)) == 1
	return ok && match && u.Password != ""
}

// fillClaims sets what authentik's default scope mappings emit for user.
// authentik quirks kept on purpose: given_name is the full name, nickname
// is the username, email_verified is always present (even when false) so a
// relying party can tell "false" from "absent".
func (s *storage) fillClaims(info *oidc.UserInfo, sub string, u User, scopes []string) {
	info.Subject = sub
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeEmail:
			if s.omitEmail {
				continue
			}
			info.Email = u.Email
			info.AppendClaims("email_verified", u.EmailVerified)
		case oidc.ScopeProfile:
			info.Name = u.Name
			info.GivenName = u.Name
			info.PreferredUsername = u.Username
			info.Nickname = u.Username
			groups := u.Groups
			if groups == nil {
				groups = []string{}
			}
			info.AppendClaims("groups", groups)
		}
	}
}
