package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"
)

// accountsPerPage is the most Cloudflare serves on one page of
// GET /accounts (ssogate too). One page is asked for: Cloudflare ignores
// page for account-owned tokens, so following pages could loop forever.
const accountsPerPage = 50

// accountView is an account decoded from the raw JSON the API returned;
// times stay strings, shown as sent when the CLI cannot parse them.
type accountView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	CreatedOn string `json:"created_on"`
}

func parseAccount(raw string) (accountView, error) {
	var a accountView
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return a, fmt.Errorf("the API returned an account this CLI cannot read: %v", err)
	}
	return a, nil
}

// accountList is account list: the accounts the token can see, which is
// how a script learns CLOUDFLARE_ACCOUNT_ID (--field 0.id). It reads no
// account id, so a stale one in the environment cannot get in the way.
func setupAccountList(env *Env, fs *pflag.FlagSet) runFunc {
	var f apiFlags
	f.register(fs, accountIgnored)
	return func(ctx context.Context, pos []string) error {
		if len(pos) > 0 {
			return usageError("unexpected argument %q: account list takes none", pos[0])
		}
		s, err := f.connect(env)
		if err != nil {
			return err
		}
		page, err := s.client.Accounts.List(ctx, accounts.AccountListParams{PerPage: cloudflare.F(float64(accountsPerPage))})
		if err != nil {
			return s.apiFailure("list accounts", err)
		}
		if total := gjson.Get(page.ResultInfo.JSON.RawJSON(), "total_count").Int(); total > int64(len(page.Result)) {
			fmt.Fprintf(env.Stderr, "note: this shows the first %d of the %d accounts the token can see\n", len(page.Result), total)
		}
		raws := make([]string, len(page.Result))
		views := make([]accountView, len(page.Result))
		for i, a := range page.Result {
			raws[i] = a.JSON.RawJSON()
			if !f.asJSON {
				if views[i], err = parseAccount(raws[i]); err != nil {
					return err
				}
			}
		}
		if f.asJSON {
			return f.printJSON(env.Stdout, rawArray(raws))
		}
		if len(views) == 0 {
			fmt.Fprintln(env.Stdout, "The API token can see no accounts.")
			return nil
		}
		printAccountTable(env.Stdout, views)
		return nil
	}
}

// accountGet is account get [ID]: the id from the argument, --account or
// CLOUDFLARE_ACCOUNT_ID, checked by connect before any request.
func setupAccountGet(env *Env, fs *pflag.FlagSet) runFunc {
	var f apiFlags
	f.register(fs, accountRequired)
	return func(ctx context.Context, pos []string) error {
		switch {
		case len(pos) > 1:
			return usageError("give at most one account id, got %d arguments", len(pos))
		case len(pos) == 1 && f.account != "" && f.account != pos[0]:
			return usageError("two account ids: %s as the argument and %s with --account; give one", pos[0], f.account)
		case len(pos) == 1:
			f.account = pos[0]
		}
		s, err := f.connect(env)
		if err != nil {
			return err
		}
		res, err := s.client.Accounts.Get(ctx, accounts.AccountGetParams{AccountID: cloudflare.F(s.account)})
		if err != nil {
			return s.apiFailure("get account "+s.account, err)
		}
		if f.asJSON {
			return f.printJSON(env.Stdout, res.JSON.RawJSON())
		}
		a, err := parseAccount(res.JSON.RawJSON())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "account:\t%s\nname:\t%s\n", a.ID, a.Name)
		if a.Type != "" {
			fmt.Fprintf(tw, "type:\t%s\n", a.Type)
		}
		if c := showTime(a.CreatedOn); c != "" {
			fmt.Fprintf(tw, "created:\t%s\n", c)
		}
		return tw.Flush()
	}
}

func printAccountTable(w io.Writer, as []accountView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Name, showTime(a.CreatedOn))
	}
	tw.Flush()
}
