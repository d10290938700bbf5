package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/tidwall/gjson"

	"github.com/ssogate/ssogate/internal/dnsverify"
)

// connectorView is an SSO connector decoded from the raw JSON the API
// returned, so ssogate's extra verification fields are seen while real
// Cloudflare's smaller object still prints. Times stay strings: a value
// the CLI cannot parse is shown as sent rather than lost.
type connectorView struct {
	ID                 string `json:"id"`
	EmailDomain        string `json:"email_domain"`
	Enabled            bool   `json:"enabled"`
	UseFedrampLanguage bool   `json:"use_fedramp_language"`
	CreatedOn          string `json:"created_on"`
	UpdatedOn          string `json:"updated_on"`
	Verification       struct {
		Code          string                          `json:"code"`
		Status        string                          `json:"status"`
		Reason        string                          `json:"reason"`
		Record        *struct{ Name, Content string } `json:"dns_record"`
		Deadline      string                          `json:"deadline"`
		LastCheckedOn string                          `json:"last_checked_on"`
		NextCheckOn   string                          `json:"next_check_on"`
		VerifiedOn    string                          `json:"verified_on"`
		Nameservers   []dnsverify.ServerResult        `json:"nameservers"`
	} `json:"verification"`
}

func parseConnector(raw string) (connectorView, error) {
	var c connectorView
	if strings.TrimSpace(raw) == "" {
		return c, fmt.Errorf("the API returned no SSO connector")
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return c, fmt.Errorf("the API returned an SSO connector this CLI cannot read: %v", err)
	}
	return c, nil
}

// txtRecord is the record to publish: the server's dns_record when it
// sends one, else the guide's rule (the code at the email domain's apex).
func (c connectorView) txtRecord() (name, value string) {
	if r := c.Verification.Record; r != nil && r.Name != "" && r.Content != "" {
		return r.Name, r.Content
	}
	return c.EmailDomain, c.Verification.Code
}

// printConnector writes the readable block for one connector.
func printConnector(w io.Writer, c connectorView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	name, value := c.txtRecord()
	row("SSO connector", c.ID)
	row("email domain", c.EmailDomain)
	row("enabled", strconv.FormatBool(c.Enabled))
	row("status", c.Verification.Status)
	if c.Verification.Status != "verified" {
		row("reason", c.Verification.Reason)
	}
	row("TXT record name", name)
	row("TXT record value", value)
	if c.UseFedrampLanguage {
		row("FedRAMP language", "true")
	}
	row("deadline", showTime(c.Verification.Deadline))
	row("last check", showTime(c.Verification.LastCheckedOn))
	row("next check", showTime(c.Verification.NextCheckOn))
	row("verified on", showTime(c.Verification.VerifiedOn))
	row("created", showTime(c.CreatedOn))
	row("updated", showTime(c.UpdatedOn))
	tw.Flush()
	if len(c.Verification.Nameservers) > 0 {
		fmt.Fprintln(w, "name servers at the last check:")
		printServers(w, c.Verification.Nameservers)
	}
}

// printConnectorTable writes the list as aligned columns.
func printConnectorTable(w io.Writer, cs []connectorView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL DOMAIN\tENABLED\tSTATUS\tUPDATED")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", c.ID, c.EmailDomain, c.Enabled, c.Verification.Status, showTime(c.UpdatedOn))
	}
	tw.Flush()
}

