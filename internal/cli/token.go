package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/spf13/pflag"
)

// tokenVerify is token verify: the account-scoped endpoint when an account
// is known (Cloudflare refuses account-owned tokens on /user/tokens/verify),
// else /user/tokens/verify.
func setupTokenVerify(env *Env, fs *pflag.FlagSet) runFunc {
	var f apiFlags
	f.register(fs, accountOptional)
	return func(ctx context.Context, pos []string) error {
		if len(pos) > 0 {
			return usageError("token verify takes no arguments; it verifies the token in %s or --token-file", envToken)
		}
		s, err := f.connect(env)
		if err != nil {
			return err
		}
		var id, status, raw, endpoint string
		var notBefore, expiresOn time.Time
		if s.account != "" {
			endpoint = "/accounts/" + s.account + "/tokens/verify"
			res, err := s.client.Accounts.Tokens.Verify(ctx, accounts.TokenVerifyParams{AccountID: cloudflare.F(s.account)})
			if err != nil {
				return s.apiFailure("verify the API token", err)
			}
			id, status, raw, notBefore, expiresOn = res.ID, string(res.Status), res.JSON.RawJSON(), res.NotBefore, res.ExpiresOn
		} else {
			endpoint = "/user/tokens/verify"
			res, err := s.client.User.Tokens.Verify(ctx)
			if err != nil {
				return s.apiFailure("verify the API token", err)
			}
			id, status, raw, notBefore, expiresOn = res.ID, string(res.Status), res.JSON.RawJSON(), res.NotBefore, res.ExpiresOn
		}
		if f.asJSON {
			return f.printJSON(env.Stdout, raw)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "token id:\t%s\nstatus:\t%s\n", id, status)
		if !notBefore.IsZero() {
			fmt.Fprintf(tw, "not before:\t%s\n", notBefore.UTC().Format(time.RFC3339))
		}
		if !expiresOn.IsZero() {
			fmt.Fprintf(tw, "expires on:\t%s\n", expiresOn.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(tw, "checked with:\tGET %s\n", endpoint)
		return tw.Flush()
	}
}
