package store

import (
	"fmt"
	"time"
)

// Times are stored as BIGINT unix microseconds: portable across both engines,
// sortable, and PostgreSQL's own precision.

// Micros converts a time for storage.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// FromMicros converts a stored time back, in UTC.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// NullMicros converts an optional time for storage (NULL when nil).
func NullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// NullTime scans an optional BIGINT time column.
type NullTime struct{ T *time.Time }

// Scan implements sql.Scanner.
func (n *NullTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		n.T = nil
	case int64:
		t := FromMicros(v)
		n.T = &t
	default:
		return fmt.Errorf("store: cannot scan %T into a time", src)
	}
	return nil
}

var _ interface{ Scan(any) error } = (*NullTime)(nil)

// Clock wraps a time source so every time a service stores is already at
// the stored precision (UTC microseconds): what a create returns is then
// exactly what a later read returns.
func Clock(now func() time.Time) func() time.Time {
	return func() time.Time { return now().UTC().Truncate(time.Microsecond) }
}
