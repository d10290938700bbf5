package domains

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIsFreeEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"gmail.com", true},
		{"GMAIL.COM.", true},
		{" googlemail.com ", true},
		{"hotmail.de", true},
		{"yahoo.co.jp", true},
		{"proton.me", true},
		{"163.com", true},
		{"example.com", false},
		{"mail.gmail.com", false},
		{"gmail", false},
		{"", false},
		{"user@gmail.com", false}, // not a domain; callers normalise first
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, IsFreeEmail(tt.in)); diff != "" {
				t.Errorf("IsFreeEmail(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// Every line of freeemail.txt must be a normalised domain, listed once, that
// the default policy refuses *because* it is free mail: an entry refused by an
// earlier rule (a public suffix, a typo in the TLD) would be dead weight.
func TestFreeEmailList(t *testing.T) {
	seen := map[string]int{}
	for i, line := range strings.Split(freeEmailText, "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if prev, dup := seen[line]; dup {
			t.Errorf("line %d: %q already on line %d", i+1, line, prev)
		}
		seen[line] = i + 1
		if got, err := Normalize(line); err != nil || got != line {
			t.Errorf("line %d: Normalize(%q) = %q, %v; want it unchanged", i+1, line, got, err)
			continue
		}
		_, err := DefaultPolicy().Check(line)
		if got := reasonOf(t, err); got != ReasonFreeEmail {
			t.Errorf("line %d: Check(%q) reason = %q, want %q", i+1, line, got, ReasonFreeEmail)
		}
	}
	if len(seen) < 200 || len(seen) != len(freeEmail) {
		t.Errorf("list has %d distinct lines, parsed set has %d; want ≥200 and equal", len(seen), len(freeEmail))
	}
}
