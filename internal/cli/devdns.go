package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
)

// runDevDNS serves TXT records from a tiny authoritative DNS server on
// loopback, so the guide's "publish a TXT record" step can be tried on a
// laptop: start ssogate with --dns-nameservers pointing at it.
func setupDevDNS(env *Env, fs *pflag.FlagSet) runFunc {
	listen := fs.String("listen", "127.0.0.1:5354", "loopback address for UDP and TCP")
	var records stringList
	fs.Var(&records, "txt", "a TXT record to serve at the apex of DOMAIN, as DOMAIN=VALUE (repeatable)")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return devDNS(ctx, env, *listen, records)
	}
}

func devDNS(ctx context.Context, env *Env, listen string, records []string) error {
	type txt struct{ domain, value string }
	var parsed []txt
	for _, r := range records {
		domain, value, ok := strings.Cut(r, "=")
		if !ok || domain == "" || value == "" {
			return usageError("--txt %q: write DOMAIN=VALUE, e.g. acmecorp.company=cloudflare_dashboard_sso=...", r)
		}
		parsed = append(parsed, txt{domain, value})
	}
	srv, err := dnstest.Start(listen)
	if err != nil {
		return fmt.Errorf("start DNS server on %s: %w", listen, err)
	}
	defer srv.Close()
	for _, r := range parsed {
		publishTXT(srv, r.domain, r.value)
		fmt.Fprintf(env.Stdout, "serving TXT %s %q\n", r.domain, r.value)
	}
	fmt.Fprintf(env.Stdout, "DNS server on %s (UDP and TCP); start ssogate with --dns-nameservers %s\n", srv.Addr(), srv.Addr())
	<-ctx.Done()
	return nil
}

// publishTXT makes srv authoritative for domain and serves value as a TXT
// record at its apex: the guide's "create a DNS TXT record" step.
func publishTXT(srv *dnstest.Server, domain, value string) {
	srv.AddZone(domain, "ns1."+domain)
	srv.AddTXT(domain, value)
}
