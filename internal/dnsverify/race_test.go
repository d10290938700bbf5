//go:build race

package dnsverify

// raceEnabled shrinks load tests under the race detector, which slows
// everything down several times over.
const raceEnabled = true
