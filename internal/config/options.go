package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Constructors of options, one per field type.

func str(name, usage string, field func(*Config) *string) option {
	return option{flag: name, env: envName(name), usage: usage, kind: "string",
		get: func(c *Config) string { return *field(c) },
		set: func(c *Config, v string) error { *field(c) = strings.TrimSpace(v); return nil }}
}

func list(name, usage string, field func(*Config) *[]string) option {
	return option{flag: name, env: envName(name), usage: usage, kind: "strings",
		get: func(c *Config) string { return strings.Join(*field(c), ",") },
		set: func(c *Config, v string) error { *field(c) = splitList(v); return nil }}
}

func dur(name, usage string, field func(*Config) *time.Duration) option {
	return option{flag: name, env: envName(name), usage: usage, kind: "duration",
		get: func(c *Config) string { return field(c).String() },
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 48h or 90s", v)
			}
			*field(c) = d
			return nil
		}}
}

func num(name, usage string, field func(*Config) *int) option {
	return option{flag: name, env: envName(name), usage: usage, kind: "int",
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			*field(c) = n
			return nil
		}}
}

func prefixes(name, usage string, field func(*Config) *[]netip.Prefix) option {
	return option{flag: name, env: envName(name), usage: usage, kind: "cidrs",
		get: func(c *Config) string {
			var s []string
			for _, p := range *field(c) {
				s = append(s, p.String())
			}
			return strings.Join(s, ",")
		},
		set: func(c *Config, v string) error {
			var out []netip.Prefix
			for _, s := range splitList(v) {
				p, err := netip.ParsePrefix(s)
				if err != nil {
					a, aerr := netip.ParseAddr(s)
					if aerr != nil {
						return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", s)
					}
					p = netip.PrefixFrom(a, a.BitLen())
				}
				out = append(out, p.Masked())
			}
			*field(c) = out
			return nil
		}}
}

// boolean accepts what strconv.ParseBool does (true, false, 1, 0, t, f).
func boolean(name, usage string, field func(*Config) *bool) option {
	return option{flag: name, env: envName(name), usage: usage, kind: "bool",
		get: func(c *Config) string { return strconv.FormatBool(*field(c)) },
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			*field(c) = b
			return nil
		}}
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
