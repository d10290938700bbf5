package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// Email is the rule {"email":{"email":address}}: the signed-in email is
// exactly address, ignoring ASCII case.
func Email(address string) Rule {
	return newRule("email", map[string]string{"email": address})
}

type emailCriterion struct{}

func (emailCriterion) identityBased() bool { return true }

func (emailCriterion) check(value json.RawMessage) error {
	_, err := parseEmailRule(value)
	return err
}

// eval never echoes the rule's address: policies are usually lists of one
// email rule per person, and a deny page must not list the others.
func (emailCriterion) eval(value json.RawMessage, id Identity) (outcome, string) {
	want, err := parseEmailRule(value)
	if err != nil {
		return unknown, "this policy has an invalid email rule"
	}
	if asciiEqualFold(id.Email, want) {
		return match, "your email address is on the list"
	}
	return noMatch, "your email address is not on the list"
}

func parseEmailRule(value json.RawMessage) (string, error) {
	fields, err := objectFields("email", value)
	if err != nil {
		return "", err
	}
	addr, err := stringField(fields, "email")
	if err != nil {
		return "", err
	}
	if err := checkEmail(addr); err != nil {
		return "", err
	}
	return addr, nil
}

// checkEmail accepts local@domain with exactly one @, a non-empty local
// part without spaces or control characters, and a valid domain. Stricter
// than RFC 5321 on purpose: quoted local parts containing @ are how
// "a@evil.example@good.example" slipped past domain checks elsewhere
// (access-flow.md §7.3, GHSA-c5c4-8r6x-56w3).
func checkEmail(addr string) error {
	if addr == "" {
		return fmt.Errorf("the email address is empty")
	}
	if len(addr) > 254 {
		return fmt.Errorf("the email address is longer than 254 characters")
	}
	if strings.Count(addr, "@") != 1 {
		return fmt.Errorf("email address %q must contain exactly one @", addr)
	}
	local, domain, _ := strings.Cut(addr, "@")
	if local == "" {
		return fmt.Errorf("email address %q has nothing before the @", addr)
	}
	if strings.IndexFunc(local, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("email address %q contains spaces or control characters", addr)
	}
	if err := checkDomain(domain); err != nil {
		return fmt.Errorf("email address %q: %v", addr, err)
	}
	return nil
}

// emailDomain returns the domain of a signed-in email, or false when the
// address does not have exactly one @ with something on both sides: such
// an address has no domain we can vouch for.
func emailDomain(email string) (string, bool) {
	if strings.Count(email, "@") != 1 {
		return "", false
	}
	local, domain, _ := strings.Cut(email, "@")
	if local == "" || domain == "" {
		return "", false
	}
	return domain, true
}
