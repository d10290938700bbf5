package cli

import (
	"context"
	"flag"
	"fmt"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/iam"
)

// ssoCommand is the shared start of every sso subcommand: flags, the
// positional arguments, then a connected session.
type ssoCommand struct {
	env  *Env
	api  apiFlags
	args []string
	*session
}

func startSSO(env *Env, name, synopsis string, args []string, extra func(*flag.FlagSet)) (*ssoCommand, error) {
	c := &ssoCommand{env: env}
	fs := newFlags(env, "sso "+name, "sso "+synopsis)
	c.api.register(fs)
	if extra != nil {
		extra(fs)
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	c.args = pos
	if c.session, err = c.api.connect(env, true); err != nil {
		return nil, err
	}
	return c, nil
}

// startSSOItem is startSSO for subcommands about one connector.
func startSSOItem(env *Env, name string, args []string, extra func(*flag.FlagSet)) (*ssoCommand, string, error) {
	c, err := startSSO(env, name, name+" [flags] [ID]", args, extra)
	if err != nil {
		return nil, "", err
	}
	id, err := connectorID(env, c.args)
	return c, id, err
}

// show prints one connector from the raw JSON the API returned.
func (c *ssoCommand) show(raw string) error {
	if c.api.asJSON {
		return printRaw(c.env.Stdout, raw)
	}
	v, err := parseConnector(raw)
	if err != nil {
		return err
	}
	printConnector(c.env.Stdout, v)
	return nil
}

func (c *ssoCommand) get(ctx context.Context, id string) (string, error) {
	res, err := c.client.IAM.SSO.Get(ctx, id, iam.SSOGetParams{AccountID: cloudflare.F(c.account)})
	if err != nil {
		return "", c.apiFailure("get SSO connector "+id, err)
	}
	return res.JSON.RawJSON(), nil
}

func ssoCreate(ctx context.Context, env *Env, args []string) error {
	var begin, fedramp *bool
	c, err := startSSO(env, "create", "create [flags] DOMAIN", args, func(fs *flag.FlagSet) {
		begin = fs.Bool("begin-verification", false, "start DNS verification right away (publish the TXT record first)")
		fedramp = fs.Bool("fedramp", false, "show FedRAMP language on the SSO login")
	})
	if err != nil {
		return err
	}
	if len(c.args) != 1 {
		return usageError("give exactly one email domain, e.g. ssogate sso create acmecorp.company")
	}
	params := iam.SSONewParams{AccountID: cloudflare.F(c.account), EmailDomain: cloudflare.F(c.args[0])}
	if *begin {
		params.BeginVerification = cloudflare.F(true)
	}
	if *fedramp {
		params.UseFedrampLanguage = cloudflare.F(true)
	}
	res, err := c.client.IAM.SSO.New(ctx, params)
	if err != nil {
		return c.apiFailure("create SSO connector for "+c.args[0], err)
	}
	if c.api.asJSON {
		return printRaw(env.Stdout, res.JSON.RawJSON())
	}
	v, err := parseConnector(res.JSON.RawJSON())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Created SSO connector %s for %s.\n\n", v.ID, v.EmailDomain)
	printConnector(env.Stdout, v)
	printNextSteps(env, v)
	return nil
}

func printNextSteps(env *Env, v connectorView) {
	name, value := v.txtRecord()
	fmt.Fprintf(env.Stdout, "\nNext steps:\n"+
		"  1. Publish a TXT record at %s with the value %s\n"+
		"  2. export %s=%s\n"+
		"  3. ssogate sso verify --wait\n"+
		"  4. ssogate sso enable\n", name, value, envConnector, v.ID)
}

func ssoList(ctx context.Context, env *Env, args []string) error {
	c, err := startSSO(env, "list", "list [flags]", args, nil)
	if err != nil {
		return err
	}
	if len(c.args) > 0 {
		return usageError("sso list takes no arguments")
	}
	page, err := c.client.IAM.SSO.List(ctx, iam.SSOListParams{AccountID: cloudflare.F(c.account)})
	if err != nil {
		return c.apiFailure("list SSO connectors", err)
	}
	raws := make([]string, len(page.Result))
	views := make([]connectorView, len(page.Result))
	for i, r := range page.Result {
		raws[i] = r.JSON.RawJSON()
		if !c.api.asJSON {
			if views[i], err = parseConnector(raws[i]); err != nil {
				return err
			}
		}
	}
	if c.api.asJSON {
		return printRaw(env.Stdout, rawArray(raws))
	}
	if len(views) == 0 {
		fmt.Fprintf(env.Stdout, "No SSO connectors in account %s. Create one with: ssogate sso create DOMAIN\n", c.account)
		return nil
	}
	printConnectorTable(env.Stdout, views)
	return nil
}

func ssoGet(ctx context.Context, env *Env, args []string) error {
	c, id, err := startSSOItem(env, "get", args, nil)
	if err != nil {
		return err
	}
	raw, err := c.get(ctx, id)
	if err != nil {
		return err
	}
	return c.show(raw)
}

// ssoSetEnabled is sso enable / sso disable. The server refuses to enable
// an unverified connector with a 400 naming the TXT record; that message
// is printed as is.
func ssoSetEnabled(ctx context.Context, env *Env, args []string, on bool) error {
	verb := map[bool]string{true: "enable", false: "disable"}[on]
	c, id, err := startSSOItem(env, verb, args, nil)
	if err != nil {
		return err
	}
	res, err := c.client.IAM.SSO.Update(ctx, id, iam.SSOUpdateParams{AccountID: cloudflare.F(c.account), Enabled: cloudflare.F(on)})
	if err != nil {
		return c.apiFailure(verb+" SSO connector "+id, err)
	}
	if !c.api.asJSON {
		fmt.Fprintf(env.Stdout, "SSO connector %s is now %sd.\n\n", id, verb)
	}
	return c.show(res.JSON.RawJSON())
}

func ssoDelete(ctx context.Context, env *Env, args []string) error {
	c, id, err := startSSOItem(env, "delete", args, nil)
	if err != nil {
		return err
	}
	res, err := c.client.IAM.SSO.Delete(ctx, id, iam.SSODeleteParams{AccountID: cloudflare.F(c.account)})
	if err != nil {
		return c.apiFailure("delete SSO connector "+id, err)
	}
	if c.api.asJSON {
		return printRaw(env.Stdout, res.JSON.RawJSON())
	}
	fmt.Fprintf(env.Stdout, "Deleted SSO connector %s; its domain is released.\n", id)
	return nil
}
