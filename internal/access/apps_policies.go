package access

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// PolicyLinkRaw is one item of an app's policies array: a bare reusable
// policy id, {"id":…, "precedence":…}, or an inline policy — an object
// with the policy's own fields (decision, include…), without an id to
// create one scoped to the app, with the id of one of the app's own
// policies to update it (Cloudflare's application-scoped policies, as the
// Terraform provider sends them).
type PolicyLinkRaw struct {
	ID         string
	Precedence int
	// Inline holds the policy fields of an object item, nil when it had
	// none. On a reusable policy's link they are ignored (they are what
	// an earlier response showed of it, sent back), except that a
	// requirement ssogate cannot enforce is refused there too: Cloudflare
	// reads it as a per-app override that adds a step before access.
	Inline *PolicyInput
}

// UnmarshalJSON accepts every form.
func (l *PolicyLinkRaw) UnmarshalJSON(b []byte) error {
	var id string
	if err := json.Unmarshal(b, &id); err == nil {
		l.ID = id
		return nil
	}
	var obj struct {
		ID         string `json:"id"`
		Precedence int    `json:"precedence"`
		PolicyInput
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("each policies item is a policy id, {\"id\":…,\"precedence\":…} or an inline policy {\"name\":…,\"decision\":…,\"include\":[…]}")
	}
	l.ID, l.Precedence = obj.ID, obj.Precedence
	in := obj.PolicyInput
	in.Precedence = nil
	if in != (PolicyInput{}) {
		l.Inline = &in
	}
	return nil
}

// setPolicies makes the app's policies those listed, when the list is
// given: reusable policies are linked, inline ones created or updated as
// the app's own (matched by id, else by name), and the app's own policies
// the list leaves out are deleted. Precedence is the item's, or its position (1-based). Every
// policy created, changed or deleted is audited.
func (s *Service) setPolicies(ctx context.Context, q store.Querier, accountID, appID string, items *[]PolicyLinkRaw) error {
	if items == nil {
		return nil
	}
	own, err := queryPolicies(ctx, q, `SELECT `+policyColumns+`, 0, 0 FROM access_policies p
		WHERE p.account_id=$1 AND p.app_id=$2`, accountID, appID)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM access_app_policies WHERE app_id=$1`, appID); err != nil {
		return err
	}
	kept := map[string]bool{}
	for i, item := range *items {
		ptr := "/policies/" + strconv.Itoa(i)
		if item.Precedence < 0 {
			return api.Invalid(ptr+"/precedence", "precedence must be 1 or more")
		}
		if kept[item.ID] && item.ID != "" {
			return api.Invalid(ptr, "policies: %q is listed twice", item.ID)
		}
		if item.ID == "" && item.Inline != nil && item.Inline.Name != nil {
			// An inline policy sent again without its id (a client that
			// keeps only what it wrote) is the app's own policy of that
			// name: updated in place, so its id stays.
			for _, p := range own {
				if !kept[p.ID] && p.Name == strings.TrimSpace(*item.Inline.Name) {
					item.ID = p.ID
					break
				}
			}
		}
		id, err := s.placePolicy(ctx, q, accountID, appID, ptr, item)
		if err != nil {
			return err
		}
		kept[id] = true
		prec := item.Precedence
		if prec == 0 {
			prec = i + 1
		}
		if err := s.linkAppend(ctx, q, appID, id, &prec); err != nil {
			if _, ok := err.(*api.Error); ok {
				return api.Invalid(ptr+"/precedence", "policies: precedence %d is used twice", prec)
			}
			return err
		}
	}
	for _, p := range own {
		if kept[p.ID] {
			continue
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM access_policies WHERE account_id=$1 AND id=$2`, accountID, p.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, q, audit.Event{AccountID: accountID, Action: "access_policy_delete", Result: true,
			ResourceID: p.ID, ResourceType: "access_policy", OldValue: p,
			Metadata: map[string]any{"app_id": appID, "reason": "left out of the application's policies"}}); err != nil {
			return err
		}
	}
	return nil
}

