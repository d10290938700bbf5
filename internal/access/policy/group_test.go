package policy

import (
	"encoding/json"
	"testing"
)

func TestGroupCheck(t *testing.T) {
	runCheck(t, groupCriterion{}, []checkCase{
		{"id", `{"id":"engineering"}`, ""},
		{"name", `{"name":"engineering"}`, ""},
		{"both", `{"id":"f174e90a-fafe-4643-bbbc-4a0ed4fc8415","name":"engineering"}`, ""},
		{"neither", `{}`, `a group rule needs the group's name in "id" (or "name")`},
		{"empty id", `{"id":""}`, `needs the group's name`},
		{"id not a string", `{"id":7}`, `"id" must be a string`},
		{"name not a string", `{"name":true,"id":"x"}`, `"name" must be a string`},
		{"value not an object", `"engineering"`, "must be a JSON object"},
	})
}

func TestGroupEval(t *testing.T) {
	eng := Identity{Email: "kim@example.com", Groups: []string{"staff", "Engineering"}}
	runEval(t, groupCriterion{}, []evalCase{
		{"member by id", `{"id":"Engineering"}`, eng, match, "you are a member of a listed group"},
		{"case-insensitive", `{"id":"ENGINEERING"}`, eng, match, "you are a member of a listed group"},
		{"name wins over id", `{"id":"f174e90a-fafe-4643-bbbc-4a0ed4fc8415","name":"staff"}`, eng, match, "you are a member of a listed group"},
		{"empty name falls back to id", `{"id":"staff","name":""}`, eng, match, "you are a member of a listed group"},
		{"name set, id not used", `{"id":"staff","name":"admins"}`, eng, noMatch, "you are not a member of a listed group"},
		{"not a member", `{"id":"admins"}`, eng, noMatch, "you are not a member of a listed group"},
		{"no groups", `{"id":"admins"}`, Identity{Email: "kim@example.com"}, noMatch, "you are not a member of a listed group"},
		{"no partial match", `{"id":"Eng"}`, eng, noMatch, "you are not a member of a listed group"},
		{"kelvin sign does not fold", `{"id":"kube"}`, Identity{Groups: []string{"\u212aube"}}, noMatch, "you are not a member of a listed group"},
		{"invalid rule", `{}`, eng, unknown, "this policy has an invalid group rule"},
	})
}

func TestGroupConstructor(t *testing.T) {
	b, err := json.Marshal(Group("engineering"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"group":{"id":"engineering"}}`; got != want {
		t.Errorf("Group() = %s, want %s", got, want)
	}
}
