package portal

import "testing"

func TestEncodeGroups(t *testing.T) {
	tests := []struct {
		groups []string
		want   string
	}{
		{[]string{"staff"}, "staff"},
		{[]string{"staff", "Platform Team"}, "staff,Platform Team"},
		{[]string{"a,b", "100%"}, "a%2Cb,100%25"},
		{[]string{"x\r\nSet-Cookie: y"}, "x%0D%0ASet-Cookie: y"},
		{[]string{"Équipe"}, "%C3%89quipe"},
	}
	for _, tt := range tests {
		if got := encodeGroups(tt.groups); got != tt.want {
			t.Errorf("encodeGroups(%q) = %q, want %q", tt.groups, got, tt.want)
		}
	}
}
