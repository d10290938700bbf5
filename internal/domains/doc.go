// Package domains owns what counts as a claimable email domain: turning what a
// person typed into the one stored form (the lower-case A-label, no trailing
// dot) and refusing, with a stable reason and a message a person can act on,
// names that no single organisation can own. It does no DNS and no storage;
// ownership conflicts between tenants (reference §8.4 step 9) belong to the
// connector store, and the TXT lookup to dnsverify.
//
// Normalize runs these steps in order (reference §8.4 steps 1–6):
//
//  1. Trim spaces; refuse empty input and input over 1 KiB.
//  2. On the raw text: refuse invalid UTF-8, IP literals (also bracketed, with
//     a port, a zone or a prefix length), URLs, e-mail addresses, ports, "*",
//     inner whitespace or control characters, and "_". This comes before
//     IDNA because mapping would change or hide these ("。" becomes ".",
//     invalid UTF-8 becomes U+FFFD without an error), and because the e-mail,
//     URL and port cases can suggest the domain that was meant. IP literals
//     are tested before URL and port syntax so that "[::1]:443" and
//     "192.0.2.0/24" are called addresses.
//  3. Remove one trailing dot, so "example.com." is accepted but
//     "example.com.." still has an empty label.
//  4. idna.Lookup.ToASCII, which maps (fullwidth letters, upper case) and
//     validates; then lower-case.
//  5. On the A-label, since DNS limits apply to the wire form: at most 253
//     bytes, labels of 1–63 letters, digits and hyphens with no hyphen at
//     either end; all-numeric names ("127.1") are refused as addresses; at
//     least two labels; the last label is not all digits.
//
// Policy.Check then applies, in order (reference §5, §8.4 steps 7–8):
//
//  1. Special-use TLDs (localhost, test, invalid, example, local, onion, alt,
//     arpa, internal; corp, home and mail, which ICANN will not delegate; lan,
//     intranet and private, common on private networks). First, because onion
//     and arpa are in the Public Suffix List and the rest would otherwise be
//     reported as merely "unknown".
//  2. A public suffix itself, ICANN (co.uk) or PRIVATE (github.io):
//     publicsuffix.PublicSuffix(d) == d.
//  3. Unknown TLD: the PSL answered with its default rule (not ICANN and no
//     dot in the suffix), e.g. "example.cromulent".
//  4. Under a PRIVATE suffix (foo.github.io) when AllowUnderPrivateSuffix is
//     false.
//  5. The embedded free email list (freeemail.txt), then DeniedTLDs, then
//     ExtraDenied. Policy lists come last: the structural rules above refuse
//     names no configuration could make claimable, and give the more useful
//     reason.
//
// Rules are checked on the normalised form only, so "GMAIL.COM." and
// "gmail.com" always get the same answer.
package domains
