package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ncmhq/ncm/dnscheck"
	"github.com/ncmhq/ncm/service"
	"github.com/spf13/pflag"
)

// lifecycleOptions are the flags of `ncm serve` for domain validation, the
// job worker and renewal.
type lifecycleOptions struct {
	WorkerInterval time.Duration
	DNSResolver    string
	DCVDeadline    time.Duration
	RenewBefore    time.Duration
	RenewUntil     time.Duration
}

func (o *lifecycleOptions) register(fs *pflag.FlagSet) {
	fs.DurationVar(&o.WorkerInterval, "worker-interval", 2*time.Second, "how often the worker looks for due jobs (domain validation checks, issuance, expiry, renewals)")
	fs.StringVar(&o.DNSResolver, "dns-resolver", "system", "DNS server (host:port) that domain validation queries for TXT records; \"system\" is the first nameserver of /etc/resolv.conf (none if there is none), \"none\" turns DNS checks off (validation then passes only through the control plane or ncm admin dcv)")
	fs.DurationVar(&o.DCVDeadline, "dcv-deadline", 72*time.Hour, "how long domain validation waits for its TXT records before the certificate is \"Validation timed out\"")
	fs.DurationVar(&o.RenewBefore, "renew-before", 45*24*time.Hour, "start of the renewal window, before notAfter")
	fs.DurationVar(&o.RenewUntil, "renew-until", 30*24*time.Hour, "end of the renewal window, before notAfter")
}

// config turns the flags into the service's lifecycle configuration. An
// empty resolver (serveOptions built by hand, as tests do) means none.
func (o *lifecycleOptions) config() (service.LifecycleConfig, error) {
	cfg := service.LifecycleConfig{DCVDeadline: o.DCVDeadline, RenewBefore: o.RenewBefore, RenewUntil: o.RenewUntil}
	if o.RenewBefore > 0 && o.RenewUntil > 0 && o.RenewUntil >= o.RenewBefore {
		return cfg, usageError{fmt.Errorf("--renew-until (%s) must be shorter than --renew-before (%s)", o.RenewUntil, o.RenewBefore)}
	}
	switch o.DNSResolver {
	case "", "none":
	case "system":
		// A machine without /etc/resolv.conf still serves; validation then
		// passes only through the control plane or ncm admin dcv.
		if r, err := dnscheck.New(""); err == nil {
			cfg.Resolver = r
		}
	default:
		r, err := dnscheck.New(o.DNSResolver)
		if err != nil {
			return cfg, usageError{fmt.Errorf("--dns-resolver: %w", err)}
		}
		cfg.Resolver = r
	}
	return cfg, nil
}

// startWorker runs the job worker until the returned stop is called (or
// ctx ends); stop waits for it, so the store can be closed after.
func startWorker(ctx context.Context, o lifecycleOptions, svc *service.Service) (stop func()) {
	interval := o.WorkerInterval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		svc.RunWorker(ctx, service.WorkerID(), interval)
	}()
	return func() { cancel(); wg.Wait() }
}
