package cli

import (
	"context"
	"strings"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

func orgRows(r gjson.Result) []row {
	return []row{
		{"name", r.Get("name").String()},
		{"team domain", r.Get("auth_domain").String()},
		{"session duration", r.Get("session_duration").String()},
		{"auto redirect to IdP", r.Get("auto_redirect_to_identity").String()},
		{"UI read only", r.Get("is_ui_read_only").String()},
		{"created", showTime(r.Get("created_at").String())},
		{"updated", showTime(r.Get("updated_at").String())},
	}
}

func setupOrgGet(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		return c.run(ctx, args, noArgs, func(ctx context.Context) error {
			res, err := c.client.ZeroTrust.Organizations.List(ctx, zero_trust.OrganizationListParams{AccountID: cloudflare.F(c.account)})
			if err != nil {
				return c.apiFailure("get the Access organization", err)
			}
			return c.showObject(res.JSON.RawJSON(), "", orgRows)
		})
	}
}

const orgSetLong = `Only the settings given change (PUT is a merge on ssogate and Cloudflare). On ssogate, set
creates the organization when the account has none: give --name and --auth-domain then.
--auth-domain is the team domain: <team>.<access domain> on ssogate (the bare team name is
accepted there), <team>.cloudflareaccess.com on Cloudflare.`

func setupOrgSet(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	name := fs.String("name", "", "the organization's `NAME`, shown on the login page")
	domain := fs.String("auth-domain", "", "the team `DOMAIN`")
	session := fs.String("session-duration", "", "how long a login lasts, e.g. 24h or 30m")
	var redirect optionalBool
	fs.Var(&redirect, "auto-redirect-to-identity", "skip the identity provider choice when there is only one")
	fs.Lookup("auto-redirect-to-identity").NoOptDefVal = "true"
	return func(ctx context.Context, args []string) error {
		check := func(args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			if *name == "" && *domain == "" && *session == "" && !redirect.set {
				return usageError("nothing to set: give --name, --auth-domain, --session-duration or --auto-redirect-to-identity")
			}
			return nil
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			params := zero_trust.OrganizationUpdateParams{AccountID: cloudflare.F(c.account)}
			if *name != "" {
				params.Name = cloudflare.F(*name)
			}
			if *domain != "" {
				params.AuthDomain = cloudflare.F(strings.TrimSpace(*domain))
			}
			if *session != "" {
				params.SessionDuration = cloudflare.F(*session)
			}
			if redirect.set {
				params.AutoRedirectToIdentity = cloudflare.F(redirect.value)
			}
			res, err := c.client.ZeroTrust.Organizations.Update(ctx, params)
			if err != nil {
				return c.apiFailure("set the Access organization", err)
			}
			return c.showObject(res.JSON.RawJSON(), "Updated the Access organization.", orgRows)
		})
	}
}

func setupKeysRotate(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		return c.run(ctx, args, noArgs, func(ctx context.Context) error {
			res, err := c.client.ZeroTrust.Access.Keys.Rotate(ctx, zero_trust.AccessKeyRotateParams{AccountID: cloudflare.F(c.account)})
			if err != nil {
				return c.apiFailure("rotate the Access signing keys", err)
			}
			return c.showObject(res.JSON.RawJSON(), "Rotated the Access signing key; the previous one stays in the certs document for a while, so tokens already issued still verify.",
				func(r gjson.Result) []row {
					return []row{
						{"last rotation", showTime(r.Get("last_key_rotation_at").String())},
						{"rotation interval (days)", r.Get("key_rotation_interval_days").String()},
						{"days until next rotation", r.Get("days_until_next_rotation").String()},
					}
				})
		})
	}
}
