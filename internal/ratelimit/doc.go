// Package ratelimit limits attempts per key (an email address, a client
// address) with the generic cell rate algorithm (GCRA): a policy allows
// Burst attempts at once and regains one every Every. GCRA is a token
// bucket kept as one timestamp per key — the "theoretical arrival time"
// of the next attempt — so the state of a key is a single value that one
// SQL statement can read, test and advance atomically, and it behaves
// exactly like the token buckets it replaces (golang.org/x/time/rate) with
// the same numbers. A fixed window was the other candidate; it allows
// twice the burst across a window boundary and a full burst again every
// window, where GCRA allows one attempt per Every once the burst is spent.
//
// Where the state lives follows the database: on PostgreSQL, where several
// instances serve the same users, every instance reads and advances the
// same row of the rate_limits table (one INSERT … ON CONFLICT … DO UPDATE
// … RETURNING per attempt), so two instances allow what one does, not
// twice as much. On SQLite there is one process, and the state is in
// memory: a failed attempt need not cost a write on SQLite's one writer.
// The memory table is bounded; when it is full it forgets the key used
// least recently, one at a time, never everything at once, so an attacker
// spraying keys cannot reset the limit of a key being hammered.
//
// A limiter never fails its caller. When the database cannot answer, the
// PostgreSQL limiter falls back to this instance's memory (the limits of
// one instance, as before) and logs that at most once a minute: failing
// closed would lock every user out during a database hiccup, failing open
// silently would let an attacker who can slow the database guess freely.
// The credential check behind the limit still runs either way.
package ratelimit
