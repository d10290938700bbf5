package startpages

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Release unmaps the running binary's read-only mappings and reports how
// many bytes of address space it advised away. It touches only private
// mappings of the executable's own file that are not writable and hold no
// page the process wrote: a position-independent binary's relocated data
// (RELRO) is such a mapping once the loader has made it read-only, and
// MADV_DONTNEED there would bring back the file's unrelocated bytes. For
// the same reason it does nothing while a debugger is attached, whose
// breakpoints are written into the code.
func Release() (int64, error) {
	if status, err := os.ReadFile("/proc/self/status"); err != nil || traced(string(status)) {
		return 0, nil
	}
	self, err := executable()
	if err != nil {
		return 0, err
	}
	smaps, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("startpages: %w", err)
	}
	defer smaps.Close()
	ranges, err := releasable(smaps, self)
	if err != nil {
		return 0, err
	}
	var released int64
	for _, m := range ranges {
		// Through syscall rather than unix.Madvise, which wants the
		// range as a []byte: making one from an address read in a text
		// file is what go vet rightly calls a misuse of unsafe.Pointer.
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED); errno != 0 {
			return released, fmt.Errorf("startpages: madvise %x-%x: %w", m.start, m.end, errno)
		}
		released += int64(m.end - m.start)
	}
	return released, nil
}

// releasable reads /proc/self/smaps and lists the executable's mappings
// that are read-only, private, and have no anonymous (written, copied on
// write) page.
func releasable(smaps io.Reader, self exe) ([]mapping, error) {
	var out []mapping
	var cur mapping
	candidate, anonymous := false, false
	flush := func() {
		if candidate && !anonymous {
			out = append(out, cur)
		}
	}
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		line := sc.Text()
		if m, ok := parseMapping(line); ok {
			flush()
			cur, candidate, anonymous = m, m.readOnlyPrivate() && self.maps(m), false
			continue
		}
		// A written page is anonymous while resident and counts as swap
		// once swapped out.
		if nonZeroKB(line, "Anonymous:") || nonZeroKB(line, "Swap:") {
			anonymous = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("startpages: read /proc/self/smaps: %w", err)
	}
	flush()
	return out, nil
}

// nonZeroKB says whether line is smaps' "field: N kB" with N other than 0.
func nonZeroKB(line, field string) bool {
	v, ok := strings.CutPrefix(line, field)
	return ok && strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")) != "0"
}

// traced says whether /proc/self/status names a tracer (TracerPid other
// than 0).
func traced(status string) bool {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "TracerPid:"); ok {
			return strings.TrimSpace(v) != "0"
		}
	}
	return false
}

// exe identifies the executable's file as /proc/self/maps names it.
type exe struct {
	major, minor uint32
	inode        uint64
	path         string
}

func executable() (exe, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return exe{}, fmt.Errorf("startpages: stat the executable: %w", err)
	}
	path, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return exe{}, fmt.Errorf("startpages: the executable's path: %w", err)
	}
	return exe{major: unix.Major(st.Dev), minor: unix.Minor(st.Dev), inode: st.Ino, path: path}, nil
}

// maps says whether m maps the executable. Device and inode decide; the
// path is a fallback for overlay file systems, where the two sides may
// name the file by different devices.
func (e exe) maps(m mapping) bool {
	return (m.major == e.major && m.minor == e.minor && m.inode == e.inode) || (m.path != "" && m.path == e.path)
}

// mapping is one line of /proc/self/maps.
type mapping struct {
	start, end   uintptr
	perms        string
	major, minor uint32
	inode        uint64
	path         string
}

// readOnlyPrivate: readable, not writable, private. Pages of such a mapping
// that were never written are the file's own and can be dropped and faulted
// back in unchanged; releasable checks that none was.
func (m mapping) readOnlyPrivate() bool {
	return len(m.perms) == 4 && m.perms[0] == 'r' && m.perms[1] == '-' && m.perms[3] == 'p'
}

// parseMapping reads "start-end perms offset major:minor inode [path]".
func parseMapping(line string) (mapping, bool) {
	f := strings.Fields(line)
	if len(f) < 5 {
		return mapping{}, false
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	dmaj, dmin, ok2 := strings.Cut(f[3], ":")
	if !ok || !ok2 {
		return mapping{}, false
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	major, err3 := strconv.ParseUint(dmaj, 16, 32)
	minor, err4 := strconv.ParseUint(dmin, 16, 32)
	inode, err5 := strconv.ParseUint(f[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || end <= start {
		return mapping{}, false
	}
	m := mapping{start: uintptr(start), end: uintptr(end), perms: f[1], major: uint32(major), minor: uint32(minor), inode: inode}
	if len(f) > 5 {
		m.path = strings.Join(f[5:], " ")
	}
	return m, true
}
