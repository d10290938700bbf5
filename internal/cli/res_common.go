package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/cloudflare/cloudflare-go/v6/packages/pagination"
	"github.com/spf13/pflag"
	"github.com/tidwall/gjson"

	"github.com/ssogate/ssogate/internal/ids"
)

// resCommand is the shared start of the resource commands (token, member,
// audit, access): the API flags, then a connected session. Every one of
// them works on one account.
type resCommand struct {
	env *Env
	api apiFlags
	*session
}

func newResCommand(env *Env, fs *pflag.FlagSet) *resCommand {
	c := &resCommand{env: env}
	c.api.register(fs, accountRequired)
	return c
}

func (c *resCommand) connect() (err error) {
	c.session, err = c.api.connect(c.env)
	return err
}

// idKind is the shape of one kind of id the CLI puts in a URL path.
type idKind struct {
	what  string // "API token"
	valid func(string) bool
	shape string // what a valid one looks like, for the message
	from  string // where to find one
}

var (
	tokenIDs  = idKind{"API token", validID, "32 lowercase hex characters", "ssogate token list"}
	memberIDs = idKind{"member", validID, "32 lowercase hex characters", "ssogate member list"}
	// Access objects have UUIDs, on ssogate and Cloudflare alike.
	appIDs    = idKind{"Access application", ids.IsUUID, "a lowercase UUID", "ssogate access app list"}
	idpIDs    = idKind{"identity provider", ids.IsUUID, "a lowercase UUID", "ssogate access idp list"}
	policyIDs = idKind{"Access policy", ids.IsUUID, "a lowercase UUID", "ssogate access policy list"}
	stIDs     = idKind{"service token", ids.IsUUID, "a lowercase UUID", "ssogate access service-token list"}
)

// check reports a malformed id as a usage error; the check also keeps
// characters that would change the request path out of it.
func (k idKind) check(id string) error {
	if !k.valid(id) {
		return usageError("%s id %q is malformed: expected %s, as %s prints it", k.what, id, k.shape, k.from)
	}
	return nil
}

// oneID is the argument check of a command about one object: exactly one
// id, of the right shape. Deletes take it only from the command line, so a
// stale environment variable can never choose what is deleted.
func (k idKind) oneID(id *string) func([]string) error {
	return func(args []string) error {
		if len(args) != 1 {
			return usageError("give exactly one %s id, got %d arguments (%s lists them)", k.what, len(args), k.from)
		}
		*id = args[0]
		return k.check(*id)
	}
}

// oneIDCommand is a resource command whose one argument is an id of kind:
// the id is checked before anything is sent, then do runs with it.
func oneIDCommand(env *Env, fs *pflag.FlagSet, kind idKind, do func(ctx context.Context, c *resCommand, id string) error) runFunc {
	c := newResCommand(env, fs)
	return func(ctx context.Context, args []string) error {
		var id string
		return c.run(ctx, args, kind.oneID(&id), func(ctx context.Context) error { return do(ctx, c, id) })
	}
}

// listPerPage is the page size the list commands ask for: the most every
// list route allows on ssogate and Cloudflare (tokens and members: 5-50).
// maxListPages bounds a list, so a server that ignores page cannot make it
// run forever.
const (
	listPerPage  = 50
	maxListPages = 40
)

// collect fetches every page of a list and returns each item's raw JSON,
// as the API sent it. It stops at a short or empty page, at total_count,
// at an item already seen (a server that ignores page) or after
// maxListPages, saying so on notes.
func collect[T any](notes io.Writer, fetch func(page int64) (*pagination.V4PagePaginationArray[T], error)) ([]string, error) {
	var raws []string
	seen := map[string]bool{}
	for page := int64(1); ; page++ {
		p, err := fetch(page)
		if err != nil {
			return nil, err
		}
		env := gjson.Parse(p.JSON.RawJSON())
		items := env.Get("result").Array()
		for _, it := range items {
			if id := it.Get("id").String(); id != "" {
				if seen[id] {
					return raws, nil
				}
				seen[id] = true
			}
			raws = append(raws, it.Raw)
		}
		total := env.Get("result_info.total_count").Int()
		switch {
		case len(items) < listPerPage, total > 0 && int64(len(raws)) >= total:
			return raws, nil
		case page == maxListPages:
			fmt.Fprintf(notes, "note: this shows the first %d items; the API has more\n", len(raws))
			return raws, nil
		}
	}
}

