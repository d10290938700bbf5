package cli_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEClientCommands: every command line of the README's list of
// client commands names a command that exists, with flags it has, so the
// list cannot drift from the tree.
func TestREADMEClientCommands(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	i := strings.Index(text, "\n## The CLI")
	if i < 0 {
		t.Fatal(`README.md has no "## The CLI" section`)
	}
	block := text[i:]
	start := strings.Index(block, "\n```\n")
	end := strings.Index(block[start+5:], "\n```")
	if start < 0 || end < 0 {
		t.Fatal("no code block in the README's CLI section")
	}
	word := regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	flag := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	n := 0
	for _, line := range strings.Split(block[start+5:start+5+end], "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		fields := strings.Fields(cmd)
		if len(fields) == 0 || fields[0] != "ssogate" {
			continue
		}
		var path []string
		for _, f := range fields[1:] {
			if !word.MatchString(f) {
				break
			}
			path = append(path, f)
		}
		n++
		r := run(t, nil, append(path, "-h")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage: ssogate "+strings.Join(path, " ")+" ") {
			t.Errorf("README line %q: ssogate %s -h exits %d:\n%s%s", line, strings.Join(path, " "), r.code, r.stdout, r.stderr)
			continue
		}
		for _, f := range flag.FindAllString(cmd, -1) {
			if !regexp.MustCompile(`\s` + f + `[\s\[=]`).MatchString(r.stdout) {
				t.Errorf("README line %q: ssogate %s has no flag %s", line, strings.Join(path, " "), f)
			}
		}
	}
	if n < 30 {
		t.Errorf("found %d command lines in the README's list of client commands, want them all", n)
	}
}
