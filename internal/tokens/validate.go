package tokens

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/ids"
)

const (
	maxName       = 120
	maxPolicies   = 50
	maxConditions = 100
)

// apply validates in and merges it into t (a new token on create, the
// stored one on update). Every problem is a 400 naming the field.
func apply(t *Token, in Input, create bool, now time.Time) error {
	if create && in.Name == nil {
		return api.Invalid("/name", "name is required: give the token a name people will recognise")
	}
	if create && in.Policies == nil {
		return api.Invalid("/policies", "policies is required: at least one policy with permission_groups and resources")
	}
	if in.Name != nil {
		name, err := checkName(*in.Name)
		if err != nil {
			return err
		}
		t.Name = name
	}
	if in.Policies != nil {
		pol, err := checkPolicies(*in.Policies, t.AccountID)
		if err != nil {
			return err
		}
		t.Policies = pol
	}
	if in.Condition != nil {
		if err := checkCondition(*in.Condition); err != nil {
			return err
		}
		t.Condition = *in.Condition
	}
	if in.Status != nil {
		switch *in.Status {
		case "active", "disabled":
			t.Status = *in.Status
		case "expired":
			return api.Invalid("/status", "status \"expired\" cannot be set; it follows from expires_on")
		default:
			return api.Invalid("/status", "status must be \"active\" or \"disabled\", not %q", *in.Status)
		}
	}
	return applyTimes(t, in, now)
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", api.Invalid("/name", "name must not be empty")
	case len(name) > maxName:
		return "", api.Invalid("/name", "name is %d bytes long; the limit is %d", len(name), maxName)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", api.Invalid("/name", "name must not contain control characters")
	}
	return name, nil
}

func checkPolicies(in []Policy, accountID string) ([]Policy, error) {
	if len(in) == 0 || len(in) > maxPolicies {
		return nil, api.Invalid("/policies", "policies must hold 1 to %d policies, not %d", maxPolicies, len(in))
	}
	out := make([]Policy, len(in))
	for i, p := range in {
		ptr := fmt.Sprintf("/policies/%d", i)
		if p.Effect != "allow" && p.Effect != "deny" {
			return nil, api.Invalid(ptr+"/effect", "effect must be \"allow\" or \"deny\", not %q", p.Effect)
		}
		groups, err := checkGroups(p.PermissionGroups, ptr)
		if err != nil {
			return nil, err
		}
		if err := checkResources(p.Resources, accountID, ptr); err != nil {
			return nil, err
		}
		// Policy ids are ours: whatever a client sent is replaced.
		out[i] = Policy{ID: ids.NewHex32(), Effect: p.Effect, PermissionGroups: groups, Resources: p.Resources}
	}
	return out, nil
}

func checkGroups(in []GroupRef, ptr string) ([]GroupRef, error) {
	if len(in) == 0 {
		return nil, api.Invalid(ptr+"/permission_groups", "permission_groups must list at least one group; see GET /accounts/{account_id}/tokens/permission_groups")
	}
	out := make([]GroupRef, len(in))
	for j, g := range in {
		pg, ok := GroupByID(g.ID)
		if !ok {
			return nil, api.Invalid(fmt.Sprintf("%s/permission_groups/%d/id", ptr, j),
				"unknown permission group id %q; list them with GET /accounts/{account_id}/tokens/permission_groups", g.ID)
		}
		out[j] = GroupRef{ID: pg.ID, Name: pg.Name, Meta: g.Meta}
	}
	return out, nil
}

func checkResources(res map[string]any, accountID, ptr string) error {
	want := accountResourceKey + accountID
	if len(res) == 0 {
		return api.Invalid(ptr+"/resources", "resources must name the account, e.g. {%q: \"*\"}", want)
	}
	for k, v := range res {
		if k != want {
			return api.Invalid(ptr+"/resources", "resource %q is not allowed: a token of this account can only name %q", k, want)
		}
		if s, ok := v.(string); !ok || s != "*" {
			return api.Invalid(ptr+"/resources", "resource %q must map to \"*\" (ssogate has no zone-level resources)", k)
		}
	}
	return nil
}

func checkCondition(c Condition) error {
	if c.RequestIP == nil {
		return nil
	}
	lists := map[string][]string{"in": c.RequestIP.In, "not_in": c.RequestIP.NotIn}
	for name, list := range lists {
		if len(list) > maxConditions {
			return api.Invalid("/condition/request_ip/"+name, "at most %d ranges, not %d", maxConditions, len(list))
		}
		for i, s := range list {
			if _, err := parsePrefix(s); err != nil {
				return api.Invalid(fmt.Sprintf("/condition/request_ip/%s/%d", name, i),
					"%q is not an IP address or CIDR range such as 192.0.2.0/24 or 2001:db8::/32", s)
			}
		}
	}
	return nil
}

func applyTimes(t *Token, in Input, now time.Time) error {
	if in.NotBefore.Set {
		t.NotBefore = in.NotBefore.Time
	}
	if in.ExpiresOn.Set {
		if in.ExpiresOn.Time != nil && !in.ExpiresOn.Time.After(now) {
			return api.Invalid("/expires_on", "expires_on %s is in the past", in.ExpiresOn.Time.Format(time.RFC3339))
		}
		t.ExpiresOn = in.ExpiresOn.Time
	}
	if t.NotBefore != nil && t.ExpiresOn != nil && !t.ExpiresOn.After(*t.NotBefore) {
		return api.Invalid("/expires_on", "expires_on must be after not_before")
	}
	return nil
}
