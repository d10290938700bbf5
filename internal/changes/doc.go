// Package changes is the change feed that makes every ssogate instance
// agree within a second: a write that matters for security or correctness
// (signing keys, API tokens, Access configuration, Access sessions)
// publishes an Event in its own transaction, and every instance's caches
// hear it once that transaction commits.
//
// On PostgreSQL the event is a NOTIFY on a channel named after the schema,
// sent inside the writer's transaction (PostgreSQL delivers it only on
// commit, and never for a rollback); each instance LISTENs on a dedicated
// connection. A listener that lost its connection cannot know what it
// missed, so every (re)connection, and a periodic tick, delivers All: the
// caches drop everything and reread. On SQLite there is one process, and
// events are delivered in process after the commit.
//
// Caches subscribe; publishers never wait for them. The guarantee this
// gives, documented in docs/access.md: a change or revocation committed on
// one instance is enforced on every instance within one second (in
// practice a few milliseconds), and within the refresh interval even if a
// notification is lost.
package changes
