package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/iam"
	"github.com/spf13/pflag"
)

// ssoCommand is the shared start of every sso subcommand: flags, the
// positional arguments, then a connected session.
type ssoCommand struct {
	env  *Env
	api  apiFlags
	args []string
	*session
}

// newSSOCommand registers the API flags every sso subcommand shares; the
// command's own flags go on fs next to it.
func newSSOCommand(env *Env, fs *pflag.FlagSet) *ssoCommand {
	c := &ssoCommand{env: env}
	c.api.register(fs, accountRequired)
	return c
}

func (c *ssoCommand) connect() (err error) {
	c.session, err = c.api.connect(c.env)
	return err
}

// item starts a subcommand about one connector: the id (argument or
// environment) must be well formed before anything is sent.
func (c *ssoCommand) item(args []string) (string, error) {
	c.args = args
	id, err := connectorID(c.env, args)
	if err != nil {
		return "", err
	}
	return id, c.connect()
}

// show prints one connector from the raw JSON the API returned.
func (c *ssoCommand) show(raw string) error {
	if c.api.asJSON {
		return c.api.printJSON(c.env.Stdout, raw)
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

func setupSSOCreate(env *Env, fs *pflag.FlagSet) runFunc {
	var begin optionalBool
	fs.Var(&begin, "begin-verification", "ask for DNS verification to start at once; left out, the API decides "+
		"(ssogate starts at once). =false creates the connector awaiting: publish the TXT record, then run sso verify")
	fs.Lookup("begin-verification").NoOptDefVal = "true"
	fedramp := fs.Bool("fedramp", false, "show FedRAMP language on the SSO login")
	c := newSSOCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		c.args = args
		return c.create(ctx, begin, *fedramp)
	}
}

func (c *ssoCommand) create(ctx context.Context, begin optionalBool, fedramp bool) error {
	env := c.env
	if len(c.args) != 1 {
		return usageError("give exactly one email domain, e.g. ssogate sso create acmecorp.company")
	}
	if err := c.connect(); err != nil {
		return err
	}
	params := iam.SSONewParams{AccountID: cloudflare.F(c.account), EmailDomain: cloudflare.F(c.args[0])}
	if begin.set {
		params.BeginVerification = cloudflare.F(begin.value)
	}
	if fedramp {
		params.UseFedrampLanguage = cloudflare.F(true)
	}
	res, err := c.client.IAM.SSO.New(ctx, params)
	if err != nil {
		return c.apiFailure("create SSO connector for "+c.args[0], err)
	}
	if c.api.asJSON {
		return c.api.printJSON(env.Stdout, res.JSON.RawJSON())
	}
	v, err := parseConnector(res.JSON.RawJSON())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Created SSO connector %s for %s.\n\n", v.ID, v.EmailDomain)
	printConnector(env.Stdout, v)
	printNextSteps(env.Stdout, v)
	return nil
}

// optionalBool is a boolean flag that knows whether it was given, for API
// fields where absent and false mean different things: `--flag` and
// `--flag=true` set true, `--flag=false` false, and leaving it out sends
// nothing, so the server's default applies.
type optionalBool struct{ set, value bool }

func (b *optionalBool) String() string {
	if b == nil || !b.set {
		return ""
	}
	return strconv.FormatBool(b.value)
}

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false") // the flag package names the value and the flag
	}
	b.set, b.value = true, v
	return nil
}

func (b *optionalBool) Type() string { return "bool" }

// printNextSteps follows the connector's status. A pending connector is
// already being checked by the server, and enabling checks the record
// once more, so there is nothing to start: publish, then enable. An
// awaiting one (created with --begin-verification=false) needs sso verify
// to start verification.
func printNextSteps(w io.Writer, v connectorView) {
	name, value := v.txtRecord()
	fmt.Fprintf(w, "\nNext steps:\n"+
		"  1. Publish a TXT record at %s with the value %s\n"+
		"  2. export %s=%s\n", name, value, envConnector, v.ID)
	if v.Verification.Status == "awaiting" {
		fmt.Fprint(w, "  3. ssogate sso verify --wait    (starts verification and waits for the verdict)\n"+
			"  4. ssogate sso enable\n")
		return
	}
	fmt.Fprint(w, "  3. ssogate sso enable           (the server checks the record, then enables)\n"+
		"     or, to watch the checks first: ssogate sso verify --wait\n")
}

func setupSSOList(env *Env, fs *pflag.FlagSet) runFunc {
	c := newSSOCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageError("unexpected argument %q: sso list takes none", args[0])
		}
		return c.list(ctx)
	}
}

func (c *ssoCommand) list(ctx context.Context) error {
	env := c.env
	if err := c.connect(); err != nil {
		return err
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
		return c.api.printJSON(env.Stdout, rawArray(raws))
	}
	if len(views) == 0 {
		fmt.Fprintf(env.Stdout, "No SSO connectors in account %s. Create one with: ssogate sso create DOMAIN\n", c.account)
		return nil
	}
	printConnectorTable(env.Stdout, views)
	return nil
}

func setupSSOGet(env *Env, fs *pflag.FlagSet) runFunc {
	c := newSSOCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		id, err := c.item(args)
		if err != nil {
			return err
		}
		raw, err := c.get(ctx, id)
		if err != nil {
			return err
		}
		return c.show(raw)
	}
}

// ssoSetEnabled is sso enable / sso disable. The server refuses to enable
// an unverified connector with a 400 naming the TXT record; that message
// is printed as is.
func setupSSOSetEnabled(on bool) func(env *Env, fs *pflag.FlagSet) runFunc {
	return func(env *Env, fs *pflag.FlagSet) runFunc {
		c := newSSOCommand(env, fs)
		return func(ctx context.Context, args []string) error {
			id, err := c.item(args)
			if err != nil {
				return err
			}
			return c.setEnabled(ctx, id, on)
		}
	}
}

func (c *ssoCommand) setEnabled(ctx context.Context, id string, on bool) error {
	env := c.env
	verb := map[bool]string{true: "enable", false: "disable"}[on]
	res, err := c.client.IAM.SSO.Update(ctx, id, iam.SSOUpdateParams{AccountID: cloudflare.F(c.account), Enabled: cloudflare.F(on)})
	if err != nil {
		return c.apiFailure(verb+" SSO connector "+id, err)
	}
	if !c.api.asJSON {
		fmt.Fprintf(env.Stdout, "SSO connector %s is now %sd.\n\n", id, verb)
	}
	return c.show(res.JSON.RawJSON())
}

func setupSSODelete(env *Env, fs *pflag.FlagSet) runFunc {
	c := newSSOCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		id, err := c.item(args)
		if err != nil {
			return err
		}
		return c.delete(ctx, id)
	}
}

func (c *ssoCommand) delete(ctx context.Context, id string) error {
	env := c.env
	res, err := c.client.IAM.SSO.Delete(ctx, id, iam.SSODeleteParams{AccountID: cloudflare.F(c.account)})
	if err != nil {
		return c.apiFailure("delete SSO connector "+id, err)
	}
	if c.api.asJSON {
		return c.api.printJSON(env.Stdout, res.JSON.RawJSON())
	}
	fmt.Fprintf(env.Stdout, "Deleted SSO connector %s; its domain is released.\n", id)
	return nil
}
