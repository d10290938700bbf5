package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionLine(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	info := func(version string, settings []debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/ssogate/ssogate", Version: version}, Settings: settings}
	}
	const rev = "abc123def4567890abc123def4567890abc12345"
	tests := []struct {
		name    string
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"tagged release with VCS", "dev", info("v1.2.3", vcs("vcs", "git", "vcs.revision", rev,
			"vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "false")),
			"ssogate v1.2.3 (revision abc123def456, 2026-12-01T10:00:00Z)"},
		{"modified tree", "dev", info("v1.2.3", vcs("vcs.revision", rev, "vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "true")),
			"ssogate v1.2.3 (revision abc123def456, 2026-12-01T10:00:00Z, modified)"},
		{"built with -buildvcs=false", "dev", info("(devel)", vcs("-buildmode", "exe", "GOOS", "linux")), "ssogate (devel)"},
		{"no main version", "dev", info("", nil), "ssogate (devel)"},
		{"no build info", "dev", nil, "ssogate (devel)"},
		{"no build info, ldflags", "v2.0.0", nil, "ssogate v2.0.0"},
		{"ldflags win over the module version", "v2.0.0-rc1", info("(devel)", vcs("vcs.revision", rev)),
			"ssogate v2.0.0-rc1 (revision abc123def456)"},
		{"empty ldflags", "", info("v1.2.3", nil), "ssogate v1.2.3"},
		{"short revision kept whole", "dev", info("(devel)", vcs("vcs.revision", "abc1")), "ssogate (devel) (revision abc1)"},
		{"time without revision", "dev", info("(devel)", vcs("vcs.time", "2026-12-01T10:00:00Z")),
			"ssogate (devel) (2026-12-01T10:00:00Z)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionLine(tt.ldflags, tt.bi); got != tt.want {
				t.Errorf("versionLine(%q, ...) = %q, want %q", tt.ldflags, got, tt.want)
			}
		})
	}
}
