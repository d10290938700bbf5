package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ApplyFile reads the YAML configuration file at path onto cfg. Its keys are
// the flag names (listen, data-dir, trusted-proxies…) and each value goes
// through the option's own set, so a value means in the file exactly what it
// means as a flag or in the environment. Every problem is reported at once,
// each as "path:line: …"; keys that were fine are applied even when others
// are not, as Load does for flags and the environment, so the caller can
// report the file's errors together with theirs.
//
// The file is decoded into a yaml.Node rather than a struct: only the node
// tree keeps line numbers for every key and value and shows a key given
// twice, which decoding into a struct or map would silently merge.
func ApplyFile(cfg *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err) // *PathError names the path
	}
	return applyYAML(cfg, path, data)
}

func applyYAML(cfg *Config, path string, data []byte) error {
	root, err := parseYAML(path, data)
	if err != nil || root == nil {
		return err
	}
	f := fileApplier{path: path, cfg: cfg, known: map[string]option{}, seen: map[string]int{}}
	for _, o := range options() {
		f.known[o.flag] = o
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		f.apply(root.Content[i], deref(root.Content[i+1]))
	}
	return errors.Join(f.errs...)
}

// parseYAML returns the top-level mapping, or nil for a file with no
// content (empty, or only comments).
func parseYAML(path string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, syntaxError(path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		// A second document would otherwise be ignored without a word.
		return nil, fmt.Errorf("%s:%d: a second YAML document (---); the configuration is one document", path, extra.Line)
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(path, err)
	}
	root := deref(doc.Content[0])
	switch {
	case root.Kind == yaml.ScalarNode && root.Tag == "!!null":
		return nil, nil // "---" alone
	case root.Kind != yaml.MappingNode:
		return nil, fmt.Errorf("%s:%d: the file must be a mapping of option: value (such as listen: 127.0.0.1:8080), not %s", path, root.Line, describe(root))
	}
	return root, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError gives the YAML library's message the path:line: shape of the
// others. The library leaves the line out when it is the first.
func syntaxError(path string, err error) error {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: %s", path, m[1], m[2])
	}
	return fmt.Errorf("%s:1: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
}

type fileApplier struct {
	path  string
	cfg   *Config
	known map[string]option
	seen  map[string]int // key → the line it was first given on
	errs  []error
}

func (f *fileApplier) fail(line int, format string, args ...any) {
	f.errs = append(f.errs, fmt.Errorf("%s:%d: %s", f.path, line, fmt.Sprintf(format, args...)))
}

func (f *fileApplier) apply(k, v *yaml.Node) {
	if k.Kind != yaml.ScalarNode {
		f.fail(k.Line, "a key must be an option name, not %s", describe(k))
		return
	}
	key := k.Value
	if first, dup := f.seen[key]; dup {
		f.fail(k.Line, "%s: given twice (first on line %d)", key, first)
		return
	}
	f.seen[key] = k.Line
	o, ok := f.known[key]
	if !ok {
		f.fail(k.Line, "%s", f.unknown(key))
		return
	}
	raw, err := fileValue(o, v)
	if err != nil {
		f.fail(err.line, "%s: %s", key, err.msg)
		return
	}
	if err := o.set(f.cfg, raw); err != nil {
		f.fail(failingLine(o, v), "%s: %v", key, err)
	}
}

// failingLine is the line of the list entry that set refuses, so a bad CIDR
// in a block list is reported where it is written; else the value's line.
func failingLine(o option, v *yaml.Node) int {
	if v.Kind == yaml.SequenceNode {
		for _, it := range v.Content {
			it = deref(it)
			var scratch Config
			if o.set(&scratch, it.Value) != nil {
				return it.Line
			}
		}
	}
	return v.Line
}

// unknown explains a key that is no option: an environment-only setting, or
// a likely misspelling of a real one.
func (f *fileApplier) unknown(key string) string {
	norm := normalizeKey(key)
	if env, ok := envOnlyKey(norm); ok {
		if norm == "secret-key" || norm == "bootstrap-password" || norm == "bootstrap-token" {
			// Config files get committed to git and copied into images; a
			// secret there leaks with them.
			hint := ""
			if norm == "secret-key" {
				hint = ", or point secret-key-file at a file readable only by ssogate"
			}
			return fmt.Sprintf("%s: a secret, not accepted in a config file (files get committed and copied into images); set %s in the environment%s", key, env, hint)
		}
		return fmt.Sprintf("%s: a first-start bootstrap setting, read from the environment only; set %s", key, env)
	}
	if _, ok := f.known[norm]; ok {
		return fmt.Sprintf("unknown key %q; did you mean %q? (keys are the flag names)", key, norm)
	}
	if best := closest(key, f.known); best != "" {
		return fmt.Sprintf("unknown key %q; did you mean %q?", key, best)
	}
	return fmt.Sprintf("unknown key %q (keys are the flag names of ssogate serve, such as listen or data-dir)", key)
}

// normalizeKey turns the other spellings people carry over — an
// environment name, a flag with its dashes, underscores — into a flag name.
func normalizeKey(key string) string {
	k := strings.ToLower(strings.TrimLeft(key, "-"))
	k = strings.TrimPrefix(k, "ssogate_")
	return strings.ReplaceAll(k, "_", "-")
}

// envOnlyKey reports whether a normalized key names an environment-only
// setting, and that setting's variable.
func envOnlyKey(norm string) (string, bool) {
	env := envName(norm)
	_, ok := envOnly[env]
	return env, ok
}

// closest returns the known key nearest to key by edit distance, or "" when
// none is near enough to be a plausible misspelling.
func closest(key string, known map[string]option) string {
	best, bestD := "", 0
	for k := range known {
		d := editDistance(key, k)
		if best == "" || d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	if bestD > max(2, len(key)/4) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

type valueError struct {
	line int
	msg  string
}

// fileValue converts a YAML value into the string the option's set parses.
// The YAML type must fit the kind — a quoted "32" for a number or "yes" for
// a boolean is refused — so the file says what it means.
func fileValue(o option, v *yaml.Node) (string, *valueError) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return "", &valueError{v.Line, fmt.Sprintf("no value; give %s, or remove the key to keep the default", want(o.kind))}
	}
	switch o.kind {
	case "strings", "cidrs":
		return listValue(o, v)
	}
	if v.Kind != yaml.ScalarNode || !scalarFits(o.kind, v.Tag) {
		return "", &valueError{v.Line, fmt.Sprintf("wants %s, got %s", want(o.kind), describe(v))}
	}
	switch o.kind {
	case "int":
		var n int
		if err := v.Decode(&n); err != nil {
			return "", &valueError{v.Line, fmt.Sprintf("%q is not a whole number that fits", v.Value)}
		}
		return strconv.Itoa(n), nil
	case "bool":
		var b bool
		if err := v.Decode(&b); err != nil {
			return "", &valueError{v.Line, fmt.Sprintf("%q is not true or false", v.Value)}
		}
		return strconv.FormatBool(b), nil
	}
	return v.Value, nil
}

// scalarFits says which YAML scalar types each kind takes. Strings take
// numbers too (access-port: 443); durations take integers so that
// "verify-cooldown: 0" works and "5" is refused by the duration parser with
// its own example.
func scalarFits(kind, tag string) bool {
	switch kind {
	case "int":
		return tag == "!!int"
	case "bool":
		return tag == "!!bool"
	case "string", "duration":
		return tag == "!!str" || tag == "!!int"
	}
	return false
}

// listValue joins a sequence (or takes one scalar) into the comma-separated
// form set parses; an element with a comma would silently become two.
func listValue(o option, v *yaml.Node) (string, *valueError) {
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	var vals []string
	for _, it := range items {
		it = deref(it)
		if it.Kind != yaml.ScalarNode || (it.Tag != "!!str" && it.Tag != "!!int") {
			return "", &valueError{it.Line, fmt.Sprintf("wants %s, got %s", want(o.kind), describe(it))}
		}
		if strings.Contains(it.Value, ",") {
			return "", &valueError{it.Line, fmt.Sprintf("%q has a comma; write one item per list entry, such as [a, b] or lines of \"- a\"", it.Value)}
		}
		vals = append(vals, it.Value)
	}
	return strings.Join(vals, ","), nil
}

func want(kind string) string {
	switch kind {
	case "strings":
		return "a list of strings"
	case "cidrs":
		return "a list of CIDRs such as [10.0.0.0/8]"
	case "duration":
		return "a duration such as 48h or 90s"
	case "int":
		return "a whole number"
	case "bool":
		return "true or false"
	}
	return "a string"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	case "!!null":
		return "null"
	}
	return fmt.Sprintf("%q (%s)", n.Value, n.Tag)
}

// deref follows an alias (*name) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
