package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/cloudflare/cloudflare-go/v6/packages/pagination"
	"github.com/cloudflare/cloudflare-go/v6/shared"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

// accountScope is the scope of permission groups that apply to a whole
// account: the only kind an account token made here can hold.
const accountScopeName = "com.cloudflare.api.account"

var tokenColumns = []column{
	field("ID", "id"), field("NAME", "name"), field("STATUS", "status"),
	column{"EXPIRES", func(r gjson.Result) string {
		if t := showTime(r.Get("expires_on").String()); t != "" {
			return t
		}
		return "never"
	}},
	timeField("LAST USED", "last_used_on"),
}

func setupTokenList(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		return c.run(ctx, args, noArgs, func(ctx context.Context) error {
			raws, err := collect(env.Stderr, func(page int64) (*pagination.V4PagePaginationArray[shared.Token], error) {
				return c.client.Accounts.Tokens.List(ctx, accounts.TokenListParams{AccountID: cloudflare.F(c.account),
					Page: cloudflare.F(float64(page)), PerPage: cloudflare.F(float64(listPerPage))})
			})
			if err != nil {
				return c.apiFailure("list API tokens", err)
			}
			return c.showList(raws, tokenColumns, "No API tokens in account "+c.account+".")
		})
	}
}

const tokenCreateLong = `The token can act on this account only: each --permission is an account-level
permission group, looked up by name (case ignored) in GET …/tokens/permission_groups,
e.g. "SSO Connector Write", "Account API Tokens Read", "Access: Apps and Policies Write".
A token cannot hold a permission that the token creating it lacks.

The value is printed once; store it now (--field value prints only the value).`

func setupTokenCreate(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	name := fs.String("name", "", "token `NAME` (default: the permissions)")
	var perms, allow, deny []string
	fs.StringArrayVar(&perms, "permission", nil, "permission group `NAME` (repeatable, at least one)")
	fs.StringArrayVar(&allow, "ip-allow", nil, "accept the token only from this `CIDR` or address (repeatable)")
	fs.StringArrayVar(&deny, "ip-deny", nil, "refuse the token from this `CIDR` or address (repeatable)")
	expires := fs.String("expires-on", "", "when the token stops working: RFC 3339 time, YYYY-MM-DD (midnight UTC) "+
		"or a duration from now such as 720h (default: never)")
	return func(ctx context.Context, args []string) error {
		var params accounts.TokenNewParams
		check := func(args []string) (err error) {
			if err := noArgs(args); err != nil {
				return err
			}
			params, err = tokenParams(*name, perms, allow, deny, *expires, time.Now())
			return err
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			groups, names, err := c.permissionGroups(ctx, perms)
			if err != nil {
				return err
			}
			if !params.Name.Present {
				params.Name = cloudflare.F(strings.Join(names, ", ")) // as admin token create names it
			}
			params.AccountID = cloudflare.F(c.account)
			params.Policies = cloudflare.F([]shared.TokenPolicyParam{{
				Effect:           cloudflare.F(shared.TokenPolicyEffectAllow),
				PermissionGroups: cloudflare.F(groups),
				Resources: cloudflare.F[shared.TokenPolicyResourcesUnionParam](
					shared.TokenPolicyResourcesIAMResourcesTypeObjectStringParam{accountScopeName + "." + c.account: "*"}),
			}})
			res, err := c.client.Accounts.Tokens.New(ctx, params)
			if err != nil {
				return c.apiFailure("create API token", err)
			}
			if c.api.asJSON {
				return c.api.printJSON(env.Stdout, res.JSON.RawJSON())
			}
			fmt.Fprintf(env.Stdout, "created API token %s (%s)\nvalue (shown once): %s\n", res.ID, oneLine(res.Name), res.Value)
			return nil
		})
	}
}

// tokenParams checks what token create was given, before any request;
// the permission groups and, without --name, the name come later.
func tokenParams(name string, perms, allow, deny []string, expires string, now time.Time) (accounts.TokenNewParams, error) {
	var p accounts.TokenNewParams
	if len(perms) == 0 {
		return p, usageError("give at least one --permission, e.g. --permission \"SSO Connector Read\"")
	}
	if strings.TrimSpace(name) != "" {
		p.Name = cloudflare.F(name)
	}
	if expires != "" {
		t, err := parseWhen(expires, now, true)
		if err != nil {
			return p, usageError("--expires-on: %v", err)
		}
		if !t.After(now) {
			return p, usageError("--expires-on %s is in the past", t.Format(time.RFC3339))
		}
		p.ExpiresOn = cloudflare.F(t)
	}
	for _, list := range [][]string{allow, deny} {
		for _, s := range list {
			if !isCIDROrAddr(s) {
				return p, usageError("%q is not an IP address or CIDR range such as 192.0.2.0/24", s)
			}
		}
	}
	if len(allow)+len(deny) > 0 {
		ip := accounts.TokenNewParamsConditionRequestIP{}
		if len(allow) > 0 {
			ip.In = cloudflare.F(allow)
		}
		if len(deny) > 0 {
			ip.NotIn = cloudflare.F(deny)
		}
		p.Condition = cloudflare.F(accounts.TokenNewParamsCondition{RequestIP: cloudflare.F(ip)})
	}
	return p, nil
}

