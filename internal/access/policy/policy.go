package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
)

// Policy decisions, as Cloudflare spells them on the wire. Cloudflare's
// dashboard calls deny "Block" and non_identity "Service Auth".
const (
	DecisionAllow       = "allow"
	DecisionDeny        = "deny"
	DecisionBypass      = "bypass"
	DecisionNonIdentity = "non_identity"
)

// Results of Evaluate.
const (
	ResultAllow  = "allow"
	ResultDeny   = "deny"
	ResultBypass = "bypass"
)

// Policy is an Access policy with Cloudflare's JSON names. Other fields of
// Cloudflare's policy object (session_duration, approval_*, mfa_config, …)
// do not take part in the decision and are the API layer's to store.
type Policy struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name"`
	Decision   string `json:"decision"`
	Include    []Rule `json:"include"`
	Exclude    []Rule `json:"exclude"`
	Require    []Rule `json:"require"`
	Precedence int    `json:"precedence,omitempty"`
}

// MarshalJSON writes empty rule lists as [] rather than null, as Cloudflare
// does ("exclude":[]).
func (p Policy) MarshalJSON() ([]byte, error) {
	type wire Policy // no methods: avoids recursion
	w := wire(p)
	for _, l := range []*[]Rule{&w.Include, &w.Exclude, &w.Require} {
		if *l == nil {
			*l = []Rule{}
		}
	}
	return json.Marshal(w)
}

// Identity is what a login produced, as far as policies can see it.
// An Identity without Email has not signed in: only bypass policies can
// apply to it (that is how a request is checked before the login redirect).
type Identity struct {
	Email  string     // from the IdP's email claim
	Groups []string   // the IdP's groups claim, by name
	IdPID  string     // id of the identity provider used ("login method")
	IP     netip.Addr // client address; the zero Addr when unknown

	// serviceToken is the id of the valid service token the request
	// presented; only EvaluateServiceToken sets it, so a login is never
	// mistaken for a machine.
	serviceToken string
}

func (id Identity) signedIn() bool { return id.Email != "" }

// Decision is the outcome of Evaluate.
type Decision struct {
	Result  string   `json:"result"`           // ResultAllow, ResultDeny or ResultBypass
	Policy  string   `json:"policy,omitempty"` // id of the deciding policy; "" for the default deny
	Reasons []Reason `json:"reasons"`
}

// Reason says which policy and which rule matched or failed. Message is
// written for the person being decided about and is safe to show on a deny
// page: it speaks about their own email, domain, groups or address and
// never lists the emails, groups, login methods or address ranges a policy
// names. The one value of a policy it does show is an email_domain rule's
// domain, which is not a secret of anyone's.
type Reason struct {
	PolicyID   string `json:"policy_id,omitempty"`
	PolicyName string `json:"policy_name,omitempty"`
	Section    string `json:"section,omitempty"`   // "include", "exclude", "require"; "" for the policy as a whole
	Index      int    `json:"index"`               // the rule's position in Section (0-based); 0 when Section is ""
	RuleType   string `json:"rule_type,omitempty"` // "email", "ip", …; "" when not about one rule
	Matched    bool   `json:"matched"`
	Message    string `json:"message"`
}

// String renders the reason for a deny page or a log line, e.g.
// `policy "Employees": your email domain is not acmecorp.company`.
func (r Reason) String() string {
	switch {
	case r.PolicyName != "":
		return fmt.Sprintf("policy %q: %s", r.PolicyName, r.Message)
	case r.PolicyID != "":
		return fmt.Sprintf("policy %s: %s", r.PolicyID, r.Message)
	}
	return r.Message
}
