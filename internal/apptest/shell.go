package apptest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// shellFence matches a fenced sh/bash/shell block of a Markdown document.
var shellFence = regexp.MustCompile("(?ms)^[ \t]*```(?:sh|bash|shell)[ \t]*\n(.*?)^[ \t]*```[ \t]*$")

// ShellBlocks returns the shell code blocks of a Markdown document, in
// order, with the indentation of list items removed, so that documents whose
// commands must work as written (the guide, the README) can be executed by
// tests instead of copied into them.
func ShellBlocks(markdown string) []string {
	var out []string
	for _, m := range shellFence.FindAllStringSubmatch(markdown, -1) {
		out = append(out, dedent(m[1]))
	}
	return out
}

// dedent removes the indentation the block's first line has from every line.
func dedent(block string) string {
	lines := bytes.Split([]byte(block), []byte("\n"))
	indent := []byte(nil)
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) > 0 {
			indent = l[:len(l)-len(bytes.TrimLeft(l, " \t"))]
			break
		}
	}
	for i, l := range lines {
		lines[i] = bytes.TrimPrefix(l, indent)
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// NeedCommand fails the test when a program it runs is missing in CI (CI
// set), and skips it elsewhere, saying how to install it.
func NeedCommand(t testing.TB, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (%s); CI must install it", name, install)
	}
	t.Skipf("%s is not installed (%s)", name, install)
}

// Bash runs script with bash -eu in dir, with env added to this process's
// environment, and returns its standard output; it fails the test with
// both outputs when the script fails or runs longer than timeout.
func Bash(t testing.TB, dir string, env []string, timeout time.Duration, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-eu", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("script failed: %v\n--- script\n%s\n--- stdout\n%s\n--- stderr\n%s", err, script, stdout.String(), stderr.String())
	}
	return stdout.String()
}
