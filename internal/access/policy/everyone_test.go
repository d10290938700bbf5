package policy

import (
	"encoding/json"
	"testing"
)

func TestEveryoneCheck(t *testing.T) {
	runCheck(t, everyoneCriterion{}, []checkCase{
		{"empty object", `{}`, ""},
		{"fields ignored", `{"x":1}`, ""},
		{"null", `null`, `the value of "everyone" must be a JSON object`},
		{"array", `[]`, "must be a JSON object"},
		{"true", `true`, "must be a JSON object"},
	})
}

func TestEveryoneEval(t *testing.T) {
	runEval(t, everyoneCriterion{}, []evalCase{
		{"signed in", `{}`, Identity{Email: "kim@example.com"}, match, "the policy applies to everyone"},
		{"anonymous", `{}`, Identity{}, match, "the policy applies to everyone"},
		{"invalid rule", `1`, Identity{}, unknown, "this policy has an invalid everyone rule"},
	})
}

func TestEveryoneConstructor(t *testing.T) {
	b, err := json.Marshal(Everyone())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"everyone":{}}`; got != want {
		t.Errorf("Everyone() = %s, want %s", got, want)
	}
}
