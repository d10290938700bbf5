package policy

import (
	"encoding/json"
	"net/netip"
	"testing"
)

func TestIPCheck(t *testing.T) {
	runCheck(t, ipCriterion{}, []checkCase{
		{"v4 cidr", `{"ip":"192.0.2.0/24"}`, ""},
		{"v4 address", `{"ip":"192.0.2.7"}`, ""},
		{"v6 cidr", `{"ip":"2001:db8::/32"}`, ""},
		{"v6 address", `{"ip":"2001:db8::1"}`, ""},
		{"host bits set", `{"ip":"192.0.2.7/24"}`, ""},
		{"everything", `{"ip":"0.0.0.0/0"}`, ""},
		{"missing", `{}`, `an ip rule needs an address or CIDR in "ip"`},
		{"not a string", `{"ip":["192.0.2.0/24"]}`, `"ip" must be a string`},
		{"bad cidr", `{"ip":"192.0.2.0/33"}`, `"192.0.2.0/33" is not a valid CIDR`},
		{"bad address", `{"ip":"192.0.2.256"}`, `"192.0.2.256" is not a valid IP address or CIDR`},
		{"hostname", `{"ip":"example.com"}`, "is not a valid IP address or CIDR"},
		{"zone", `{"ip":"fe80::1%eth0"}`, "is not a valid IP address or CIDR"},
		{"zone in prefix", `{"ip":"fe80::1%eth0/64"}`, "is not a valid CIDR"},
		{"range", `{"ip":"192.0.2.1-192.0.2.9"}`, "is not a valid IP address or CIDR"},
		{"value not an object", `"192.0.2.0/24"`, "must be a JSON object"},
	})
}

func TestIPEval(t *testing.T) {
	at := func(s string) Identity { return Identity{Email: "kim@example.com", IP: addr(s)} }
	runEval(t, ipCriterion{}, []evalCase{
		{"in v4 range", `{"ip":"192.0.2.0/24"}`, at("192.0.2.7"), match, "your IP address 192.0.2.7 is in a listed range"},
		{"outside v4 range", `{"ip":"192.0.2.0/24"}`, at("198.51.100.7"), noMatch, "your IP address 198.51.100.7 is not in a listed range"},
		{"bare address", `{"ip":"192.0.2.7"}`, at("192.0.2.7"), match, "your IP address 192.0.2.7 is in a listed range"},
		{"bare address is /32", `{"ip":"192.0.2.7"}`, at("192.0.2.8"), noMatch, "your IP address 192.0.2.8 is not in a listed range"},
		{"host bits ignored", `{"ip":"192.0.2.77/24"}`, at("192.0.2.1"), match, "your IP address 192.0.2.1 is in a listed range"},
		{"in v6 range", `{"ip":"2001:db8::/32"}`, at("2001:db8:1::5"), match, "your IP address 2001:db8:1::5 is in a listed range"},
		{"v4 client, v6 range", `{"ip":"2001:db8::/32"}`, at("192.0.2.7"), noMatch, "your IP address 192.0.2.7 is not in a listed range"},
		{"v4-mapped client", `{"ip":"192.0.2.0/24"}`, at("::ffff:192.0.2.7"), match, "your IP address 192.0.2.7 is in a listed range"},
		{"v4-mapped rule", `{"ip":"::ffff:192.0.2.0/120"}`, at("192.0.2.7"), match, "your IP address 192.0.2.7 is in a listed range"},
		{"zoned client", `{"ip":"fe80::/64"}`, Identity{IP: netip.MustParseAddr("fe80::1%eth0")}, match, "your IP address fe80::1 is in a listed range"},
		{"unknown client address", `{"ip":"0.0.0.0/0"}`, Identity{Email: "kim@example.com"}, unknown, "your IP address is not known"},
		{"invalid rule", `{"ip":"nope"}`, at("192.0.2.7"), unknown, "this policy has an invalid ip rule"},
	})
}

func TestParsePrefix(t *testing.T) {
	cases := map[string]string{
		"192.0.2.7/24":          "192.0.2.0/24",
		"192.0.2.7":             "192.0.2.7/32",
		"2001:db8::1":           "2001:db8::1/128",
		"2001:db8::1/32":        "2001:db8::/32",
		"::ffff:192.0.2.0/120":  "192.0.2.0/24",
		"::ffff:192.0.2.1":      "192.0.2.1/32",
		"::/0":                  "::/0",
		"::ffff:192.0.2.0/95":   "::fffe:0:0/95", // shorter than the mapped range: stays IPv6
		"2001:DB8::/32":         "2001:db8::/32",
		"0.0.0.0/0":             "0.0.0.0/0",
		"255.255.255.255/32":    "255.255.255.255/32",
		"192.0.2.0/24 ":         "",
		" 192.0.2.0/24":         "",
		"":                      "",
		"192.0.2.0/24/8":        "",
		"::ffff:192.0.2.0%x/24": "",
	}
	for in, want := range cases {
		p, err := parsePrefix(in)
		if want == "" {
			if err == nil {
				t.Errorf("parsePrefix(%q) = %v, want an error", in, p)
			}
			continue
		}
		if err != nil || p.String() != want {
			t.Errorf("parsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
}

func TestIPConstructor(t *testing.T) {
	b, err := json.Marshal(IP("10.0.0.0/8"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"ip":{"ip":"10.0.0.0/8"}}`; got != want {
		t.Errorf("IP() = %s, want %s", got, want)
	}
}
