package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// IP is the rule {"ip":{"ip":cidr}}: the client address is in cidr, which
// is a prefix ("192.0.2.0/24", "2001:db8::/32") or one address.
func IP(cidr string) Rule {
	return newRule("ip", map[string]string{"ip": cidr})
}

type ipCriterion struct{}

func (ipCriterion) identityBased() bool { return false }

func (ipCriterion) check(value json.RawMessage) error {
	_, err := parseIPRule(value)
	return err
}

// eval shows the person their own address but not the ranges: those map
// the organisation's network.
func (ipCriterion) eval(value json.RawMessage, id Identity) (outcome, string) {
	want, err := parseIPRule(value)
	if err != nil {
		return unknown, "this policy has an invalid ip rule"
	}
	if !id.IP.IsValid() {
		return unknown, "your IP address is not known"
	}
	addr := id.IP.WithZone("").Unmap()
	if want.Contains(addr) {
		return match, fmt.Sprintf("your IP address %s is in a listed range", addr)
	}
	return noMatch, fmt.Sprintf("your IP address %s is not in a listed range", addr)
}

func parseIPRule(value json.RawMessage) (netip.Prefix, error) {
	fields, err := objectFields("ip", value)
	if err != nil {
		return netip.Prefix{}, err
	}
	s, err := stringField(fields, "ip")
	if err != nil {
		return netip.Prefix{}, err
	}
	return parsePrefix(s)
}

// parsePrefix reads a CIDR or a bare address. Host bits are cleared
// (192.0.2.7/24 means 192.0.2.0/24, as route tables read it), and an
// IPv4-mapped IPv6 prefix becomes its IPv4 prefix, because client addresses
// are unmapped before the comparison.
func parsePrefix(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, fmt.Errorf(`an ip rule needs an address or CIDR in "ip"`)
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a valid CIDR such as 192.0.2.0/24 or 2001:db8::/32", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not a valid IP address or CIDR", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}
