package startpages

import (
	"encoding/binary"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMapping(t *testing.T) {
	cases := []struct {
		line string
		ok   bool
		want mapping
	}{
		{"00400000-0137f000 r-xp 00000000 fd:01 1234567                            /usr/local/bin/ssogate", true,
			mapping{start: 0x400000, end: 0x137f000, perms: "r-xp", major: 0xfd, minor: 1, inode: 1234567, path: "/usr/local/bin/ssogate"}},
		{"0137f000-02a1a000 r--p 00f7f000 103:02 42 /opt/my apps/ssogate (deleted)", true,
			mapping{start: 0x137f000, end: 0x2a1a000, perms: "r--p", major: 0x103, minor: 2, inode: 42, path: "/opt/my apps/ssogate (deleted)"}},
		{"7ffd1c5e5000-7ffd1c606000 rw-p 00000000 00:00 0                          [stack]", true,
			mapping{start: 0x7ffd1c5e5000, end: 0x7ffd1c606000, perms: "rw-p", path: "[stack]"}},
		{"c000000000-c004000000 rw-p 00000000 00:00 0 ", true,
			mapping{start: 0xc000000000, end: 0xc004000000, perms: "rw-p"}},
		{"", false, mapping{}},
		{"00400000 r-xp 00000000 fd:01 1", false, mapping{}},
		{"00400000-zz r-xp 00000000 fd:01 1", false, mapping{}},
		{"00500000-00400000 r-xp 00000000 fd:01 1", false, mapping{}},
		{"00400000-00500000 r-xp 00000000 fd01 1", false, mapping{}},
		{"00400000-00500000 r-xp 00000000 fd:01 x", false, mapping{}},
	}
	for _, c := range cases {
		got, ok := parseMapping(c.line)
		if ok != c.ok || got != c.want {
			t.Errorf("parseMapping(%q) = %+v, %v; want %+v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestOnlyReadOnlyPrivateMappingsOfTheExecutable(t *testing.T) {
	self := exe{major: 0xfd, minor: 1, inode: 7, path: "/usr/local/bin/ssogate"}
	for perms, want := range map[string]bool{"r-xp": true, "r--p": true, "rw-p": false, "r--s": false, "r-xs": false, "---p": false, "rwxp": false} {
		if got := (mapping{perms: perms}).readOnlyPrivate(); got != want {
			t.Errorf("readOnlyPrivate(%s) = %v", perms, got)
		}
	}
	cases := []struct {
		m    mapping
		want bool
	}{
		{mapping{major: 0xfd, minor: 1, inode: 7}, true},
		{mapping{major: 0xfd, minor: 2, inode: 7}, false},
		{mapping{major: 0xfd, minor: 1, inode: 8}, false},
		{mapping{major: 0, minor: 0x2c, inode: 99, path: "/usr/local/bin/ssogate"}, true}, // an overlay's other side
		{mapping{major: 0, minor: 0, inode: 0}, false},                                    // anonymous
		{mapping{major: 0xfd, minor: 1, inode: 9, path: "/usr/lib/libc.so.6"}, false},
	}
	for _, c := range cases {
		if got := self.maps(c.m); got != c.want {
			t.Errorf("maps(%+v) = %v", c.m, got)
		}
	}
}

func TestTraced(t *testing.T) {
	for status, want := range map[string]bool{
		"Name:\tssogate\nState:\tS (sleeping)\nTracerPid:\t0\nUid:\t0\n": false,
		"Name:\tssogate\nTracerPid:\t4242\n":                             true,
		"Name:\tssogate\n":                                               false,
	} {
		if got := traced(status); got != want {
			t.Errorf("traced(%q) = %v", status, got)
		}
	}
}

// A server links far more code than it runs once started; so does this test
// binary, through net/http, which it never calls. Without it, the runtime's
// own code (hot whatever the process does) would be a third of what there
// is to release, and what the release leaves mapped would say little.
var _ = http.ListenAndServe

// written lives in the binary's writable data segment and is changed at run
// time: were that segment released, it would read as the file has it again.
var written = []int{1, 2, 3}

func TestReleaseUnmapsTheBinarysReadOnlyPagesAndKeepsItsData(t *testing.T) {
	written[0] = 42
	ranges := readOnlyMappings(t)
	// Map every page of them in, as a server's start does: reading
	// /proc/self/mem faults the pages into this process's page tables.
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	buf := make([]byte, 1<<20)
	var pages int64
	for _, m := range ranges {
		for a := m.start; a < m.end; a += uintptr(len(buf)) {
			if _, err := mem.ReadAt(buf[:min(uintptr(len(buf)), m.end-a)], int64(a)); err != nil {
				t.Fatalf("read %x: %v", a, err)
			}
		}
		pages += int64(m.end-m.start) / pageSize
	}
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	before := make([]int64, len(ranges))
	after := make([]int64, len(ranges))
	entries := make([]byte, 8*pages)
	present(t, pm, ranges, entries, before)
	n, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	present(t, pm, ranges, entries, after) // nothing in between but two reads
	if n != pages*pageSize {
		t.Errorf("Release released %d bytes, want %d", n, pages*pageSize)
	}
	for i, m := range ranges {
		size := int64(m.end-m.start) / pageSize
		t.Logf("%s mapping at %x: %d pages, %d present before the release, %d after", m.perms, m.start, size, before[i], after[i])
		if before[i] < size*9/10 {
			t.Errorf("%s mapping at %x: only %d of %d pages present after reading them all", m.perms, m.start, before[i], size)
		}
		// What runs between the release and the count (the rest of
		// Release, the runtime) faults some pages back in, and the kernel
		// maps more than each fault asks for: 64 KiB around it, or the
		// whole large folio (up to megabytes) holding it in the page
		// cache. In a binary this small that is up to half of a mapping.
		if after[i] > size*3/4 {
			t.Errorf("%s mapping at %x: %d of %d pages still present after the release", m.perms, m.start, after[i], size)
		}
	}
	if written[0] != 42 || written[1] != 2 {
		t.Errorf("data changed at run time was lost: %v", written)
	}
}

// pageSize is the kernel's, as pagemap counts in it (4 KiB on x86-64,
// up to 64 KiB on arm64).
var pageSize = int64(os.Getpagesize())

// readOnlyMappings lists the mappings Release is to release.
func readOnlyMappings(t *testing.T) []mapping {
	t.Helper()
	self, err := executable()
	if err != nil {
		t.Fatal(err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	var ranges []mapping
	for _, line := range strings.Split(string(maps), "\n") {
		if m, ok := parseMapping(line); ok && m.readOnlyPrivate() && self.maps(m) {
			ranges = append(ranges, m)
		}
	}
	if len(ranges) == 0 {
		t.Fatal("no read-only mapping of the test binary in /proc/self/maps")
	}
	return ranges
}

// present counts, per range, the pages /proc/self/pagemap says are mapped
// (bit 63), reading into entries so that it allocates nothing.
func present(t *testing.T, pm *os.File, ranges []mapping, entries []byte, counts []int64) {
	t.Helper()
	for r, m := range ranges {
		e := entries[:int64(m.end-m.start)/pageSize*8]
		if _, err := pm.ReadAt(e, int64(m.start)/pageSize*8); err != nil {
			t.Fatalf("pagemap: %v", err)
		}
		for i := 0; i < len(e); i += 8 {
			counts[r] += int64(binary.LittleEndian.Uint64(e[i:]) >> 63)
		}
	}
}

func TestReleasableSkipsWrittenMappings(t *testing.T) {
	self := exe{major: 0xfd, minor: 1, inode: 7, path: "/usr/local/bin/ssogate"}
	smaps := `00400000-01380000 r-xp 00000000 fd:01 7 /usr/local/bin/ssogate
Size:              15872 kB
Rss:               13000 kB
Anonymous:             0 kB
AnonHugePages:         0 kB
VmFlags: rd ex mr mw me sd
01380000-028f8000 r--p 00f80000 fd:01 7 /usr/local/bin/ssogate
Size:              22000 kB
Anonymous:             0 kB
VmFlags: rd mr mw me sd
028f8000-03039000 r--p 024f8000 fd:01 7 /usr/local/bin/ssogate
Size:               7428 kB
Anonymous:          7300 kB
VmFlags: rd mr mw me ac sd
03039000-030ff000 rw-p 02c39000 fd:01 7 /usr/local/bin/ssogate
Anonymous:           200 kB
7f0000000000-7f0000100000 r--p 00000000 fd:01 9 /usr/lib/x86_64-linux-gnu/libc.so.6
Anonymous:             0 kB
7f0000200000-7f0000300000 r-xp 00000000 fd:01 7 /usr/local/bin/ssogate
Anonymous:             4 kB
7f0000400000-7f0000500000 r--p 00000000 fd:01 7 /usr/local/bin/ssogate
Anonymous:             0 kB
Swap:                  8 kB
SwapPss:               8 kB
`
	got, err := releasable(strings.NewReader(smaps), self)
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping{
		{start: 0x400000, end: 0x1380000, perms: "r-xp", major: 0xfd, minor: 1, inode: 7, path: "/usr/local/bin/ssogate"},
		{start: 0x1380000, end: 0x28f8000, perms: "r--p", major: 0xfd, minor: 1, inode: 7, path: "/usr/local/bin/ssogate"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("releasable =\n%+v\nwant\n%+v", got, want)
	}
}

// TestReleaseInBuiltBinaries builds a small program that calls Release and
// then uses relocated read-only data, as an ordinary and as a
// position-independent executable (the way some distributions build Go
// programs). In the latter the loader writes relocations into a segment it
// then makes read-only (RELRO); releasing that one would crash the program.
func TestReleaseInBuiltBinaries(t *testing.T) {
	goTool, err := exec.LookPath("go") // go test puts its own first on PATH
	if err != nil {
		t.Fatal(err)
	}
	want := `released=true p(1,2) [{"X":1,"Y":2,"name":"p"},{"a":1,"b":2},"xxx"] [a b]` + "\n"
	for _, mode := range []string{"exe", "pie"} {
		t.Run(mode, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "release")
			build := exec.Command(goTool, "build", "-buildvcs=false", "-buildmode="+mode, "-o", bin, "./testdata/release")
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build -buildmode=%s: %v\n%s", mode, err, out)
			}
			out, err := exec.Command(bin).CombinedOutput()
			if err != nil || string(out) != want {
				t.Errorf("the %s binary after Release: %v\n%s\nwant\n%s", mode, err, out, want)
			}
		})
	}
}
