package cli

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/audit_logs"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

var auditColumns = []column{
	timeField("WHEN", "when"),
	field("ACTION", "action.type"),
	column{"RESULT", func(r gjson.Result) string {
		if !r.Get("action.result").Exists() {
			return ""
		}
		return map[bool]string{true: "ok", false: "failed"}[r.Get("action.result").Bool()]
	}},
	column{"ACTOR", func(r gjson.Result) string {
		who := r.Get("actor.email").String()
		if who == "" {
			who = r.Get("actor.id").String()
		}
		if t := r.Get("actor.type").String(); t != "" {
			who += " (" + t + ")"
		}
		return who
	}},
	field("INTERFACE", "interface"),
	column{"RESOURCE", func(r gjson.Result) string {
		return r.Get("resource.type").String() + " " + r.Get("resource.id").String()
	}},
}

const auditListLong = `The filters are the API's own (Cloudflare's v1 account audit log; ssogate serves the same):
--since is inclusive and --before exclusive, each an RFC 3339 time, a date (midnight UTC) or a
duration back from now (--since 24h). --actor-email matches exactly (on ssogate, what an API
token did has the token's name as the actor's e-mail). Newest first unless --direction asc.
One page is shown:
--limit entries (the API's default when left out) from --page.`

func setupAuditList(env *Env, fs *pflag.FlagSet) runFunc {
	c := newResCommand(env, fs)
	since := fs.String("since", "", "entries at or after this time (RFC 3339, YYYY-MM-DD or a duration back from now, e.g. 24h)")
	before := fs.String("before", "", "entries before this time (same forms as --since)")
	action := fs.String("action", "", "only this action type, e.g. token_create, member_add, access_app_delete")
	email := fs.String("actor-email", "", "only entries by this actor e-mail (or API token name)")
	ip := fs.String("actor-ip", "", "only entries from this client address")
	direction := fs.String("direction", "", "desc (newest first, the default) or asc")
	limit := fs.Int("limit", 0, "entries per page, 1 to 1000 (default: the API's, 100)")
	page := fs.Int("page", 1, "which page of --limit entries")
	return func(ctx context.Context, args []string) error {
		var opts []option.RequestOption
		params := audit_logs.AuditLogListParams{}
		check := func(args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			now := time.Now()
			for _, f := range []struct{ flag, v, query string }{{"--since", *since, "since"}, {"--before", *before, "before"}} {
				if f.v == "" {
					continue
				}
				t, err := parseWhen(f.v, now, false)
				if err != nil {
					return usageError("%s: %v", f.flag, err)
				}
				// The SDK's typed since/before carry a date only; both APIs
				// take RFC 3339, so the time goes as the query value itself.
				opts = append(opts, option.WithQuery(f.query, t.UTC().Format(time.RFC3339)))
			}
			if *ip != "" {
				if _, err := netip.ParseAddr(*ip); err != nil {
					return usageError("--actor-ip %q is not an IP address", *ip)
				}
			}
			if *limit < 0 || *limit > 1000 {
				return usageError("--limit %d: want 1 to 1000", *limit)
			}
			if *page < 1 {
				return usageError("--page %d: pages start at 1", *page)
			}
			return oneOf("--direction", *direction, "desc", "asc")
		}
		return c.run(ctx, args, check, func(ctx context.Context) error {
			params.AccountID = cloudflare.F(c.account)
			params.Page = cloudflare.F(float64(*page))
			if *limit > 0 {
				params.PerPage = cloudflare.F(float64(*limit))
			}
			if *action != "" {
				params.Action = cloudflare.F(audit_logs.AuditLogListParamsAction{Type: cloudflare.F(*action)})
			}
			if *email != "" || *ip != "" {
				actor := audit_logs.AuditLogListParamsActor{}
				if *email != "" {
					actor.Email = cloudflare.F(*email)
				}
				if *ip != "" {
					actor.IP = cloudflare.F(*ip)
				}
				params.Actor = cloudflare.F(actor)
			}
			if *direction != "" {
				params.Direction = cloudflare.F(audit_logs.AuditLogListParamsDirection(*direction))
			}
			res, err := c.client.AuditLogs.List(ctx, params, opts...)
			if err != nil {
				return c.apiFailure("list audit logs", err)
			}
			env := gjson.Parse(res.JSON.RawJSON())
			var raws []string
			for _, it := range env.Get("result").Array() {
				raws = append(raws, it.Raw)
			}
			if total := env.Get("result_info.total_count").Int(); total > int64(len(raws)) && len(raws) > 0 {
				fmt.Fprintf(c.env.Stderr, "note: page %d shows %d of %d matching entries (--page, --limit)\n", *page, len(raws), total)
			}
			return c.showList(raws, auditColumns, "No audit log entries match.")
		})
	}
}