// column is one column of a table: its header and how to read its cell
// from an item.
type column struct {
	head string
	cell func(gjson.Result) string
}

// field reads a string at a gjson path.
func field(head, path string) column {
	return column{head, func(r gjson.Result) string { return r.Get(path).String() }}
}

// timeField reads a timestamp, shown in UTC to the second.
func timeField(head, path string) column {
	return column{head, func(r gjson.Result) string { return showTime(r.Get(path).String()) }}
}

// printTable writes items as aligned columns. Cells are made one line
// (a name with a tab or newline would break the columns) and an empty cell
// shows as "-" so every row has every column.
func printTable(w io.Writer, cols []column, items []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	fmt.Fprintln(tw, strings.Join(heads, "\t"))
	for _, raw := range items {
		r := gjson.Parse(raw)
		cells := make([]string, len(cols))
		for i, c := range cols {
			if cells[i] = oneLine(c.cell(r)); cells[i] == "" {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// showList prints a list: the raw array under --json, else a table, or
// empty when there is nothing to show.
func (c *resCommand) showList(raws []string, cols []column, empty string) error {
	if c.api.asJSON {
		return c.api.printJSON(c.env.Stdout, rawArray(raws))
	}
	if len(raws) == 0 {
		fmt.Fprintln(c.env.Stdout, empty)
		return nil
	}
	return printTable(c.env.Stdout, cols, raws)
}

// row is one "key: value" line of an object's readable block.
type row struct{ key, value string }

// showObject prints one object: the raw JSON under --json, else headline
// (when not empty) and the rows that have a value.
func (c *resCommand) showObject(raw, headline string, rows func(gjson.Result) []row) error {
	if c.api.asJSON {
		return c.api.printJSON(c.env.Stdout, raw)
	}
	if !gjson.Valid(raw) {
		return fmt.Errorf("the API returned JSON this CLI cannot read")
	}
	if headline != "" {
		fmt.Fprintln(c.env.Stdout, headline)
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	for _, r := range rows(gjson.Parse(raw)) {
		if v := oneLine(r.value); v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", r.key, v)
		}
	}
	return tw.Flush()
}

// deleted prints the one line a delete answers with, or under --json the
// API's answer ({"id": …}).
func (c *resCommand) deleted(raw, line string) error {
	if c.api.asJSON {
		return c.api.printJSON(c.env.Stdout, raw)
	}
	fmt.Fprintln(c.env.Stdout, line)
	return nil
}

// readSecret reads a secret from a file, or from standard input for "-".
// Secrets are never taken as a flag's value: the command line is visible
// to every user of the machine (ps, /proc) and kept in shell history.
func readSecret(env *Env, flag, path string) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		in := env.Stdin
		if in == nil {
			in = os.Stdin
		}
		b, err = io.ReadAll(in)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", usageError("%s: %v", flag, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usageError("%s: %s is empty", flag, map[bool]string{true: "standard input", false: path}[path == "-"])
	}
	return s, nil
}

// run checks the positional arguments with check, connects and runs do:
// every mistake in the command line is found before a request is sent.
func (c *resCommand) run(ctx context.Context, args []string, check func([]string) error, do func(context.Context) error) error {
	if err := check(args); err != nil {
		return err
	}
	if err := c.connect(); err != nil {
		return err
	}
	return do(ctx)
}
