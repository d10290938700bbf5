package tokens_test

import (
	"net/netip"
	"testing"

	"github.com/ssogate/ssogate/internal/tokens"
)

const (
	acctA = "0123456789abcdef0123456789abcdef"
	acctB = "fedcba9876543210fedcba9876543210"
)

func groups(names ...string) []tokens.GroupRef {
	out := make([]tokens.GroupRef, len(names))
	for i, n := range names {
		g, _ := tokens.GroupByName(n)
		out[i] = tokens.GroupRef{ID: g.ID, Name: g.Name}
	}
	return out
}

func onAccount(id string) map[string]any {
	return map[string]any{tokens.AccountScope + "." + id: "*"}
}

func policy(effect string, res map[string]any, names ...string) tokens.Policy {
	return tokens.Policy{Effect: effect, PermissionGroups: groups(names...), Resources: res}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name     string
		policies []tokens.Policy
		perm     string
		account  string
		want     bool
	}{
		{"no policies", nil, tokens.SSORead, acctA, false},
		{"allow exact group", []tokens.Policy{policy("allow", onAccount(acctA), tokens.SSORead)}, tokens.SSORead, acctA, true},
		{"write implies read", []tokens.Policy{policy("allow", onAccount(acctA), tokens.SSOWrite)}, tokens.SSORead, acctA, true},
		{"read does not imply write", []tokens.Policy{policy("allow", onAccount(acctA), tokens.SSORead)}, tokens.SSOWrite, acctA, false},
		{"no matching group", []tokens.Policy{policy("allow", onAccount(acctA), tokens.TokensWrite)}, tokens.SSORead, acctA, false},
		{"group of another family", []tokens.Policy{policy("allow", onAccount(acctA), tokens.SettingsWrite)}, tokens.MembersRead, acctA, false},
		{"deny wins over allow", []tokens.Policy{
			policy("allow", onAccount(acctA), tokens.SSOWrite),
			policy("deny", onAccount(acctA), tokens.SSOWrite),
		}, tokens.SSOWrite, acctA, false},
		{"deny first still wins", []tokens.Policy{
			policy("deny", onAccount(acctA), tokens.SSORead),
			policy("allow", onAccount(acctA), tokens.SSORead),
		}, tokens.SSORead, acctA, false},
		{"deny of write denies read", []tokens.Policy{
			policy("allow", onAccount(acctA), tokens.SSOWrite),
			policy("deny", onAccount(acctA), tokens.SSOWrite),
		}, tokens.SSORead, acctA, false},
		{"deny on another account does not matter", []tokens.Policy{
			policy("allow", onAccount(acctA), tokens.SSORead),
			policy("deny", onAccount(acctB), tokens.SSORead),
		}, tokens.SSORead, acctA, true},
		{"deny of another group does not matter", []tokens.Policy{
			policy("allow", onAccount(acctA), tokens.SSORead, tokens.TokensRead),
			policy("deny", onAccount(acctA), tokens.TokensRead),
		}, tokens.SSORead, acctA, true},
		{"deny alone", []tokens.Policy{policy("deny", onAccount(acctA), tokens.SSORead)}, tokens.SSORead, acctA, false},
		{"resource of another account", []tokens.Policy{policy("allow", onAccount(acctB), tokens.SSORead)}, tokens.SSORead, acctA, false},
		{"nested resource", []tokens.Policy{policy("allow", map[string]any{
			tokens.AccountScope + "." + acctA: map[string]any{"com.cloudflare.api.account.zone.*": "*"},
		}, tokens.SSORead)}, tokens.SSORead, acctA, false},
		{"resource not star", []tokens.Policy{policy("allow", map[string]any{
			tokens.AccountScope + "." + acctA: "read",
		}, tokens.SSORead)}, tokens.SSORead, acctA, false},
		{"wildcard account resource is not a grant", []tokens.Policy{policy("allow", map[string]any{
			tokens.AccountScope + ".*": "*",
		}, tokens.SSORead)}, tokens.SSORead, acctA, false},
		{"one of several resources", []tokens.Policy{policy("allow", map[string]any{
			tokens.AccountScope + "." + acctB: "*",
			tokens.AccountScope + "." + acctA: "*",
		}, tokens.SSORead)}, tokens.SSORead, acctA, true},
		{"one of several groups", []tokens.Policy{policy("allow", onAccount(acctA), tokens.TokensRead, tokens.SSOWrite)}, tokens.SSOWrite, acctA, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tokens.Evaluate(tc.policies, tc.perm, tc.account); got != tc.want {
				t.Errorf("Evaluate(%q on %s) = %v, want %v", tc.perm, tc.account, got, tc.want)
			}
		})
	}
}

