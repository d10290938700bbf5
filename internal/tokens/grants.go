package tokens

import (
	"net/netip"
	"strings"
)

// Evaluate is the pure decision of whether policies grant perm on the
// account. Deny policies win; an allow needs a matching group and a
// resource naming the account with "*".
func Evaluate(policies []Policy, perm, accountID string) bool {
	allowed := false
	for _, p := range policies {
		if !policyCovers(p, perm, accountID) {
			continue
		}
		if p.Effect == "deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func policyCovers(p Policy, perm, accountID string) bool {
	hasGroup := false
	for _, g := range p.PermissionGroups {
		if Implies(g.Name, perm) {
			hasGroup = true
			break
		}
	}
	if !hasGroup {
		return false
	}
	v, ok := p.Resources[accountResourceKey+accountID]
	s, isString := v.(string)
	return ok && isString && s == "*"
}

// IPAllowed applies a token's request_ip condition: the client must be in
// one of the "in" ranges when there are any, and in none of "not_in".
func IPAllowed(c Condition, ip netip.Addr) bool {
	if c.RequestIP == nil {
		return true
	}
	if len(c.RequestIP.In) > 0 && !inPrefixes(c.RequestIP.In, ip) {
		return false
	}
	return !inPrefixes(c.RequestIP.NotIn, ip)
}

func inPrefixes(list []string, ip netip.Addr) bool {
	for _, s := range list {
		if p, err := parsePrefix(s); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

// parsePrefix accepts CIDRs and bare addresses (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// grants adapts a token to api.Grants.
type grants struct {
	accountID string
	policies  []Policy
}

// Allows implements api.Grants; an account-owned token acts on its own
// account only, whatever its stored policies say.
func (g grants) Allows(perm, accountID string) bool {
	return accountID == g.accountID && Evaluate(g.policies, perm, accountID)
}
