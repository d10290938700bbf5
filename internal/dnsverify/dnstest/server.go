package dnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// maxLogEntries bounds the query log so a long-running demo cannot grow it
// without limit; QueryCount keeps counting past it.
const maxLogEntries = 1 << 16

// bindAttempts is how many random ports Start tries before giving up when the
// UDP port it got is already taken for TCP.
const bindAttempts = 20

// Query is one entry of the server's query log.
type Query struct {
	Name      string // lower-case, fully qualified ("example.com.")
	Type      string // "TXT", "SOA", …
	Transport string // "udp" or "tcp"
	RD        bool   // recursion desired bit of the request
}

// Server is an in-memory authoritative DNS server on one loopback ip:port.
// All methods are safe for concurrent use while it serves.
type Server struct {
	addr string
	udp  *dns.Server
	tcp  *dns.Server

	done      chan struct{} // closed by Close; wakes delayed handlers
	closeOnce sync.Once

	mu         sync.RWMutex
	zones      map[string]bool   // zone apex → present
	nodes      map[string]*node  // owner name → records
	below      map[string]int    // name → number of nodes strictly below it
	faults     map[string]faults // owner name → fault knobs
	truncAbove int               // 0 = only the client's buffer size

	logMu   sync.Mutex
	log     []Query
	queries atomic.Int64
}

// Start listens on addr ("127.0.0.1:0", "127.0.0.2:5353", …) with UDP and TCP
// on the same port. Port 0 picks a port free for both protocols. Start returns
// once both listeners serve.
func Start(addr string) (*Server, error) {
	pc, ln, err := listenBoth(addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		addr:   pc.LocalAddr().String(),
		done:   make(chan struct{}),
		zones:  make(map[string]bool),
		nodes:  make(map[string]*node),
		below:  make(map[string]int),
		faults: make(map[string]faults),
	}
	s.udp = &dns.Server{PacketConn: pc, Handler: s}
	s.tcp = &dns.Server{Listener: ln, Handler: s}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		if err := activate(srv); err != nil {
			_ = pc.Close()
			_ = ln.Close()
			return nil, err
		}
	}
	return s, nil
}

// listenBoth binds UDP first and then TCP on the port UDP got. With port 0
// the TCP port may be taken by another process, so it retries a few times.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dnstest: address %q: %w", addr, err)
	}
	for range bindAttempts {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, nil, fmt.Errorf("dnstest: listen udp %s: %w", addr, err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		_ = pc.Close()
		if port != "0" {
			return nil, nil, fmt.Errorf("dnstest: listen tcp %s: %w", addr, err)
		}
	}
	return nil, nil, fmt.Errorf("dnstest: no port free for both udp and tcp on %s", host)
}

// activate starts srv and waits until it is accepting queries, so a test can
// send its first query right after Start returns.
func activate(srv *dns.Server) error {
	up := make(chan struct{})
	failed := make(chan error, 1)
	srv.NotifyStartedFunc = func() { close(up) }
	go func() { failed <- srv.ActivateAndServe() }()
	select {
	case <-up:
		return nil
	case err := <-failed:
		return fmt.Errorf("dnstest: serve: %w", err)
	}
}

// Addr returns the ip:port the server listens on (the same for UDP and TCP).
func (s *Server) Addr() string { return s.addr }

// Close stops both listeners. Delayed handlers are woken so it does not wait
// for their delay.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(s.udp.ShutdownContext(ctx), s.tcp.ShutdownContext(ctx))
	})
	return err
}

// Queries returns a copy of the query log (at most the first 65536 queries
// since the last ResetLog).
func (s *Server) Queries() []Query {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Query(nil), s.log...)
}

// QueryCount returns how many queries arrived since the last ResetLog.
func (s *Server) QueryCount() int64 { return s.queries.Load() }

// ResetLog empties the query log and the counter.
func (s *Server) ResetLog() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = nil
	s.queries.Store(0)
}

func (s *Server) record(q Query) {
	s.queries.Add(1)
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if len(s.log) < maxLogEntries {
		s.log = append(s.log, q)
	}
}

// sleep waits d, or less if the server closes; it reports whether the full
// delay passed.
func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}
