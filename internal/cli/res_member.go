package cli

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/cloudflare/cloudflare-go/v6/packages/pagination"
	"github.com/cloudflare/cloudflare-go/v6/shared"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

var memberColumns = []column{
	field("ID", "id"),
	column{"EMAIL", memberEmail},
	column{"ROLES", func(r gjson.Result) string {
		var names []string
		for _, n := range r.Get("roles.#.name").Array() {
			names = append(names, n.String())
		}
		return strings.Join(names, ", ")
	}},
	field("STATUS", "status"),
}

// memberEmail reads the member's address: Cloudflare's top-level email,
// or the user's in older answers that lack it.
func memberEmail(r gjson.Result) string {
	if e := r.Get("email").String(); e != "" {
		return e
	}
	return r.Get("user.email").String()
}

func setupMemberList(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	status := fs.String("status", "", "only members with this status: accepted or pending")
	return func(ctx context.Context, args []string) error {
		check := func(args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			return oneOf("--status", *status, "accepted", "pending", "rejected")
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			params := accounts.MemberListParams{AccountID: cloudflare.F(c.account), PerPage: cloudflare.F(float64(listPerPage))}
			if *status != "" {
				params.Status = cloudflare.F(accounts.MemberListParamsStatus(*status))
			}
			raws, err := collect(env.Stderr, func(page int64) (*pagination.V4PagePaginationArray[shared.Member], error) {
				params.Page = cloudflare.F(float64(page))
				return c.client.Accounts.Members.List(ctx, params)
			})
			if err != nil {
				return c.apiFailure("list members", err)
			}
			return c.showList(raws, memberColumns, "No members in account "+c.account+" match.")
		})
	}
}

// oneOf checks a flag whose value, when given, is one of a few words.
func oneOf(flag, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return usageError("%s %q: want one of %s", flag, v, strings.Join(allowed, ", "))
}

const memberAddLong = `--role takes a role's name (case ignored) or id, as GET …/roles lists them; ssogate has
"Super Administrator - All Privileges", "Administrator" and "Administrator Read Only", and gives
each member exactly one. A token can give a role only when it holds every permission the role has.

ssogate sends no e-mail: a pending member becomes accepted the first time they sign in to the
dashboard. --status accepted adds them as accepted at once.`

func setupMemberAdd(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	var roles []string
	fs.StringArrayVar(&roles, "role", nil, "role `NAME` or id (repeatable on Cloudflare; ssogate takes exactly one)")
	status := fs.String("status", "", "pending (the API's default) or accepted")
	return func(ctx context.Context, args []string) error {
		var email string
		check := func(args []string) error {
			if len(args) != 1 {
				return usageError("give exactly one e-mail address, e.g. ssogate member add kim@acmecorp.company --role Administrator")
			}
			email = args[0]
			if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
				return usageError("%q is not an e-mail address", email)
			}
			if len(roles) == 0 {
				return usageError("give the member's --role, e.g. --role Administrator")
			}
			return oneOf("--status", *status, "accepted", "pending")
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			ids, err := c.roleIDs(ctx, roles)
			if err != nil {
				return err
			}
			body := accounts.MemberNewParamsBodyIAMCreateMemberWithRoles{Email: cloudflare.F(email), Roles: cloudflare.F(ids)}
			if *status != "" {
				body.Status = cloudflare.F(accounts.MemberNewParamsBodyIAMCreateMemberWithRolesStatus(*status))
			}
			res, err := c.client.Accounts.Members.New(ctx, accounts.MemberNewParams{AccountID: cloudflare.F(c.account), Body: body})
			if err != nil {
				return c.apiFailure("add member "+email, err)
			}
			r := gjson.Parse(res.JSON.RawJSON())
			return c.showObject(res.JSON.RawJSON(), fmt.Sprintf("Added %s as member %s.", oneLine(memberEmail(r)), res.ID),
				func(r gjson.Result) []row {
					return []row{{"roles", memberColumns[2].cell(r)}, {"status", r.Get("status").String()}}
				})
		})
	}
}

// roleIDs resolves role names (or ids) with the account's roles. A name
// that matches no role is a mistake in the command line (exit 2), though
// the roles had to be asked for to find it.
func (c *resCommand) roleIDs(ctx context.Context, given []string) ([]string, error) {
	raws, err := collect(c.env.Stderr, func(page int64) (*pagination.V4PagePaginationArray[shared.Role], error) {
		return c.client.Accounts.Roles.List(ctx, accounts.RoleListParams{AccountID: cloudflare.F(c.account),
			Page: cloudflare.F(float64(page)), PerPage: cloudflare.F(float64(listPerPage))})
	})
	if err != nil {
		return nil, c.apiFailure("list roles", err)
	}
	var out, known []string
	for _, g := range given {
		id := ""
		for _, raw := range raws {
			r := gjson.Parse(raw)
			if r.Get("id").String() == g || strings.EqualFold(r.Get("name").String(), strings.TrimSpace(g)) {
				id = r.Get("id").String()
			}
		}
		if id == "" {
			for _, raw := range raws {
				known = append(known, gjson.Get(raw, "name").String())
			}
			return nil, usageError("unknown role %q; %s", g, suggest(g, known))
		}
		out = append(out, id)
	}
	return out, nil
}

func setupMemberRemove(env *Env, fs *pflag.FlagSet) runFunc {
	return oneIDCommand(env, fs, memberIDs, func(ctx context.Context, c *resCommand, id string) error {
		res, err := c.client.Accounts.Members.Delete(ctx, id, accounts.MemberDeleteParams{AccountID: cloudflare.F(c.account)})
		if err != nil {
			return c.apiFailure("remove member "+id, err)
		}
		return c.deleted(res.JSON.RawJSON(), "Removed member "+id+" from account "+c.account+".")
	})
}
