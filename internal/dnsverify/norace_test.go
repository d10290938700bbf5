//go:build !race

package dnsverify

const raceEnabled = false
