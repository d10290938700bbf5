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

// The gateway tells names from addresses without netip's allocating error
// on every proxied request; what it decides must be what netip decides.
func TestIsIPLiteral(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "::1": true, "fe80::1%eth0": true, "2001:db8::8a2e:370:7334": true,
		"app.localhost": false, "1.2.3": false, "1.2.3.4.5": false, "face.bad": false, "cafe": false,
		"256.1.1.1": false, "[::1]": false, "": false, "1e2.3.4.5": false, "app:8080": false,
	} {
		if got := isIPLiteral(host); got != want {
			t.Errorf("isIPLiteral(%q) = %v, want %v", host, got, want)
		}
	}
	for host, want := range map[string]string{
		"App.Localhost": "app.localhost", "app.localhost:8080": "app.localhost", "app.localhost.": "app.localhost",
		"[::1]:443": "::1", "10.0.0.1": "10.0.0.1",
	} {
		if got := hostOnly(host); got != want {
			t.Errorf("hostOnly(%q) = %q, want %q", host, got, want)
		}
	}
}

// Copy buffers go back to the pool and come out again without allocating.
func TestCopyBuffersDoNotAllocate(t *testing.T) {
	var pool bufferPool
	pool.Put(pool.Get())
	allocs := testing.AllocsPerRun(100, func() {
		b := pool.Get()
		if len(b) != copyBufferSize {
			t.Fatalf("buffer of %d bytes", len(b))
		}
		pool.Put(b)
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per Get and Put", allocs)
	}
	pool.Put(make([]byte, 10)) // not a pool buffer: dropped, never handed out
	if b := pool.Get(); len(b) != copyBufferSize {
		t.Errorf("a foreign buffer came back out of the pool: %d bytes", len(b))
	}
}
