package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"
)

// Version is set at build time with -ldflags "-X .../cli.Version=...". Left
// at "dev", the version comes from the build info the go command stamps.
var Version = "dev"

func setupVersion(env *Env, _ *pflag.FlagSet) runFunc {
	return func(_ context.Context, args []string) error {
		if len(args) > 0 {
			return usageError("unexpected argument %q: version takes none", args[0])
		}
		fmt.Fprintln(env.Stdout, versionLine(Version, buildInfo()))
		return nil
	}
}

// buildInfo is the go command's stamp, nil in a binary without one.
func buildInfo() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}

// versionLine is what `ssogate version` prints, from the -ldflags version
// (unless left at "dev") or else the main module's version, then the VCS
// revision, commit time and dirty flag the go command records — so a bug
// report names the exact source. A build without VCS stamping (CI builds
// with -buildvcs=false) prints the version alone; bi is nil when the binary
// carries no build info at all.
func versionLine(ldflags string, bi *debug.BuildInfo) string {
	version := "(devel)"
	var vcs []string
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		vcs = vcsDetails(bi.Settings)
	}
	if ldflags != "" && ldflags != "dev" {
		version = ldflags
	}
	if len(vcs) == 0 {
		return "ssogate " + version
	}
	return fmt.Sprintf("ssogate %s (%s)", version, strings.Join(vcs, ", "))
}

// vcsDetails reads the vcs.* build settings: the revision cut to 12
// characters (enough to be unique, short enough to read), the commit time,
// and "modified" when the tree had uncommitted changes.
func vcsDetails(settings []debug.BuildSetting) []string {
	var revision, when string
	modified := false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var out []string
	if revision != "" {
		out = append(out, "revision "+revision[:min(12, len(revision))])
	}
	if when != "" {
		out = append(out, when)
	}
	if modified {
		out = append(out, "modified")
	}
	return out
}
