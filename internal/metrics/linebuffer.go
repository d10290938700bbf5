package metrics

import (
	"io"
	"sync"
	"time"
)

// LineBuffer collects the request log's lines in memory and writes them
// out together: when 64 KB are pending, at most FlushAfter after the first
// pending line, and on Flush or Close. At line rate a write per request is
// a system call per request; this is one per batch (nginx's access_log
// buffer= does the same). Writers hand it whole lines (an slog handler
// writes each record in one call), so only whole lines go out.
//
// The application log shares the output through Direct, which writes at
// once but first writes out what is pending: lines leave in the order they
// were written, and a warning is never held back.
type LineBuffer struct {
	mu     sync.Mutex
	out    io.Writer
	buf    []byte
	timer  *time.Timer // armed while lines are pending
	closed bool
}

const (
	maxPending = 64 << 10
	// FlushAfter is the longest a request line waits in memory.
	FlushAfter = 500 * time.Millisecond
)

// NewLineBuffer buffers writes to out.
func NewLineBuffer(out io.Writer) *LineBuffer {
	b := &LineBuffer{out: out}
	b.timer = time.AfterFunc(time.Hour, func() { _ = b.Flush() })
	b.timer.Stop()
	return b
}

// Write keeps p (whole lines) for the next flush.
func (b *LineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.out.Write(p)
	}
	if len(b.buf)+len(p) > maxPending {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > maxPending {
			return b.out.Write(p)
		}
	}
	if len(b.buf) == 0 {
		b.timer.Reset(FlushAfter)
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes out what is pending.
func (b *LineBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *LineBuffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	b.timer.Stop()
	_, err := b.out.Write(b.buf)
	if cap(b.buf) > 2*maxPending { // a burst's buffer is not kept forever
		b.buf = nil
	} else {
		b.buf = b.buf[:0]
	}
	return err
}

// Close writes out what is pending; later writes go straight out.
func (b *LineBuffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return b.flushLocked()
}

// Direct is a writer to the same output that does not wait: for the
// application log.
func (b *LineBuffer) Direct() io.Writer { return direct{b} }

type direct struct{ b *LineBuffer }

func (d direct) Write(p []byte) (int, error) {
	d.b.mu.Lock()
	defer d.b.mu.Unlock()
	if err := d.b.flushLocked(); err != nil {
		return 0, err
	}
	return d.b.out.Write(p)
}
