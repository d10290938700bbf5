package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/iam"
	"github.com/spf13/pflag"

	"github.com/ssogate/ssogate/internal/dnsverify"
)

// verifyCommand is sso verify: look at DNS ourselves, ask the API to
// verify, and optionally wait for the verdict.
type verifyCommand struct {
	*ssoCommand
	id       string
	wait     bool
	timeout  time.Duration
	interval time.Duration
	deadline time.Time // start + timeout: a parent context ending earlier is not our timeout
	verifier *dnsverify.Verifier
	out      io.Writer // human output; stderr under --json so stdout stays JSON
}

func setupSSOVerify(env *Env, fs *pflag.FlagSet) runFunc {
	vc := &verifyCommand{}
	var dnsFlag string
	fs.BoolVar(&vc.wait, "wait", false, "wait until the domain is verified, fails, or --timeout passes")
	fs.DurationVar(&vc.timeout, "timeout", 10*time.Minute, "how long the whole command may take")
	fs.DurationVar(&vc.interval, "interval", 5*time.Second, "how often to ask the API while waiting")
	fs.StringVar(&dnsFlag, "dns-nameservers", "", "host:port,... to look for the TXT record on (env "+envDNS+
		"; default: the domain's authoritative servers)")
	c := newSSOCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		id, err := c.item(args)
		if err != nil {
			return err
		}
		return vc.start(ctx, c, id, dnsFlag)
	}
}

func (vc *verifyCommand) start(ctx context.Context, c *ssoCommand, id, dnsFlag string) (err error) {
	env := c.env
	vc.ssoCommand, vc.id, vc.out = c, id, env.Stdout
	if c.api.asJSON {
		vc.out = env.Stderr
	}
	if vc.timeout <= 0 || vc.interval <= 0 {
		return usageError("--timeout and --interval must be positive")
	}
	if vc.verifier, err = newVerifier(dnsFlag, env.Getenv(envDNS)); err != nil {
		return err
	}
	start := time.Now()
	vc.deadline = start.Add(vc.timeout)
	ctx, cancel := context.WithDeadline(ctx, vc.deadline)
	defer cancel()
	return vc.run(ctx, start)
}

// newVerifier builds the local DNS look: the given servers (flag, then
// environment) in direct mode, else authoritative discovery.
func newVerifier(flagValue, envValue string) (*dnsverify.Verifier, error) {
	list := flagValue
	if list == "" {
		list = envValue
	}
	cfg := dnsverify.DefaultConfig()
	for _, ns := range strings.Split(list, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			cfg.Nameservers = append(cfg.Nameservers, ns)
		}
	}
	v, err := dnsverify.New(cfg)
	if err != nil {
		return nil, usageError("--dns-nameservers (or %s): %v", envDNS, err)
	}
	return v, nil
}

func (vc *verifyCommand) run(ctx context.Context, start time.Time) error {
	raw, err := vc.get(ctx, vc.id)
	if err != nil {
		return vc.timedOut(ctx, err, "")
	}
	v, err := parseConnector(raw)
	if err != nil {
		return err
	}
	if v.Verification.Status == "verified" {
		fmt.Fprintf(vc.out, "SSO connector %s is already verified.\n", vc.id)
		return vc.finish(raw, v)
	}
	name, value := v.txtRecord()
	printDNSLook(vc.out, vc.verifier.Check(ctx, name, value))
	if _, err := vc.client.IAM.SSO.BeginVerification(ctx, vc.id, iam.SSOBeginVerificationParams{AccountID: cloudflare.F(vc.account)}); err != nil {
		return vc.timedOut(ctx, vc.apiFailure("begin verification of SSO connector "+vc.id, err), "")
	}
	fmt.Fprintf(vc.out, "Verification started for %s.\n", v.EmailDomain)
	if !vc.wait {
		if raw, err = vc.get(ctx, vc.id); err != nil {
			return err
		}
		if v, err = parseConnector(raw); err != nil {
			return err
		}
		return vc.finish(raw, v)
	}
	return vc.poll(ctx, start)
}

// poll asks for the connector every interval until it is verified or
// failed, or the deadline passes. Network trouble while waiting is shown
// and retried; an API error ends the wait.
func (vc *verifyCommand) poll(ctx context.Context, start time.Time) error {
	p := newProgress(vc.out)
	defer p.done()
	last := ""
	for {
		res, err := vc.client.IAM.SSO.Get(ctx, vc.id, iam.SSOGetParams{AccountID: cloudflare.F(vc.account)})
		var ae *cloudflare.Error
		switch {
		case ctx.Err() != nil:
			p.done()
			return vc.timedOut(ctx, ctx.Err(), last)
		case errors.As(err, &ae):
			p.done()
			return vc.apiFailure("get SSO connector "+vc.id, err)
		case err != nil:
			p.update("cannot reach the API, retrying: "+err.Error(), time.Since(start))
		default:
			v, err := parseConnector(res.JSON.RawJSON())
			if err != nil {
				return err
			}
			if s := v.Verification.Status; s == "verified" || s == "failed" {
				p.done()
				return vc.finish(res.JSON.RawJSON(), v)
			}
			last = stateLine(v)
			p.update(last, time.Since(start))
		}
		select {
		case <-ctx.Done():
			p.done()
			return vc.timedOut(ctx, ctx.Err(), last)
		case <-time.After(vc.interval):
		}
	}
}

func stateLine(v connectorView) string {
	s := "status " + v.Verification.Status
	if v.Verification.Reason != "" {
		s += ": " + v.Verification.Reason
	}
	return s
}

// finish prints the connector and turns its status into the exit code:
// verified succeeds, and so does pending without --wait (the server keeps
// checking); failed exits 1 with the reason.
func (vc *verifyCommand) finish(raw string, v connectorView) error {
	if vc.api.asJSON {
		if err := vc.api.printJSON(vc.env.Stdout, raw); err != nil {
			return err
		}
	} else {
		printConnector(vc.out, v)
	}
	switch v.Verification.Status {
	case "verified":
		fmt.Fprintf(vc.out, "\n%s is verified. Enable the connector with: ssogate sso enable %s\n", v.EmailDomain, v.ID)
		return nil
	case "failed":
		return &exitError{code: 1, err: fmt.Errorf("verification of %s failed: %s", v.EmailDomain, v.Verification.Reason)}
	}
	return nil
}

// timedOut reports the --timeout deadline as such (with the last state
// seen) rather than as a network failure; other errors pass through.
func (vc *verifyCommand) timedOut(ctx context.Context, err error, last string) error {
	if ctx.Err() == nil {
		return err
	}
	if time.Now().Before(vc.deadline) {
		return fmt.Errorf("interrupted while waiting for SSO connector %s: %w", vc.id, context.Cause(ctx))
	}
	msg := fmt.Sprintf("timed out after %s waiting for SSO connector %s to be verified", vc.timeout, vc.id)
	if last != "" {
		msg += "; last " + last
	}
	return &exitError{code: 1, err: errors.New(msg + "\nThe server keeps checking DNS; run ssogate sso verify --wait again, or ssogate sso get later.")}
}
