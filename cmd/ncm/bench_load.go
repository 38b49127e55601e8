package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/loadtest"
	"github.com/spf13/cobra"
)

// loadOptions are the flags of `ncm bench load`.
type loadOptions struct {
	Endpoint    string
	Concurrency int
	Duration    time.Duration
	Warmup      time.Duration
	PageSizes   []int
	NameFilter  bool
	Matrix      bool
	Floor       bool
}

func newBenchLoadCommand() *cobra.Command {
	var o loadOptions
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Send signed seed requests to a running server and report throughput and latency",
		Long: `Send signed seed requests (GET /api/v2/certificate/getPaidCertificates) to a
running server on this machine and report throughput and latency percentiles.

Requests are signed with NCLOUD_ACCESS_KEY_ID / NCLOUD_SECRET_ACCESS_KEY (as
printed by ncm bench populate). Without --name-filter each request asks for a
random page of the whole list; with it, each filters by a random certificate
name found on the server first.

--floor also starts, in this process, a bare net/http server that does the
same signature check and answers the same pre-encoded bytes, loads it the same
way right after, and reports ncm's throughput as a fraction of the floor's.
Only loopback endpoints are accepted and each measurement is bounded.`,
		Example: `  ncm bench load --endpoint http://127.0.0.1:8080 --concurrency 8 --duration 10s --floor --matrix`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLoad(cmd, o, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Endpoint, "endpoint", "", "server to load (default $NCM_ENDPOINT); loopback only")
	fs.IntVar(&o.Concurrency, "concurrency", 4*runtime.NumCPU(), "requests in flight")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "measured time per case (at most 5m)")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "unmeasured time before each case")
	fs.IntSliceVar(&o.PageSizes, "page-size", []int{20}, "pageSize of the requests (several: one case each)")
	fs.BoolVar(&o.NameFilter, "name-filter", false, "filter every request by one certificate name")
	fs.BoolVar(&o.Matrix, "matrix", false, "run pages of 20 and 100, with and without the name filter")
	fs.BoolVar(&o.Floor, "floor", false, "also measure the floor server and report ncm as a fraction of it")
	return cmd
}

func runLoad(cmd *cobra.Command, o loadOptions, out io.Writer) error {
	cfg, err := client.FromEnvironment()
	if err != nil {
		return err
	}
	if o.Endpoint == "" {
		o.Endpoint = cfg.Endpoint
	}
	o.Endpoint = strings.TrimSuffix(o.Endpoint, "/")
	if err := loadtest.CheckLoopback(o.Endpoint); err != nil {
		return usageError{err}
	}
	if o.Concurrency < 1 || o.Duration <= 0 || o.Duration > loadtest.MaxDuration || o.Warmup < 0 || o.Warmup > loadtest.MaxDuration {
		return usageError{fmt.Errorf("--concurrency must be at least 1 and --duration, --warmup between 0 and %s", loadtest.MaxDuration)}
	}
	type loadCase struct {
		size   int
		filter bool
	}
	var cases []loadCase
	if o.Matrix {
		cases = []loadCase{{20, false}, {100, false}, {20, true}, {100, true}}
	} else {
		for _, s := range o.PageSizes {
			if s < 1 {
				return usageError{fmt.Errorf("--page-size must be at least 1, got %d", s)}
			}
			cases = append(cases, loadCase{s, o.NameFilter})
		}
	}
	ctx := cmd.Context()
	target := loadtest.Target{Endpoint: o.Endpoint, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey}
	hc := loadtest.NewClient(o.Concurrency)
	total, names, err := loadtest.Discover(ctx, hc, target, 1000)
	if err != nil {
		return err
	}
	if total == 0 {
		return fmt.Errorf("%s lists no Advanced certificates for this key; fill it with ncm bench populate", o.Endpoint)
	}
	var floor *loadtest.Floor
	if o.Floor {
		if floor, err = loadtest.StartFloor(cfg.AccessKey, cfg.SecretKey); err != nil {
			return err
		}
		defer floor.Close()
	}
	fmt.Fprintf(out, "# %s: %d orders listed; concurrency %d, %s per case after %s warm-up, GOMAXPROCS %d\n",
		o.Endpoint, total, o.Concurrency, o.Duration, o.Warmup, runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "%-22s %-6s %9s %9s %9s %9s %9s %7s %9s\n", "case", "server", "req/s", "p50", "p90", "p99", "max", "errors", "p99/p50")
	for _, c := range cases {
		w := loadtest.Workload{PageSize: c.size, Pages: (total + c.size - 1) / c.size}
		name := fmt.Sprintf("pageSize=%d", c.size)
		first := fmt.Sprintf("%s?page=1&pageSize=%d", loadtest.SeedPath, c.size)
		if c.filter {
			if len(names) == 0 {
				return fmt.Errorf("no certificate names found for --name-filter")
			}
			w.Names = names
			name += " name"
			first += "&certificateName=" + names[0]
		}
		res, err := loadtest.Run(ctx, hc, target, w, o.Concurrency, o.Warmup, o.Duration)
		if err != nil {
			return err
		}
		printResult(out, name, "ncm", res)
		if floor == nil {
			continue
		}
		body, err := loadtest.Get(ctx, hc, target, first)
		if err != nil {
			return err
		}
		floor.SetBody(body)
		ft := loadtest.Target{Endpoint: floor.Endpoint, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey}
		fres, err := loadtest.Run(ctx, hc, ft, w, o.Concurrency, o.Warmup, o.Duration)
		if err != nil {
			return err
		}
		printResult(out, name, "floor", fres)
		fmt.Fprintf(out, "%-22s ncm/floor throughput %.2f (%d-byte answer)\n", name, res.Throughput()/fres.Throughput(), len(body))
	}
	return nil
}

func printResult(out io.Writer, name, server string, r *loadtest.Result) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	ratio := 0.0
	if p50 := r.Percentile(50); p50 > 0 {
		ratio = float64(r.Percentile(99)) / float64(p50)
	}
	fmt.Fprintf(out, "%-22s %-6s %9.0f %9s %9s %9s %9s %7d %9.1f\n", name, server, r.Throughput(),
		ms(r.Percentile(50)), ms(r.Percentile(90)), ms(r.Percentile(99)), ms(r.Percentile(100)), r.Errors, ratio)
	if r.FirstError != "" {
		fmt.Fprintf(out, "%-22s %-6s first error: %s\n", name, server, r.FirstError)
	}
}
