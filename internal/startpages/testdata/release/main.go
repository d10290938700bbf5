// Command release calls startpages.Release in a binary built as the test
// asks (position-independent, say), then exercises what Release must not
// have broken: relocated pointers in read-only data (type descriptors,
// interface tables, strings), reflection, and data written at run time.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/ssogate/ssogate/internal/startpages"
)

type point struct {
	X, Y int
	Name string `json:"name"`
}

func (p point) String() string { return fmt.Sprintf("%s(%d,%d)", p.Name, p.X, p.Y) }

var written = map[string]int{"a": 1}

func main() {
	written["b"] = 2
	n, err := startpages.Release()
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
	var s fmt.Stringer = point{1, 2, "p"}
	b, err := json.Marshal([]any{s, written, strings.Repeat("x", 3)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "marshal:", err)
		os.Exit(1)
	}
	keys := make([]string, 0, len(written))
	for k := range written {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Printf("released=%t %s %s %v\n", n > 0, s, b, keys)
}
