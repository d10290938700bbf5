package changes

import (
	"strings"
	"testing"
)

func TestChannelFor(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{"public", "ssogate_changes_public"},
		{"t_0123456789abcdef", "ssogate_changes_t_0123456789abcdef"},
		{`We"ird; DROP`, "ssogate_changes_weirddrop"},
		{strings.Repeat("s", 80), ("ssogate_changes_" + strings.Repeat("s", 80))[:63]},
	} {
		if got := channelFor(tc.schema); got != tc.want {
			t.Errorf("channelFor(%q) = %q, want %q", tc.schema, got, tc.want)
		}
	}
}
