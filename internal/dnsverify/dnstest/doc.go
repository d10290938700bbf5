// Package dnstest runs a small, real authoritative DNS server on a loopback
// address, for tests and for the product's offline demo.
//
// A Server answers over UDP and TCP on the same ip:port, from zones held in
// memory. It behaves like an authoritative server where that matters to a
// domain-ownership verifier:
//
//   - names inside a zone get AA=1 answers; names outside every zone get
//     REFUSED, which is what a lame or split-horizon server says;
//   - NXDOMAIN and NODATA are told apart correctly (empty non-terminals
//     exist), and both carry the zone's SOA in the authority section;
//   - a CNAME is returned for any other type, and followed while the
//     target stays inside a zone this server holds;
//   - UDP replies are truncated (TC=1) to the client's EDNS buffer size,
//     or to TruncateUDPAbove when that is smaller, so clients must retry
//     over TCP.
//
// Fault knobs per name (SetRcode, Blackhole, NoAA, WrongQuestion, Delay)
// reproduce the failures a verifier must classify as indeterminate, and the
// query log (Queries) lets tests assert what was asked, over which transport
// and with which RD bit.
//
// The package does not import testing: the demo command uses it at run time.
// Lookups are map based, so tens of thousands of names are served quickly.
package dnstest
