package policy

import (
	"encoding/json"
	"testing"
)

const authentikID = "f174e90a-fafe-4643-bbbc-4a0ed4fc8415"

func TestLoginMethodCheck(t *testing.T) {
	runCheck(t, loginMethodCriterion{}, []checkCase{
		{"valid", `{"id":"` + authentikID + `"}`, ""},
		{"missing", `{}`, `a login_method rule needs the identity provider's id in "id"`},
		{"not a string", `{"id":1}`, `"id" must be a string`},
		{"value not an object", `null`, "must be a JSON object"},
	})
}

func TestLoginMethodEval(t *testing.T) {
	rule := `{"id":"` + authentikID + `"}`
	runEval(t, loginMethodCriterion{}, []evalCase{
		{"same idp", rule, Identity{Email: "kim@example.com", IdPID: authentikID}, match, "you signed in with an accepted login method"},
		{"upper-case uuid", `{"id":"F174E90A-FAFE-4643-BBBC-4A0ED4FC8415"}`, Identity{IdPID: authentikID}, match, "you signed in with an accepted login method"},
		{"other idp", rule, Identity{IdPID: "otp"}, noMatch, "you signed in with a login method this policy does not accept here"},
		{"unknown idp", rule, Identity{Email: "kim@example.com"}, unknown, "the login method you used is not known"},
		{"invalid rule", `{"id":""}`, Identity{IdPID: authentikID}, unknown, "this policy has an invalid login_method rule"},
	})
}

func TestLoginMethodConstructor(t *testing.T) {
	b, err := json.Marshal(LoginMethod(authentikID))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"login_method":{"id":"`+authentikID+`"}}`; got != want {
		t.Errorf("LoginMethod() = %s, want %s", got, want)
	}
}
