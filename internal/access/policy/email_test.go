package policy

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEmailCheck(t *testing.T) {
	runCheck(t, emailCriterion{}, []checkCase{
		{"valid", `{"email":"kim@example.com"}`, ""},
		{"extra fields kept", `{"email":"kim@example.com","note":"x"}`, ""},
		{"plus address", `{"email":"kim+ops@example.com"}`, ""},
		{"missing", `{}`, "the email address is empty"},
		{"empty", `{"email":""}`, "the email address is empty"},
		{"null", `{"email":null}`, "the email address is empty"},
		{"not a string", `{"email":42}`, `"email" must be a string`},
		{"value not an object", `"kim@example.com"`, `the value of "email" must be a JSON object`},
		{"value null", `null`, "must be a JSON object"},
		{"no at", `{"email":"kim"}`, "must contain exactly one @"},
		{"two ats", `{"email":"a@evil.example@example.com"}`, "must contain exactly one @"},
		{"no local part", `{"email":"@example.com"}`, "has nothing before the @"},
		{"space", `{"email":"kim lee@example.com"}`, "contains spaces or control characters"},
		{"bad domain", `{"email":"kim@exa_mple.com"}`, `character '_' is not allowed`},
		{"empty domain", `{"email":"kim@"}`, "the domain is empty"},
		{"too long", `{"email":"` + strings.Repeat("a", 250) + `@x.com"}`, "longer than 254"},
	})
}

func TestEmailEval(t *testing.T) {
	kim := Identity{Email: "kim@example.com"}
	runEval(t, emailCriterion{}, []evalCase{
		{"exact", `{"email":"kim@example.com"}`, kim, match, "your email address is on the list"},
		{"case-insensitive", `{"email":"Kim@EXAMPLE.com"}`, kim, match, "your email address is on the list"},
		{"other address", `{"email":"lee@example.com"}`, kim, noMatch, "your email address is not on the list"},
		{"prefix is not equal", `{"email":"kim@example.co"}`, kim, noMatch, "your email address is not on the list"},
		{"kelvin sign does not fold to k", `{"email":"kim@example.com"}`, Identity{Email: "\u212aim@example.com"}, noMatch, "your email address is not on the list"},
		{"invalid rule", `{"email":"kim"}`, kim, unknown, "this policy has an invalid email rule"},
	})
}

func TestEmailConstructor(t *testing.T) {
	b, err := json.Marshal(Email("kim@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"email":{"email":"kim@example.com"}}`; got != want {
		t.Errorf("Email() = %s, want %s", got, want)
	}
}

func TestEmailDomainOf(t *testing.T) {
	cases := []struct {
		email, want string
		ok          bool
	}{
		{"kim@example.com", "example.com", true},
		{"kim@", "", false},
		{"@example.com", "", false},
		{"kim", "", false},
		{"a@evil.example@example.com", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		got, ok := emailDomain(tc.email)
		if got != tc.want || ok != tc.ok {
			t.Errorf("emailDomain(%q) = %q, %v; want %q, %v", tc.email, got, ok, tc.want, tc.ok)
		}
	}
}
