package oidcrp

import (
	"testing"
)

// BenchmarkFinish is one whole login on loopback: Begin, the IdP's
// authorize step (auto-login), then Finish with a shared KeyCache as the
// Access handlers use it.
func BenchmarkFinish(b *testing.B) {
	for _, pkce := range []bool{false, true} {
		name := "basic"
		if pkce {
			name = "pkce"
		}
		b.Run(name, func(b *testing.B) {
			e := newEnv(b, nil)
			p := e.prov
			p.PKCE = pkce
			o := e.opts()
			o.KeyCache = NewKeyCache()
			for b.Loop() {
				start, q := e.login(b, p)
				if _, err := e.finish(b, p, o, start, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
