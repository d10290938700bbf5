package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/packages/pagination"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

// durationForever is the API's duration of a token that never expires.
const durationForever = "forever"

// serviceTokenExpiry is when a token stops working. The API sends
// expires_at null for a token that never expires; a token without the
// field at all (Cloudflare's create and rotate answers leave it out) shows
// nothing unless its duration says forever.
func serviceTokenExpiry(r gjson.Result) string {
	at := r.Get("expires_at")
	if at.Type == gjson.Null && (at.Exists() || r.Get("duration").String() == durationForever) {
		return "never"
	}
	return showTime(at.String())
}

var serviceTokenColumns = []column{
	field("ID", "id"), field("NAME", "name"), field("CLIENT ID", "client_id"),
	column{"EXPIRES", serviceTokenExpiry},
	timeField("LAST SEEN", "last_seen_at"),
}

func serviceTokenRows(r gjson.Result) []row {
	return []row{
		{"name", r.Get("name").String()},
		{"client id", r.Get("client_id").String()},
		{"duration", r.Get("duration").String()},
		{"expires", serviceTokenExpiry(r)},
		{"secret version", r.Get("client_secret_version").String()},
		{"last seen", showTime(r.Get("last_seen_at").String())},
	}
}

func setupServiceTokenList(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		return c.run(ctx, args, noArgs, func(ctx context.Context) error {
			raws, err := collect(env.Stderr, func(page int64) (*pagination.V4PagePaginationArray[zero_trust.ServiceToken], error) {
				return c.client.ZeroTrust.Access.ServiceTokens.List(ctx, zero_trust.AccessServiceTokenListParams{
					AccountID: cloudflare.F(c.account), Page: cloudflare.F(page), PerPage: cloudflare.F(int64(listPerPage))})
			})
			if err != nil {
				return c.apiFailure("list service tokens", err)
			}
			return c.showList(raws, serviceTokenColumns, "No service tokens in account "+c.account+".")
		})
	}
}

const serviceTokenCreateLong = `A service token lets a machine (a CI job, a cron script, another service) reach an Access
application without a login: it sends the token's client id and secret as the headers
CF-Access-Client-Id and CF-Access-Client-Secret with every request. The secret is printed once:
store it now (if it is lost, access service-token rotate ID makes a new one).

--duration is how long the token works: a Go duration such as 8760h (a year, the API's default)
or 720h (30 days), or forever. access service-token refresh ID starts it again from now.

The token admits nothing by itself: link a non_identity policy that names it to an application,
e.g.
  ssogate access policy add --name CI --decision non_identity --include service_token=ID
  ssogate access app add --name … --domain … --policy POLICY_ID
(ID is the token's id, not its client id.) Managing service tokens takes an API token with
"Access: Service Tokens Write".`

func setupServiceTokenCreate(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	name := fs.String("name", "", "the token's `NAME`, e.g. \"CI deploy\"")
	duration := fs.String("duration", "", "how long the token works: a Go duration such as 8760h, or forever (default: the API's, 8760h)")
	return func(ctx context.Context, args []string) error {
		params := zero_trust.AccessServiceTokenNewParams{}
		check := func(args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			if strings.TrimSpace(*name) == "" {
				return usageError("missing --name, e.g. --name \"CI deploy\"")
			}
			params.Name = cloudflare.F(*name)
			if *duration != "" {
				if err := checkServiceTokenDuration(*duration); err != nil {
					return err
				}
				params.Duration = cloudflare.F(*duration)
			}
			return nil
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			params.AccountID = cloudflare.F(c.account)
			res, err := c.client.ZeroTrust.Access.ServiceTokens.New(ctx, params)
			if err != nil {
				return c.apiFailure("create service token "+*name, err)
			}
			return c.showSecret(res.JSON.RawJSON(), fmt.Sprintf("Created service token %s.", res.ID), true)
		})
	}
}

// checkServiceTokenDuration refuses what no API takes as a duration; the
// range (ssogate: 1m to 876000h) is the server's to say.
func checkServiceTokenDuration(d string) error {
	if d == durationForever {
		return nil
	}
	if dd, err := time.ParseDuration(d); err != nil || dd <= 0 {
		return usageError("--duration %q: want a Go duration such as 8760h (a year) or 720h (30 days), or %s", d, durationForever)
	}
	return nil
}

// showSecret prints the answer of create and rotate, the only ones that
// carry the client secret: under --json the API's object as it is, else
// the token, the secret and how a job sends them. hint adds how to let the
// new token in.
func (c *resCommand) showSecret(raw, headline string, hint bool) error {
	rows := func(r gjson.Result) []row {
		return []row{
			{"name", r.Get("name").String()},
			{"client id", r.Get("client_id").String()},
			{"client secret", r.Get("client_secret").String()},
			{"expires", serviceTokenExpiry(r)},
		}
	}
	if err := c.showObject(raw, headline, rows); err != nil || c.api.asJSON {
		return err
	}
	r := gjson.Parse(raw)
	w := c.env.Stdout
	fmt.Fprintf(w, "\nThe client secret is shown only now: store it (if it is lost, rotate the token for a new one).\n"+
		"A job sends both with every request:\n  CF-Access-Client-Id: %s\n  CF-Access-Client-Secret: %s\n",
		oneLine(r.Get("client_id").String()), oneLine(r.Get("client_secret").String()))
	if hint {
		fmt.Fprintf(w, "It admits nothing until a non_identity policy names it:\n"+
			"  ssogate access policy add --name NAME --decision non_identity --include service_token=%s\n", oneLine(r.Get("id").String()))
	}
	return nil
}

func setupServiceTokenRotate(env *Env, fs *pflag.FlagSet) runFunc {
	return oneIDCommand(env, fs, stIDs, func(ctx context.Context, c *resCommand, id string) error {
		res, err := c.client.ZeroTrust.Access.ServiceTokens.Rotate(ctx, id, zero_trust.AccessServiceTokenRotateParams{
			AccountID: cloudflare.F(c.account)})
		if err != nil {
			return c.apiFailure("rotate service token "+id, err)
		}
		return c.showSecret(res.JSON.RawJSON(), "Rotated service token "+id+": the old client secret no longer works.", false)
	})
}

func setupServiceTokenRefresh(env *Env, fs *pflag.FlagSet) runFunc {
	return oneIDCommand(env, fs, stIDs, func(ctx context.Context, c *resCommand, id string) error {
		res, err := c.client.ZeroTrust.Access.ServiceTokens.Refresh(ctx, id, zero_trust.AccessServiceTokenRefreshParams{
			AccountID: cloudflare.F(c.account)})
		if err != nil {
			return c.apiFailure("refresh service token "+id, err)
		}
		return c.showObject(res.JSON.RawJSON(), "Refreshed service token "+id+": its duration counts again from now.", serviceTokenRows)
	})
}

func setupServiceTokenDelete(env *Env, fs *pflag.FlagSet) runFunc {
	return oneIDCommand(env, fs, stIDs, func(ctx context.Context, c *resCommand, id string) error {
		res, err := c.client.ZeroTrust.Access.ServiceTokens.Delete(ctx, id, zero_trust.AccessServiceTokenDeleteParams{
			AccountID: cloudflare.F(c.account)})
		if err != nil {
			return c.apiFailure("delete service token "+id, err)
		}
		return c.deleted(res.JSON.RawJSON(), "Deleted service token "+id+".")
	})
}