// printServers writes what each name server answered: its verdict, the
// TXT records it holds at the name, or why it gave no definite answer.
func printServers(w io.Writer, servers []dnsverify.ServerResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range servers {
		server := s.Server
		if s.Address != "" && s.Address != s.Server {
			server += " (" + s.Address + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", server, s.Verdict, serverDetail(s))
	}
	tw.Flush()
}

func serverDetail(s dnsverify.ServerResult) string {
	var parts []string
	if s.Rcode != "" {
		parts = append(parts, s.Rcode)
	}
	switch {
	case s.CNAME != "":
		parts = append(parts, "CNAME to "+s.CNAME+" (a TXT record cannot live at an alias)")
	case len(s.Records) == 0 && s.Error == "":
		parts = append(parts, "no TXT records")
	case len(s.Records) > 0:
		quoted := make([]string, len(s.Records))
		for i, r := range s.Records {
			quoted[i] = strconv.Quote(r)
		}
		parts = append(parts, "TXT "+strings.Join(quoted, ", "))
	}
	if s.Error != "" {
		parts = append(parts, s.Error)
	}
	return strings.Join(parts, "; ")
}

// printDNSLook writes the CLI's own DNS look at the record.
func printDNSLook(w io.Writer, r dnsverify.Result) {
	where := "the authoritative name servers"
	if r.Mode == dnsverify.ModeDirect {
		where = "the configured name servers"
	} else if r.Zone != "" {
		where = "the name servers of zone " + r.Zone
	}
	fmt.Fprintf(w, "DNS: looking for TXT %q at %s on %s\n", r.Expected, r.Name, where)
	printServers(w, r.Servers)
	fmt.Fprintf(w, "DNS verdict: %s", r.Verdict)
	if r.Reason != "" {
		fmt.Fprintf(w, " — %s", r.Reason)
	}
	fmt.Fprintln(w)
}

// showTime renders an API timestamp in UTC to the second.
func showTime(s string) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// printRaw writes raw API JSON indented; several objects become an array,
// each exactly as the API sent it.
func printRaw(w io.Writer, raw string) error {
	if strings.TrimSpace(raw) == "" {
		raw = "null"
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(raw), "", "  "); err != nil {
		return fmt.Errorf("the API returned JSON this CLI cannot print: %v", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// printJSON is where every client command's --json output is written:
// the raw JSON as printRaw shows it, or with --field only the value there.
func (f *apiFlags) printJSON(w io.Writer, raw string) error {
	if f.field == "" {
		return printRaw(w, raw)
	}
	return printField(w, raw, f.field)
}

// printField writes the value at path (gjson syntax) in raw so a shell can
// capture it: a string raw, an array of strings one per line, anything
// else as compact JSON. A path that matches nothing exits 1 naming the
// keys there are, so a script stops instead of exporting an empty string.
func printField(w io.Writer, raw, path string) error {
	if !gjson.Valid(raw) {
		return fmt.Errorf("the API returned JSON this CLI cannot read")
	}
	v := gjson.Get(raw, path)
	if !v.Exists() || emptyIteration(raw, path, v) {
		return &exitError{code: 1, err: fmt.Errorf("--field %q matches nothing: %s", path, describeKeys(gjson.Parse(raw)))}
	}
	var out bytes.Buffer
	switch {
	case v.Type == gjson.String:
		out.WriteString(v.Str + "\n")
	case allStrings(v):
		for _, s := range v.Array() {
			out.WriteString(s.Str + "\n")
		}
	default:
		if err := json.Compact(&out, []byte(v.Raw)); err != nil {
			return fmt.Errorf("the API returned JSON this CLI cannot print: %v", err)
		}
		out.WriteByte('\n')
	}
	_, err := w.Write(out.Bytes())
	return err
}

func allStrings(v gjson.Result) bool {
	if !v.IsArray() {
		return false
	}
	for _, s := range v.Array() {
		if s.Type != gjson.String {
			return false
		}
	}
	return true
}

// emptyIteration reports a # query that found its key in none of the
// items of a non-empty array ("#.idd" for "#.id"): gjson answers [], which
// would look like an empty list. Over an empty list [] is the answer.
func emptyIteration(raw, path string, v gjson.Result) bool {
	i := strings.Index(path, "#.")
	if i < 0 || !v.IsArray() || len(v.Array()) > 0 {
		return false
	}
	over := gjson.Parse(raw)
	if prefix := strings.TrimSuffix(path[:i], "."); prefix != "" {
		over = gjson.Get(raw, prefix)
	}
	return over.IsArray() && len(over.Array()) > 0
}

// describeKeys says what a path could start with: an object's keys, or
// for an array its length and its first item's keys.
func describeKeys(doc gjson.Result) string {
	keys := func(o gjson.Result) string {
		var ks []string
		o.ForEach(func(k, _ gjson.Result) bool {
			ks = append(ks, k.String())
			return true
		})
		return strings.Join(ks, ", ")
	}
	switch {
	case doc.IsObject():
		return "the top-level keys are " + keys(doc)
	case doc.IsArray():
		items := doc.Array()
		if len(items) == 0 {
			return "the result is an empty list"
		}
		s := fmt.Sprintf("the result is a list of %d; paths start with an index or # (0.id, #.id)", len(items))
		if items[0].IsObject() {
			s += "; the keys of its items are " + keys(items[0])
		}
		return s
	}
	return "the result is " + doc.Raw
}

func rawArray(raws []string) string {
	return "[" + strings.Join(raws, ",") + "]"
}

// formatAPIError shows the envelope's errors and their chains, which is
// what the server meant to say, instead of the SDK's request dump.
func formatAPIError(ae *cloudflare.Error) string {
	var b strings.Builder
	b.WriteString("HTTP " + statusText(ae.StatusCode))
	if len(ae.Errors) == 0 {
		b.WriteString(" with no error message in the response")
	}
	for _, e := range ae.Errors {
		fmt.Fprintf(&b, "\n  %s (code %d)", e.Message, e.Code)
		if p := e.Source.Pointer; p != "" {
			fmt.Fprintf(&b, " [field %s]", p)
		}
		for _, c := range errorChain(e.JSON.RawJSON()) {
			fmt.Fprintf(&b, "\n    caused by: %s (code %d)", c.Message, c.Code)
		}
	}
	// The printMessages middleware skips error responses; their messages
	// are shown here, once, with the error they came with.
	for _, m := range envelopeMessages([]byte(ae.JSON.RawJSON())) {
		b.WriteString("\nnote: " + m)
	}
	return b.String()
}

type chainItem struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
}

// errorChain reads Cloudflare's error_chain, which the SDK keeps only in
// the raw JSON of each error.
func errorChain(raw string) []chainItem {
	var e struct {
		Chain []chainItem `json:"error_chain"`
	}
	if raw == "" || json.Unmarshal([]byte(raw), &e) != nil {
		return nil
	}
	return e.Chain
}

// isTerminal reports whether w is a character device, where a progress
// line can be rewritten in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress shows the state of a wait: one line rewritten with \r on a
// terminal, and otherwise a plain line only when the state changes, so a
// log or a test sees a stable transcript.
type progress struct {
	w     io.Writer
	tty   bool
	last  string
	dirty bool
}

func newProgress(w io.Writer) *progress { return &progress{w: w, tty: isTerminal(w)} }

// ttyWidth bounds the rewritten line: a line that wraps cannot be
// rewritten with \r. The full reason is printed when the wait ends.
const ttyWidth = 79

// update shows state; elapsed is added on a terminal only.
func (p *progress) update(state string, elapsed time.Duration) {
	if p.tty {
		line := fmt.Sprintf("[%s] %s", elapsed.Round(time.Second), state)
		if r := []rune(line); len(r) > ttyWidth {
			line = string(r[:ttyWidth-1]) + "…"
		}
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.dirty = true
	} else if state != p.last {
		fmt.Fprintln(p.w, state)
	}
	p.last = state
}

// done ends a rewritten line so the next output starts on its own.
func (p *progress) done() {
	if p.dirty {
		fmt.Fprintln(p.w)
		p.dirty = false
	}
}