func TestImplies(t *testing.T) {
	tests := []struct {
		group, perm string
		want        bool
	}{
		{tokens.SSOWrite, tokens.SSOWrite, true},
		{tokens.SSOWrite, tokens.SSORead, true},
		{tokens.SSORead, tokens.SSORead, true},
		{tokens.SSORead, tokens.SSOWrite, false},
		{tokens.TokensWrite, tokens.TokensRead, true},
		{tokens.TokensWrite, tokens.SSORead, false},
		{tokens.SSOWrite, tokens.TokensRead, false},
		{tokens.AccessOrgWrite, tokens.AccessOrgRead, true},
		{tokens.AccessAppsWrite, tokens.AccessOrgRead, false},
		{"Write", "Read", false},          // a bare "Write" has no base and implies nothing
		{"Zone Write", "Zone Read", true}, // the rule is textual, not a catalogue lookup
		{"", "", true},
		{tokens.SSOWrite, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.group+"→"+tc.perm, func(t *testing.T) {
			if got := tokens.Implies(tc.group, tc.perm); got != tc.want {
				t.Errorf("Implies(%q, %q) = %v, want %v", tc.group, tc.perm, got, tc.want)
			}
		})
	}
}

func TestIPAllowed(t *testing.T) {
	cond := func(in, notIn []string) tokens.Condition {
		return tokens.Condition{RequestIP: &tokens.RequestIP{In: in, NotIn: notIn}}
	}
	tests := []struct {
		name string
		cond tokens.Condition
		ip   string
		want bool
	}{
		{"no condition", tokens.Condition{}, "192.0.2.1", true},
		{"empty lists", cond(nil, nil), "192.0.2.1", true},
		{"in range", cond([]string{"192.0.2.0/24"}, nil), "192.0.2.77", true},
		{"outside in range", cond([]string{"192.0.2.0/24"}, nil), "198.51.100.1", false},
		{"one of several in ranges", cond([]string{"10.0.0.0/8", "192.0.2.0/24"}, nil), "192.0.2.1", true},
		{"not_in hit", cond(nil, []string{"192.0.2.0/24"}), "192.0.2.1", false},
		{"not_in miss", cond(nil, []string{"192.0.2.0/24"}), "198.51.100.1", true},
		{"in and not_in: in only", cond([]string{"192.0.2.0/24"}, []string{"192.0.2.100/32"}), "192.0.2.1", true},
		{"in and not_in: both", cond([]string{"192.0.2.0/24"}, []string{"192.0.2.100/32"}), "192.0.2.100", false},
		{"in and not_in: neither", cond([]string{"192.0.2.0/24"}, []string{"192.0.2.100/32"}), "203.0.113.1", false},
		{"unmasked CIDR", cond([]string{"192.0.2.77/24"}, nil), "192.0.2.1", true},
		{"v6 in", cond([]string{"2001:db8::/32"}, nil), "2001:db8:1::1", true},
		{"v6 out", cond([]string{"2001:db8::/32"}, nil), "2001:db9::1", false},
		{"v6 not_in", cond(nil, []string{"2001:db8::/32"}), "2001:db8::1", false},
		{"v4 client, v6 range", cond([]string{"2001:db8::/32"}, nil), "192.0.2.1", false},
		{"bare v4", cond([]string{"192.0.2.1"}, nil), "192.0.2.1", true},
		{"bare v4 other", cond([]string{"192.0.2.1"}, nil), "192.0.2.2", false},
		{"bare v6", cond([]string{"2001:db8::1"}, nil), "2001:db8::1", true},
		{"bare v4-mapped in list", cond([]string{"::ffff:192.0.2.1"}, nil), "192.0.2.1", true},
		{"bare loopback not_in", cond(nil, []string{"127.0.0.1"}), "127.0.0.1", false},
		{"spaces around", cond([]string{" 192.0.2.0/24 "}, nil), "192.0.2.1", true},
		{"garbage entry never matches", cond([]string{"not-an-ip"}, nil), "192.0.2.1", false},
		{"garbage not_in never matches", cond(nil, []string{"not-an-ip"}), "192.0.2.1", true},
		{"invalid client with in list", cond([]string{"0.0.0.0/0"}, nil), "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ip netip.Addr
			if tc.ip != "" {
				ip = netip.MustParseAddr(tc.ip)
			}
			if got := tokens.IPAllowed(tc.cond, ip); got != tc.want {
				t.Errorf("IPAllowed(%+v, %s) = %v, want %v", tc.cond.RequestIP, tc.ip, got, tc.want)
			}
		})
	}
}

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range tokens.Catalogue() {
		if !hex32.MatchString(g.ID) || seen[g.ID] {
			t.Errorf("group %q: id %q is not a unique 32-hex id", g.Name, g.ID)
		}
		seen[g.ID] = true
		byID, ok := tokens.GroupByID(g.ID)
		if !ok || byID.Name != g.Name {
			t.Errorf("GroupByID(%s) = %v, %v", g.ID, byID, ok)
		}
		byName, ok := tokens.GroupByName("  " + g.Name + " ")
		if !ok || byName.ID != g.ID {
			t.Errorf("GroupByName(%q) = %v, %v", g.Name, byName, ok)
		}
	}
	if _, ok := tokens.GroupByName("Zone Read"); ok {
		t.Error("GroupByName found a group ssogate does not have")
	}
}

