package cli

import (
	"context"
	"fmt"
	"strings"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/packages/pagination"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

func policyNames(r gjson.Result) string {
	var names []string
	for _, n := range r.Get("policies.#.name").Array() {
		names = append(names, n.String())
	}
	return strings.Join(names, ", ")
}

var appColumns = []column{
	field("ID", "id"), field("NAME", "name"), field("TYPE", "type"), field("DOMAIN", "domain"),
	column{"POLICIES", policyNames},
}

func setupAppList(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		return c.run(ctx, args, noArgs, func(ctx context.Context) error {
			raws, err := collect(env.Stderr, func(page int64) (*pagination.V4PagePaginationArray[zero_trust.AccessApplicationListResponse], error) {
				return c.client.ZeroTrust.Access.Applications.List(ctx, zero_trust.AccessApplicationListParams{
					AccountID: cloudflare.F(c.account), Page: cloudflare.F(page), PerPage: cloudflare.F(int64(listPerPage))})
			})
			if err != nil {
				return c.apiFailure("list Access applications", err)
			}
			return c.showList(raws, appColumns, "No Access applications in account "+c.account+".")
		})
	}
}

const appAddLong = `Adds a self-hosted application: --domain is the host people open (a path may follow,
e.g. app.acmecorp.company/admin). --policy links reusable policies (access policy add) in the
order given, which is their precedence; an application without a policy admits no one.

--origin-url is an ssogate extension (Cloudflare has no such field; its tunnels reach the
origin): where ssogate's gateway proxies the application. Without it, protect the application
with forward auth (docs/forward-auth.md).`

func setupAppAdd(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	name := fs.String("name", "", "the application's `NAME`")
	domain := fs.String("domain", "", "the protected host `NAME`, optionally with a path")
	session := fs.String("session-duration", "", "how long a login to this application lasts, e.g. 24h (the API's default: 24h)")
	var policies, idps []string
	fs.StringArrayVar(&policies, "policy", nil, "link this reusable policy `ID` (repeatable; precedence in the order given)")
	fs.StringArrayVar(&idps, "allowed-idp", nil, "offer only this identity provider `ID` at login (repeatable; default: all)")
	origin := fs.String("origin-url", "", "ssogate only: the `URL` the gateway proxies to, e.g. http://127.0.0.1:3000")
	return func(ctx context.Context, args []string) error {
		check := func(args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			var missing []string
			if *name == "" {
				missing = append(missing, "--name")
			}
			if *domain == "" {
				missing = append(missing, "--domain")
			}
			if len(missing) > 0 {
				return usageError("missing %s", strings.Join(missing, ", "))
			}
			for _, id := range policies {
				if err := policyIDs.check(id); err != nil {
					return err
				}
			}
			for _, id := range idps {
				if err := idpIDs.check(id); err != nil {
					return err
				}
			}
			return checkHTTPURL("--origin-url", *origin)
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			body := zero_trust.AccessApplicationNewParamsBodySelfHostedApplication{
				Type: cloudflare.F(zero_trust.ApplicationTypeSelfHosted), Name: cloudflare.F(*name), Domain: cloudflare.F(*domain)}
			if *session != "" {
				body.SessionDuration = cloudflare.F(*session)
			}
			if len(idps) > 0 {
				body.AllowedIdPs = cloudflare.F([]zero_trust.AllowedIdPsParam(idps))
			}
			if len(policies) > 0 {
				links := make([]zero_trust.AccessApplicationNewParamsBodySelfHostedApplicationPolicyUnion, len(policies))
				for i, id := range policies {
					links[i] = zero_trust.AccessApplicationNewParamsBodySelfHostedApplicationPoliciesAccessAppPolicyLink{
						ID: cloudflare.F(id), Precedence: cloudflare.F(int64(i + 1))}
				}
				body.Policies = cloudflare.F(links)
			}
			var opts []option.RequestOption
			if *origin != "" {
				opts = append(opts, option.WithJSONSet("origin_url", *origin))
			}
			res, err := c.client.ZeroTrust.Access.Applications.New(ctx, zero_trust.AccessApplicationNewParams{
				AccountID: cloudflare.F(c.account), Body: body}, opts...)
			if err != nil {
				return c.apiFailure("add Access application "+*name, err)
			}
			raw := res.JSON.RawJSON()
			return c.showObject(raw, fmt.Sprintf("Added Access application %s.", gjson.Get(raw, "id").String()), func(r gjson.Result) []row {
				return []row{
					{"name", r.Get("name").String()},
					{"domain", r.Get("domain").String()},
					{"AUD tag", r.Get("aud").String()},
					{"session duration", r.Get("session_duration").String()},
					{"policies", policyNames(r)},
					{"origin", r.Get("origin_url").String()},
				}
			})
		})
	}
}

func setupAppDelete(env *Env, fs *pflag.FlagSet) runFunc {
	return oneIDCommand(env, fs, appIDs, func(ctx context.Context, c *resCommand, id string) error {
		res, err := c.client.ZeroTrust.Access.Applications.Delete(ctx, id, zero_trust.AccessApplicationDeleteParams{AccountID: cloudflare.F(c.account)})
		if err != nil {
			return c.apiFailure("delete Access application "+id, err)
		}
		return c.deleted(res.JSON.RawJSON(), "Deleted Access application "+id+".")
	})
}