func isCIDROrAddr(s string) bool {
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// parseWhen reads a time given as RFC 3339, a date (midnight UTC) or,
// when durations are allowed, a Go duration counted from now (future)
// or back from now (past: audit --since 24h).
func parseWhen(s string, now time.Time, future bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		if future {
			return now.Add(d).UTC().Truncate(time.Second), nil
		}
		return now.Add(-d).UTC().Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (2025-01-31T12:00:00Z), a date (2025-01-31) or a duration (24h)", s)
}

// permissionGroups resolves permission group names to ids. Only groups of
// the account scope count: Cloudflare also lists zone-level groups of the
// same names, which an account-wide resource cannot hold. A name that
// resolves to nothing is a mistake in the command line (exit 2), though
// the list had to be asked for to find it.
func (c *resCommand) permissionGroups(ctx context.Context, names []string) ([]shared.TokenPolicyPermissionGroupParam, []string, error) {
	page, err := c.client.Accounts.Tokens.PermissionGroups.List(ctx, accounts.TokenPermissionGroupListParams{AccountID: cloudflare.F(c.account)})
	if err != nil {
		return nil, nil, c.apiFailure("list permission groups", err)
	}
	type group struct{ id, name string }
	byName, other := map[string]group{}, map[string]bool{}
	var known []string
	for _, g := range page.Result {
		key := strings.ToLower(g.Name)
		if !hasScope(g.Scopes, accountScopeName) {
			other[key] = true
			continue
		}
		if _, dup := byName[key]; !dup {
			known = append(known, g.Name)
		}
		byName[key] = group{g.ID, g.Name}
	}
	var out []shared.TokenPolicyPermissionGroupParam
	var canonical []string
	seen := map[string]bool{}
	for _, n := range names {
		g, ok := byName[strings.ToLower(strings.TrimSpace(n))]
		switch {
		case !ok && other[strings.ToLower(strings.TrimSpace(n))]:
			return nil, nil, usageError("permission %q is not account-level: token create makes tokens for the whole account (use ssogate api for zone-level tokens)", n)
		case !ok:
			return nil, nil, usageError("unknown permission %q; %s", n, suggest(n, known))
		case !seen[g.id]:
			seen[g.id] = true
			out = append(out, shared.TokenPolicyPermissionGroupParam{ID: cloudflare.F(g.id)})
			canonical = append(canonical, g.name)
		}
	}
	return out, canonical, nil
}

func hasScope[S ~string](scopes []S, want string) bool {
	for _, s := range scopes {
		if string(s) == want {
			return true
		}
	}
	return false
}

// suggest names the known values that share a word with what was typed,
// or all of them when there are few: Cloudflare lists hundreds.
func suggest(typed string, known []string) string {
	sort.Strings(known)
	if len(known) <= 20 {
		return "known: " + strings.Join(known, ", ")
	}
	var near []string
	for _, k := range known {
		for _, w := range strings.Fields(strings.ToLower(typed)) {
			if len(w) > 2 && strings.Contains(strings.ToLower(k), w) {
				near = append(near, k)
				break
			}
		}
	}
	if len(near) == 0 || len(near) > 20 {
		return fmt.Sprintf("the API knows %d account-level permission groups (ssogate api GET /accounts/$%s/tokens/permission_groups lists them)", len(known), envAccount)
	}
	return "did you mean one of: " + strings.Join(near, ", ")
}

func setupTokenRoll(env *Env, fs *pflag.FlagSet) runFunc {
	return oneIDCommand(env, fs, tokenIDs, func(ctx context.Context, c *resCommand, id string) error {
		v, err := c.client.Accounts.Tokens.Value.Update(ctx, id, accounts.TokenValueUpdateParams{
			AccountID: cloudflare.F(c.account), Body: map[string]any{}})
		if err != nil {
			return c.apiFailure("roll API token "+id, err)
		}
		if c.api.asJSON {
			raw, _ := json.Marshal(*v) // the result is the value, a JSON string
			return c.api.printJSON(env.Stdout, string(raw))
		}
		fmt.Fprintf(env.Stdout, "rolled API token %s; the old value no longer works\nnew value (shown once): %s\n", id, *v)
		return nil
	})
}

func setupTokenDelete(env *Env, fs *pflag.FlagSet) runFunc {
	return oneIDCommand(env, fs, tokenIDs, func(ctx context.Context, c *resCommand, id string) error {
		res, err := c.client.Accounts.Tokens.Delete(ctx, id, accounts.TokenDeleteParams{AccountID: cloudflare.F(c.account)})
		if err != nil {
			return c.apiFailure("delete API token "+id, err)
		}
		return c.deleted(res.JSON.RawJSON(), "Deleted API token "+id+".")
	})
}