// holds is a caller holding the named groups (and what they imply) on acctA.
type holds []string

func (h holds) Allows(perm, account string) bool {
	for _, g := range h {
		if account == acctA && tokens.Implies(g, perm) {
			return true
		}
	}
	return false
}

// TestBeyond is the no-escalation rule that create, update, roll and
// delete apply, and the dashboard applies with a member's role as caller.
func TestBeyond(t *testing.T) {
	byID := func(name string) tokens.Policy { // as a form sends it: ids, no names
		g, _ := tokens.GroupByName(name)
		return tokens.Policy{Effect: "allow", PermissionGroups: []tokens.GroupRef{{ID: g.ID}}, Resources: onAccount(acctA)}
	}
	tests := []struct {
		name     string
		policies []tokens.Policy
		caller   holds
		want     string
	}{
		{"nothing", nil, nil, ""},
		{"within", []tokens.Policy{policy("allow", onAccount(acctA), tokens.SSORead, tokens.TokensRead)},
			holds{tokens.SSOWrite, tokens.TokensRead}, ""},
		{"Write implies Read, not the reverse", []tokens.Policy{policy("allow", onAccount(acctA), tokens.SSOWrite)},
			holds{tokens.SSORead}, tokens.SSOWrite},
		{"the first group beyond", []tokens.Policy{policy("allow", onAccount(acctA), tokens.SSORead, tokens.MembersWrite, tokens.SSOWrite)},
			holds{tokens.SSORead}, tokens.MembersWrite},
		{"a deny grants nothing", []tokens.Policy{policy("deny", onAccount(acctA), tokens.MembersWrite)}, holds{}, ""},
		{"a later allow policy", []tokens.Policy{policy("allow", onAccount(acctA), tokens.SSORead), policy("allow", onAccount(acctA), tokens.AccessAppsWrite)},
			holds{tokens.SSORead}, tokens.AccessAppsWrite},
		{"groups known by id", []tokens.Policy{byID(tokens.SSOWrite)}, holds{tokens.SSORead}, tokens.SSOWrite},
		{"groups known by id, within", []tokens.Policy{byID(tokens.SSORead)}, holds{tokens.SSOWrite}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, beyond := tokens.Beyond(tc.policies, acctA, tc.caller)
			if got != tc.want || beyond != (tc.want != "") {
				t.Errorf("Beyond = %q, %v; want %q", got, beyond, tc.want)
			}
		})
	}
}
