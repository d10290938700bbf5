package cli

import (
	"context"
	"fmt"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/packages/pagination"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

var policyColumns = []column{
	field("ID", "id"), field("NAME", "name"), field("DECISION", "decision"), field("APPS", "app_count"),
	column{"INCLUDE", func(r gjson.Result) string { return showRules(r.Get("include")) }},
}

func policyRows(r gjson.Result) []row {
	return []row{
		{"name", r.Get("name").String()},
		{"decision", r.Get("decision").String()},
		{"include", showRules(r.Get("include"))},
		{"exclude", showRules(r.Get("exclude"))},
		{"require", showRules(r.Get("require"))},
		{"session duration", r.Get("session_duration").String()},
	}
}

func setupPolicyList(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		return c.run(ctx, args, noArgs, func(ctx context.Context) error {
			raws, err := collect(env.Stderr, func(page int64) (*pagination.V4PagePaginationArray[zero_trust.AccessPolicyListResponse], error) {
				return c.client.ZeroTrust.Access.Policies.List(ctx, zero_trust.AccessPolicyListParams{
					AccountID: cloudflare.F(c.account), Page: cloudflare.F(page), PerPage: cloudflare.F(int64(listPerPage))})
			})
			if err != nil {
				return c.apiFailure("list Access policies", err)
			}
			return c.showList(raws, policyColumns, "No reusable Access policies in account "+c.account+".")
		})
	}
}

const policyAddLong = `Adds a reusable policy; link it to applications with access app add --policy ID.
--decision: allow (people who sign in and match), deny, bypass (no login at all; rules about the
request only, such as ip) or non_identity (service tokens and other non-login checks).

` + ruleSyntax

func setupPolicyAdd(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	name := fs.String("name", "", "the policy's `NAME`")
	decision := fs.String("decision", "", "allow, deny, bypass or non_identity")
	var include, exclude, require []string
	fs.StringArrayVar(&include, "include", nil, "a `RULE` any of which admits (repeatable, at least one)")
	fs.StringArrayVar(&exclude, "exclude", nil, "a `RULE` none of which may match (repeatable)")
	fs.StringArrayVar(&require, "require", nil, "a `RULE` all of which must match (repeatable)")
	session := fs.String("session-duration", "", "how long a login through this policy lasts, e.g. 24h")
	return func(ctx context.Context, args []string) error {
		params := zero_trust.AccessPolicyNewParams{}
		check := func(args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			if *name == "" || *decision == "" || len(include) == 0 {
				return usageError("give --name, --decision and at least one --include rule\n\n%s", ruleSyntax)
			}
			if err := oneOf("--decision", *decision, "allow", "deny", "bypass", "non_identity"); err != nil {
				return err
			}
			params.Name = cloudflare.F(*name)
			params.Decision = cloudflare.F(zero_trust.Decision(*decision))
			rules, err := parseRules("--include", include)
			if err != nil {
				return err
			}
			params.Include = cloudflare.F(rules)
			if len(exclude) > 0 {
				if rules, err = parseRules("--exclude", exclude); err != nil {
					return err
				}
				params.Exclude = cloudflare.F(rules)
			}
			if len(require) > 0 {
				if rules, err = parseRules("--require", require); err != nil {
					return err
				}
				params.Require = cloudflare.F(rules)
			}
			if *session != "" {
				params.SessionDuration = cloudflare.F(*session)
			}
			return nil
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			params.AccountID = cloudflare.F(c.account)
			res, err := c.client.ZeroTrust.Access.Policies.New(ctx, params)
			if err != nil {
				return c.apiFailure("add Access policy "+*name, err)
			}
			return c.showObject(res.JSON.RawJSON(), fmt.Sprintf("Added Access policy %s.", res.ID), policyRows)
		})
	}
}

func setupPolicyDelete(env *Env, fs *pflag.FlagSet) runFunc {
	return oneIDCommand(env, fs, policyIDs, func(ctx context.Context, c *resCommand, id string) error {
		res, err := c.client.ZeroTrust.Access.Policies.Delete(ctx, id, zero_trust.AccessPolicyDeleteParams{AccountID: cloudflare.F(c.account)})
		if err != nil {
			return c.apiFailure("delete Access policy "+id, err)
		}
		return c.deleted(res.JSON.RawJSON(), "Deleted Access policy "+id+".")
	})
}
