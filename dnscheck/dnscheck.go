// Package dnscheck looks up the TXT records of domain validation with real
// DNS queries (github.com/miekg/dns), through one configured resolver, so
// that ncm sees exactly what that resolver sees and tests can point it at
// a DNS server of their own on the loopback.
package dnscheck

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver queries one DNS server. It implements service.TXTResolver.
type Resolver struct {
	// Addr is the server, host:port (port 53 when left out).
	Addr string
	// Timeout bounds one query. Default 5s.
	Timeout time.Duration
}

// New returns a resolver for addr; an empty addr means the first
// nameserver of /etc/resolv.conf.
func New(addr string) (*Resolver, error) {
	if addr == "" {
		cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(cfg.Servers) == 0 {
			return nil, fmt.Errorf("no --dns-resolver given and none found in /etc/resolv.conf: %v", err)
		}
		addr = net.JoinHostPort(cfg.Servers[0], cfg.Port)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "53")
	}
	return &Resolver{Addr: addr}, nil
}

// LookupTXT returns the strings of every TXT record at name (each record's
// character strings joined, as RFC 7208 reads long values). NXDOMAIN and an
// empty answer return nothing and no error. A truncated UDP answer is
// retried over TCP.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(strings.ToLower(name)), dns.TypeTXT)
	m.RecursionDesired = true
	c := &dns.Client{Timeout: timeout}
	in, _, err := c.ExchangeContext(ctx, m, r.Addr)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, r.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("TXT %s via %s: %w", name, r.Addr, err)
	}
	switch in.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return nil, fmt.Errorf("TXT %s via %s: %s", name, r.Addr, dns.RcodeToString[in.Rcode])
	}
	var out []string
	for _, rr := range in.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, nil
}
