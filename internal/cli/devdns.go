package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
)

// runDevDNS serves TXT records from a tiny authoritative DNS server on
// loopback, so the guide's "publish a TXT record" step can be tried on a
// laptop: start ssogate with --dns-nameservers pointing at it.
func runDevDNS(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "dev-dns", "dev-dns [--listen 127.0.0.1:5354] --txt DOMAIN=VALUE [--txt ...]")
	listen := fs.String("listen", "127.0.0.1:5354", "loopback address for UDP and TCP")
	var records stringList
	fs.Var(&records, "txt", "a TXT record to serve at the apex of DOMAIN, as DOMAIN=VALUE (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%v", err)
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	type txt struct{ domain, value string }
	var parsed []txt
	for _, r := range records {
		domain, value, ok := strings.Cut(r, "=")
		if !ok || domain == "" || value == "" {
			return usageError("--txt %q: write DOMAIN=VALUE, e.g. acmecorp.company=cloudflare_dashboard_sso=...", r)
		}
		parsed = append(parsed, txt{domain, value})
	}
	srv, err := dnstest.Start(*listen)
	if err != nil {
		return fmt.Errorf("start DNS server on %s: %w", *listen, err)
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
