package policy

import (
	"encoding/json"
)

// EmailDomain is the rule {"email_domain":{"domain":domain}}: the signed-in
// email's domain is exactly domain, ignoring ASCII case. Subdomains do not
// match (see doc.go).
func EmailDomain(domain string) Rule {
	return newRule("email_domain", map[string]string{"domain": domain})
}

type emailDomainCriterion struct{}

func (emailDomainCriterion) identityBased() bool { return true }

func (emailDomainCriterion) check(value json.RawMessage) error {
	_, err := parseEmailDomainRule(value)
	return err
}

// eval names the rule's domain: the person learns which domain the policy
// wants, which is what a deny page should tell them and no one's secret.
func (emailDomainCriterion) eval(value json.RawMessage, id Identity) (outcome, string) {
	want, err := parseEmailDomainRule(value)
	if err != nil {
		return unknown, "this policy has an invalid email_domain rule"
	}
	got, ok := emailDomain(id.Email)
	if !ok {
		return unknown, "your email address does not have exactly one @, so its domain cannot be checked"
	}
	want = toLowerASCII(want)
	if asciiEqualFold(got, want) {
		return match, "your email domain is " + want
	}
	return noMatch, "your email domain is not " + want
}

func parseEmailDomainRule(value json.RawMessage) (string, error) {
	fields, err := objectFields("email_domain", value)
	if err != nil {
		return "", err
	}
	d, err := stringField(fields, "domain")
	if err != nil {
		return "", err
	}
	if err := checkDomain(d); err != nil {
		return "", err
	}
	return d, nil
}
