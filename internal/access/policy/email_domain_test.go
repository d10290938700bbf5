package policy

import (
	"encoding/json"
	"testing"
)

func TestEmailDomainCheck(t *testing.T) {
	runCheck(t, emailDomainCriterion{}, []checkCase{
		{"valid", `{"domain":"example.com"}`, ""},
		{"upper case", `{"domain":"Example.COM"}`, ""},
		{"missing", `{}`, "the domain is empty"},
		{"not a string", `{"domain":["example.com"]}`, `"domain" must be a string`},
		{"leading at", `{"domain":"@example.com"}`, "without the leading @"},
		{"wildcard", `{"domain":"*.example.com"}`, "must not be a wildcard"},
		{"trailing dot", `{"domain":"example.com."}`, "must not end with a dot"},
		{"an email", `{"domain":"kim@example.com"}`, `character '@' is not allowed`},
		{"value not an object", `[]`, "must be a JSON object"},
	})
}

func TestEmailDomainEval(t *testing.T) {
	rule := `{"domain":"acmecorp.company"}`
	runEval(t, emailDomainCriterion{}, []evalCase{
		{"same domain", rule, Identity{Email: "kim@acmecorp.company"}, match, "your email domain is acmecorp.company"},
		{"case-insensitive", `{"domain":"AcmeCorp.Company"}`, Identity{Email: "kim@ACMECORP.company"}, match, "your email domain is acmecorp.company"},
		{"other domain", rule, Identity{Email: "kim@example.com"}, noMatch, "your email domain is not acmecorp.company"},
		{"subdomain does not match", rule, Identity{Email: "kim@eu.acmecorp.company"}, noMatch, "your email domain is not acmecorp.company"},
		{"parent does not match", `{"domain":"eu.acmecorp.company"}`, Identity{Email: "kim@acmecorp.company"}, noMatch, "your email domain is not eu.acmecorp.company"},
		{"suffix without dot does not match", rule, Identity{Email: "kim@evilacmecorp.company"}, noMatch, "your email domain is not acmecorp.company"},
		{"two ats cannot be checked", rule, Identity{Email: "kim@evil.example@acmecorp.company"}, unknown, "your email address does not have exactly one @, so its domain cannot be checked"},
		{"no at cannot be checked", rule, Identity{Email: "kim"}, unknown, "your email address does not have exactly one @, so its domain cannot be checked"},
		{"invalid rule", `{"domain":"@acmecorp.company"}`, Identity{Email: "kim@acmecorp.company"}, unknown, "this policy has an invalid email_domain rule"},
	})
}

func TestEmailDomainConstructor(t *testing.T) {
	b, err := json.Marshal(EmailDomain("example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"email_domain":{"domain":"example.com"}}`; got != want {
		t.Errorf("EmailDomain() = %s, want %s", got, want)
	}
}