// placePolicy resolves one item to a policy id: an existing reusable
// policy, the app's own policy (updated with the item's fields), or a new
// policy of the app.
func (s *Service) placePolicy(ctx context.Context, q store.Querier, accountID, appID, ptr string, item PolicyLinkRaw) (string, error) {
	if item.Inline != nil {
		if err := checkRequirements(item.Inline.PolicyRequirements); err != nil {
			return "", prefixPointer(err, ptr)
		}
	}
	if item.ID == "" {
		if item.Inline == nil {
			return "", api.Invalid(ptr, "policies: an item needs the id of a reusable policy, or the fields of an inline policy (name, decision, include)")
		}
		return s.insertAppPolicy(ctx, q, accountID, appID, ptr, *item.Inline)
	}
	p, err := getPolicy(ctx, q, accountID, item.ID)
	if err != nil || (p.AppID != "" && p.AppID != appID) {
		return "", api.Invalid(ptr, "policies: %q is not a reusable Access policy of this account, nor one of this application's own", item.ID)
	}
	if p.AppID == "" || item.Inline == nil {
		return p.ID, nil
	}
	old := p
	if err := applyPolicy(&p, *item.Inline, false); err != nil {
		return "", prefixPointer(err, ptr)
	}
	if err := checkServiceTokenRefs(ctx, q, accountID, &old, p); err != nil {
		return "", prefixPointer(err, ptr)
	}
	if policyEqual(old, p) {
		return p.ID, nil
	}
	p.UpdatedAt = s.now()
	rules, settings := encodePolicy(p)
	if _, err := q.ExecContext(ctx, `UPDATE access_policies SET name=$3, decision=$4, rules=$5, settings=$6,
		updated_on=$7 WHERE account_id=$1 AND id=$2`, accountID, p.ID, p.Name, p.Decision, rules, settings,
		store.Micros(p.UpdatedAt)); err != nil {
		return "", err
	}
	return p.ID, audit.Record(ctx, q, audit.Event{AccountID: accountID, Action: "access_policy_update", Result: true,
		ResourceID: p.ID, ResourceType: "access_policy", OldValue: old, NewValue: p})
}

func (s *Service) insertAppPolicy(ctx context.Context, q store.Querier, accountID, appID, ptr string, in PolicyInput) (string, error) {
	now := s.now()
	p := Policy{ID: ids.NewUUID(), AccountID: accountID, AppID: appID, CreatedAt: now, UpdatedAt: now}
	if err := applyPolicy(&p, in, true); err != nil {
		return "", prefixPointer(err, ptr)
	}
	if err := checkServiceTokenRefs(ctx, q, accountID, nil, p); err != nil {
		return "", prefixPointer(err, ptr)
	}
	rules, settings := encodePolicy(p)
	if _, err := q.ExecContext(ctx, `INSERT INTO access_policies (id, account_id, app_id, name, decision, rules,
		settings, created_on, updated_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, p.ID, accountID, appID, p.Name,
		p.Decision, rules, settings, store.Micros(now), store.Micros(now)); err != nil {
		return "", store.Translate(err)
	}
	return p.ID, audit.Record(ctx, q, audit.Event{AccountID: accountID, Action: "access_policy_create", Result: true,
		ResourceID: p.ID, ResourceType: "access_policy", NewValue: p, Metadata: map[string]any{"app_id": appID}})
}

func policyEqual(a, b Policy) bool {
	ra, sa := encodePolicy(a)
	rb, sb := encodePolicy(b)
	return a.Name == b.Name && a.Decision == b.Decision && ra == rb && sa == sb
}

// prefixPointer moves a policy field's error under the item's pointer
// (/include → /policies/2/include).
func prefixPointer(err error, ptr string) error {
	e, ok := err.(*api.Error)
	if !ok {
		return err
	}
	out := *e
	out.Messages = slices.Clone(e.Messages)
	for i := range out.Messages {
		cp := api.Source{}
		if src := out.Messages[i].Source; src != nil {
			cp = *src
		}
		cp.Pointer = ptr + cp.Pointer
		out.Messages[i].Source = &cp
	}
	if len(out.Messages) > 0 {
		out.Messages[0].Message = "policies[" + ptr[len("/policies/"):] + "]: " + out.Messages[0].Message
	}
	return &out
}
