package dnsverify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// reply is a DNS answer together with how it was obtained.
type reply struct {
	msg       *dns.Msg
	addr      string
	transport string
	rtt       time.Duration
}

// query asks addr one question, retrying on timeouts and network errors (a
// DNS answer, even SERVFAIL, is not retried here) and repeating over TCP when
// the UDP reply is truncated. The error is a sentence for people.
func (v *Verifier) query(ctx context.Context, addr, name string, qtype uint16, rd bool) (reply, error) {
	var err error
	var transport string
	tries := 0
	for tries <= v.cfg.Retries {
		tries++
		var r reply
		if r, transport, err = v.queryOnce(ctx, addr, name, qtype, rd); err == nil {
			return r, nil
		}
		if contextDone(ctx) {
			break
		}
	}
	return reply{addr: addr, transport: transport}, errors.New(v.describe(ctx, err, transport, tries))
}

// queryOnce returns the transport of the last exchange even on error, so the
// reason can say whether UDP or the TCP retry failed.
func (v *Verifier) queryOnce(ctx context.Context, addr, name string, qtype uint16, rd bool) (reply, string, error) {
	client, transport := v.udp, "udp"
	if v.cfg.TCPOnly {
		client, transport = v.tcp, "tcp"
	}
	m, rtt, err := exchange(ctx, client, v.newQuery(name, qtype, rd), addr)
	if err == nil && m.Truncated && transport == "udp" {
		// The whole RRset did not fit: only TCP can show every record.
		client, transport = v.tcp, "tcp"
		m, rtt, err = exchange(ctx, client, v.newQuery(name, qtype, rd), addr)
	}
	if err != nil {
		return reply{}, transport, err
	}
	return reply{msg: m, addr: addr, transport: transport, rtt: rtt}, transport, nil
}

// newQuery builds a fresh message per exchange, so every try gets a new
// random ID.
func (v *Verifier) newQuery(name string, qtype uint16, rd bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = rd
	m.SetEdns0(v.cfg.EDNSBufferSize, false)
	return m
}

// exchange is miekg's ExchangeContext plus prompt cancellation:
// ExchangeContext only turns a context *deadline* into a socket deadline, so
// a cancelled context would leave the read blocked until QueryTimeout.
// Closing the connection when ctx is done unblocks it at once.
func exchange(ctx context.Context, c *dns.Client, m *dns.Msg, addr string) (*dns.Msg, time.Duration, error) {
	conn, err := c.DialContext(ctx, addr)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	return c.ExchangeWithConnContext(ctx, m, conn)
}

// describe turns a transport error into a reason. The context is checked
// first because miekg reports a context deadline as a plain i/o timeout.
func (v *Verifier) describe(ctx context.Context, err error, transport string, tries int) string {
	if contextDone(ctx) {
		if errors.Is(ctx.Err(), context.Canceled) {
			return "check cancelled"
		}
		return "no reply before the check deadline"
	}
	suffix := ""
	if tries > 1 {
		suffix = fmt.Sprintf(", %d tries", tries)
	}
	var ne net.Error
	var de *dns.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("timeout after %s (%s%s)", v.cfg.QueryTimeout, transport, suffix)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused: no DNS server listening (%s%s)", transport, suffix)
	case errors.Is(err, dns.ErrId):
		return fmt.Sprintf("reply with a mismatched message ID (%s%s)", transport, suffix)
	case errors.As(err, &de):
		return fmt.Sprintf("malformed reply: %v (%s%s)", err, transport, suffix)
	default:
		return fmt.Sprintf("network error: %v (%s%s)", err, transport, suffix)
	}
}

// contextDone is ctx.Err() != nil, but also true once the deadline has
// passed: the socket deadline miekg derives from it can fire a moment before
// the context's own timer does.
func contextDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}
