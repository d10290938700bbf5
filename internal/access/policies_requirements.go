package access

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/ids"
)

// PolicyRequirements are Cloudflare's steps a policy can add after its
// rules match: an administrator's approval, an isolated browser, a typed
// purpose justification. ssogate has none of them, so each *_required
// flag is refused when true: a policy that says it needs approval but
// admits without one would admit more than it says, and a refusal shows
// in Terraform as an error rather than as drift or as a false sense of
// control. false, the approval groups and the prompt are stored and
// returned exactly as sent (they change nothing while their flag is off),
// so configurations written for Cloudflare round-trip. Every field is
// omitted until a client sends it.
type PolicyRequirements struct {
	ApprovalRequired             *bool            `json:"approval_required,omitempty"`
	ApprovalGroups               *[]ApprovalGroup `json:"approval_groups,omitempty"`
	IsolationRequired            *bool            `json:"isolation_required,omitempty"`
	PurposeJustificationRequired *bool            `json:"purpose_justification_required,omitempty"`
	PurposeJustificationPrompt   *string          `json:"purpose_justification_prompt,omitempty"`
}

// ApprovalGroup is who may approve a request and how many approvals it
// needs (Cloudflare's shape).
type ApprovalGroup struct {
	ApprovalsNeeded *float64  `json:"approvals_needed,omitempty"`
	EmailAddresses  *[]string `json:"email_addresses,omitempty"`
	EmailListUUID   *string   `json:"email_list_uuid,omitempty"`
}

// unsupportedRequirements names each flag ssogate refuses when true, with
// the Cloudflare feature it would ask for.
var unsupportedRequirements = []struct {
	key, feature string
	get          func(PolicyRequirements) *bool
}{
	{"approval_required", "approval by an administrator (approval_groups)", func(r PolicyRequirements) *bool { return r.ApprovalRequired }},
	{"isolation_required", "Browser Isolation", func(r PolicyRequirements) *bool { return r.IsolationRequired }},
	{"purpose_justification_required", "purpose justification", func(r PolicyRequirements) *bool { return r.PurposeJustificationRequired }},
}

// checkRequirements refuses what ssogate cannot enforce and malformed
// approval groups.
func checkRequirements(in PolicyRequirements) error {
	for _, u := range unsupportedRequirements {
		if v := u.get(in); v != nil && *v {
			return api.Invalid("/"+u.key, "%s: true is not supported: ssogate does not provide %s, so it cannot "+
				"enforce it; a policy that claimed to would admit people without it. Send false or leave it out",
				u.key, u.feature)
		}
	}
	if in.ApprovalGroups == nil {
		return nil
	}
	for i, g := range *in.ApprovalGroups {
		if err := checkApprovalGroup(fmt.Sprintf("/approval_groups/%d", i), g); err != nil {
			return err
		}
	}
	return nil
}

func checkApprovalGroup(ptr string, g ApprovalGroup) error {
	if g.ApprovalsNeeded == nil {
		return api.Invalid(ptr+"/approvals_needed", "approval_groups: each group needs approvals_needed, e.g. {\"approvals_needed\":1,\"email_addresses\":[\"lead@acmecorp.company\"]}")
	}
	if n := *g.ApprovalsNeeded; n < 0 || n != math.Trunc(n) || n > 1000 {
		return api.Invalid(ptr+"/approvals_needed", "approvals_needed must be a whole number from 0 to 1000, not %v", n)
	}
	if g.EmailAddresses != nil {
		for j, addr := range *g.EmailAddresses {
			if err := policy.ValidateRules([]policy.Rule{policy.Email(addr)}); err != nil {
				problem := err.Error()
				if re := (*policy.RuleError)(nil); errors.As(err, &re) {
					problem = re.Problem
				}
				return api.Invalid(fmt.Sprintf("%s/email_addresses/%d", ptr, j), "approval_groups: %s", problem)
			}
		}
	}
	if g.EmailListUUID != nil && !ids.IsUUID(strings.ToLower(*g.EmailListUUID)) {
		return api.Invalid(ptr+"/email_list_uuid", "email_list_uuid must be a list's UUID, not %q", *g.EmailListUUID)
	}
	return nil
}

// mergeRequirements copies the fields sent into dst.
func mergeRequirements(dst *PolicyRequirements, in PolicyRequirements) {
	if in.ApprovalRequired != nil {
		dst.ApprovalRequired = in.ApprovalRequired
	}
	if in.ApprovalGroups != nil {
		dst.ApprovalGroups = in.ApprovalGroups
	}
	if in.IsolationRequired != nil {
		dst.IsolationRequired = in.IsolationRequired
	}
	if in.PurposeJustificationRequired != nil {
		dst.PurposeJustificationRequired = in.PurposeJustificationRequired
	}
	if in.PurposeJustificationPrompt != nil {
		dst.PurposeJustificationPrompt = in.PurposeJustificationPrompt
	}
}
