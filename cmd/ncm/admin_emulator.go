package main

// The emulator's wiring (ncm serve --emulator, the shared clock) and the
// `ncm admin` commands that drive a running server's control plane over
// HTTP: clock, fault, reset, validation.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/emulator"
	"github.com/ncmhq/ncm/httpapi"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// emulatorOptions are the flags of `ncm serve` for the control plane.
type emulatorOptions struct {
	Emulator   bool
	AdminToken string
}

func (o *emulatorOptions) register(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Emulator, "emulator", false, "turn the control plane on: /_ncm/v1/ moves the shared clock, settles domain validation, injects faults, resets (see ncm admin clock|fault|validation|reset)")
	fs.StringVar(&o.AdminToken, "admin-token", "", "the control plane's admin token (at least 16 characters; default: generated on the first --emulator start and printed once)")
}

// clockMode says which clock openApp uses.
type clockMode int

const (
	// clockFollowStore uses the emulated clock when the database is served
	// in emulator mode, else the real one: what `ncm admin` does, so its
	// commands see the time the servers see.
	clockFollowStore clockMode = iota
	// clockReal is `ncm serve` without --emulator: the real clock, and
	// the database marked as no longer in emulator mode.
	clockReal
	// clockEmulated is `ncm serve --emulator`.
	clockEmulated
)

func (o emulatorOptions) clockMode() clockMode {
	if o.Emulator {
		return clockEmulated
	}
	return clockReal
}

// openClock returns the clock of an app over store. base is the real time
// (the system clock unless a test passes its own); the emulated clock adds
// the stored offset to it.
func openClock(ctx context.Context, store ncm.Store, mode clockMode, base ncm.Clock, logger *slog.Logger) (ncm.Clock, error) {
	if base == nil {
		base = ncm.SystemClock{}
	}
	emulated := func() (ncm.Clock, error) {
		c := emulator.NewClock(store, emulator.ClockConfig{Base: base, Logger: logger})
		// Read the stored clock once now, so a database that cannot be
		// read fails the start instead of showing the real time.
		if _, err := c.State(ctx); err != nil {
			return nil, err
		}
		return c, nil
	}
	switch mode {
	case clockEmulated:
		return emulated()
	case clockReal:
		was, err := emulator.Disable(ctx, store, base.Now())
		if err != nil {
			return nil, err
		}
		if was {
			logger.Info("emulator mode off: this database was served with --emulator; the real clock applies again")
		}
		return base, nil
	}
	on, err := emulator.Enabled(ctx, store)
	if err != nil {
		return nil, err
	}
	if on {
		return emulated()
	}
	return base, nil
}

// startEmulator turns the control plane on for a server over a: it marks
// the database as in emulator mode, makes sure there is an admin token and
// prints a generated one once. It returns nil when --emulator is off.
func startEmulator(ctx context.Context, o serveOptions, a *app, endpoint string, stdout io.Writer) (*emulator.Emulator, error) {
	if !o.Emulator {
		return nil, nil
	}
	clock, ok := a.clock.(*emulator.Clock)
	if !ok {
		return nil, fmt.Errorf("--emulator: the app runs on %T, not the emulated clock", a.clock)
	}
	token, err := emulator.Enable(ctx, a.store, o.AdminToken, clock.Base())
	if ncm.ErrorKind(err) == ncm.EINVALID {
		return nil, usageError{fmt.Errorf("--admin-token: %s", ncm.ErrorMessage(err))}
	}
	if err != nil {
		return nil, err
	}
	if token != "" {
		fmt.Fprintf(stdout, `ncm: control plane on (--emulator) at %s/_ncm/v1/. Its admin token is shown only this once:

export NCM_ADMIN_TOKEN=%s

`, endpoint, token)
	}
	return emulator.New(a.store, clock), nil
}

// controlClient calls a server's control plane.
type controlClient struct {
	endpoint string
	token    string
	http     *http.Client
	json     bool // print answers as JSON
	out      io.Writer
}

// controlFlags are the flags of every control plane command.
type controlFlags struct {
	Endpoint   string
	AdminToken string
	JSON       bool
}

func (f *controlFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Endpoint, "endpoint", "http://127.0.0.1:8080", "the server (ncm serve --emulator) whose control plane to drive (NCM_ENDPOINT)")
	fs.StringVar(&f.AdminToken, "admin-token", "", "the control plane's admin token, printed at the server's first --emulator start (NCM_ADMIN_TOKEN)")
	fs.BoolVar(&f.JSON, "json", false, "print the control plane's JSON answer")
}

func (f *controlFlags) client(cmd *cobra.Command) (*controlClient, error) {
	if f.AdminToken == "" {
		return nil, usageError{fmt.Errorf("the admin token is missing: set NCM_ADMIN_TOKEN (printed when the server first started with --emulator) or pass --admin-token")}
	}
	u, err := url.Parse(strings.TrimRight(f.Endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Errorf("--endpoint %q must be an http(s) URL such as http://127.0.0.1:8080", f.Endpoint)}
	}
	if strings.HasSuffix(strings.ToLower(u.Hostname()), "ntruss.com") {
		// Never send the admin token to NCP itself.
		return nil, usageError{fmt.Errorf("--endpoint %s is NCP itself; the control plane exists only on an ncm server (ncm serve --emulator)", u)}
	}
	return &controlClient{endpoint: u.String(), token: f.AdminToken, http: &http.Client{Timeout: 2 * time.Minute},
		json: f.JSON, out: cmd.OutOrStdout()}, nil
}

// call sends one control request and decodes the answer into out.
func (c *controlClient) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("control plane %s %s: %w (is ncm serve --emulator running there? set NCM_ENDPOINT)", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("control plane %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return controlFailure(method, path, resp.StatusCode, raw)
	}
	if c.json {
		_, err := c.out.Write(raw)
		return err
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("control plane %s %s: the answer is not what ncm answers (%v); check NCM_ENDPOINT", method, path, err)
		}
	}
	return nil
}

// controlFailure turns an error answer into a message a person can act on.
func controlFailure(method, path string, status int, raw []byte) error {
	var ce struct {
		Error json.RawMessage `json:"error"`
	}
	_ = json.Unmarshal(raw, &ce)
	var detail struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	_ = json.Unmarshal(ce.Error, &detail)
	switch {
	case detail.ErrorCode != "":
		// The API gateway answered: the path is not served, so the
		// control plane is off.
		return fmt.Errorf("control plane %s %s: HTTP %d from the API gateway: the server runs without --emulator", method, path, status)
	case status == http.StatusUnauthorized:
		return fmt.Errorf("control plane %s %s: %s (check NCM_ADMIN_TOKEN)", method, path, detail.Message)
	case detail.Message != "":
		return fmt.Errorf("control plane %s %s: %s", method, path, detail.Message)
	}
	return fmt.Errorf("control plane %s %s: HTTP %d: %s", method, path, status, strings.TrimSpace(string(raw)))
}

// newControlCommands returns the admin commands that drive the control
// plane: clock, fault, reset, validation.
func newControlCommands() []*cobra.Command {
	var f controlFlags
	withFlags := func(c *cobra.Command) *cobra.Command {
		f.register(c.Flags())
		return c
	}
	printClock := func(c *controlClient, v httpapi.ClockView) {
		if c.json {
			return
		}
		state := "running"
		if v.Frozen {
			state = "frozen"
		}
		fmt.Fprintf(c.out, "%s (%s, offset %s from the real time)\n", v.Now, state, v.Offset)
		if v.JobsRun > 0 {
			fmt.Fprintf(c.out, "%d due jobs ran\n", v.JobsRun)
		}
	}
	moveClock := func(cmd *cobra.Command, body map[string]any) error {
		c, err := f.client(cmd)
		if err != nil {
			return err
		}
		var v httpapi.ClockView
		if err := c.call(cmd.Context(), http.MethodPost, "/_ncm/v1/clock", body, &v); err != nil {
			return err
		}
		printClock(c, v)
		return nil
	}

	clock := &cobra.Command{
		Use:   "clock",
		Short: "Show or move the emulated clock of a server running with --emulator",
		Long: `Show or move the clock that every node of an ncm serve --emulator shares.
Moving it runs the jobs that fell due (expiries, renewals) before answering.
Durations take Go units plus d for days: 60d, 1d12h, 90m.`,
	}
	clock.AddCommand(
		withFlags(&cobra.Command{
			Use: "show", Short: "Print the emulated time", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := f.client(cmd)
				if err != nil {
					return err
				}
				var v httpapi.ClockView
				if err := c.call(cmd.Context(), http.MethodGet, "/_ncm/v1/clock", nil, &v); err != nil {
					return err
				}
				printClock(c, v)
				return nil
			},
		}),
		withFlags(&cobra.Command{
			Use: "set TIME", Short: "Set the clock to TIME (RFC 3339, e.g. 2027-01-01T00:00:00Z, or a date)", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error { return moveClock(cmd, map[string]any{"set": args[0]}) },
		}),
		withFlags(&cobra.Command{
			Use: "advance DURATION", Short: "Move the clock forward, e.g. ncm admin clock advance 60d", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if _, err := emulator.ParseDuration(args[0]); err != nil {
					return usageError{err}
				}
				return moveClock(cmd, map[string]any{"advance": args[0]})
			},
		}),
		withFlags(&cobra.Command{
			Use: "freeze", Short: "Stop the clock at the time it shows", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return moveClock(cmd, map[string]any{"freeze": true}) },
		}),
		withFlags(&cobra.Command{
			Use: "unfreeze", Short: "Let a frozen clock run again from where it stands", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return moveClock(cmd, map[string]any{"freeze": false}) },
		}),
		withFlags(&cobra.Command{
			Use: "reset", Short: "Put the clock back on the real time", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return moveClock(cmd, map[string]any{"reset": true}) },
		}),
	)

	var spec emulator.FaultSpec
	faultAdd := withFlags(&cobra.Command{
		Use:   `add "METHOD /path"`,
		Short: "Make the next requests to an API route fail or slow down",
		Example: `  ncm admin fault add "GET /api/v2/certificate/getPaidCertificates" --count 3 --status 503
  ncm admin fault add "POST /api/v2/certificate/requestPaidCertificateIssuance" --return-code 26100 --message "busy"
  ncm admin fault add "*" --latency 2s --count 10`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			spec.Route = args[0]
			var v httpapi.FaultView
			if err := c.call(cmd.Context(), http.MethodPost, "/_ncm/v1/faults", spec, &v); err != nil {
				return err
			}
			if !c.json {
				fmt.Fprintf(c.out, "fault %d: the next %d requests to %s %s\n", v.ID, v.Remaining, v.Route, describeFault(v))
			}
			return nil
		},
	})
	ffs := faultAdd.Flags()
	ffs.IntVar(&spec.Count, "count", 1, "how many requests the fault answers")
	ffs.IntVar(&spec.Status, "status", 0, "HTTP status: 400, 401, 403, 404, 413, 429, 500, 503 or 504 answer the API gateway's envelope")
	ffs.StringVar(&spec.ReturnCode, "return-code", "", "Certificate Manager returnCode, answered with HTTP 200 (or the gateway errorCode with --status)")
	ffs.StringVar(&spec.Message, "message", "", "returnMessage or gateway message (default: NCP's)")
	ffs.StringVar(&spec.Latency, "latency", "", "wait this long before answering (e.g. 2s); alone it only slows requests down")

	fault := &cobra.Command{Use: "fault", Short: "Inject faults into the API of a server running with --emulator"}
	fault.AddCommand(faultAdd,
		withFlags(&cobra.Command{
			Use: "list", Short: "List the faults with requests left", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := f.client(cmd)
				if err != nil {
					return err
				}
				var v httpapi.FaultList
				if err := c.call(cmd.Context(), http.MethodGet, "/_ncm/v1/faults", nil, &v); err != nil {
					return err
				}
				if !c.json {
					if len(v.Faults) == 0 {
						fmt.Fprintln(c.out, "no faults")
					}
					for _, ft := range v.Faults {
						fmt.Fprintf(c.out, "%d\t%s\t%d left\t%s\n", ft.ID, ft.Route, ft.Remaining, describeFault(ft))
					}
				}
				return nil
			},
		}),
		withFlags(&cobra.Command{
			Use: "clear", Short: "Delete every fault", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := f.client(cmd)
				if err != nil {
					return err
				}
				var v struct {
					Cleared int `json:"cleared"`
				}
				if err := c.call(cmd.Context(), http.MethodDelete, "/_ncm/v1/faults", nil, &v); err != nil {
					return err
				}
				if !c.json {
					fmt.Fprintf(c.out, "%d faults cleared\n", v.Cleared)
				}
				return nil
			},
		}),
	)

	var yes bool
	reset := withFlags(&cobra.Command{
		Use:   "reset --yes",
		Short: "Empty a server running with --emulator (keeps the CA, the admin token and the main account with its keys)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !yes {
				return usageError{fmt.Errorf("reset deletes every certificate, order, organization, domain, event, job, fault and account but the main one; pass --yes")}
			}
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			var v httpapi.ResetView
			if err := c.call(cmd.Context(), http.MethodPost, "/_ncm/v1/reset", map[string]any{}, &v); err != nil {
				return err
			}
			if !c.json {
				fmt.Fprintf(c.out, "state reset; main account %s and its access keys kept, clock on the real time\n", v.KeptMemberNo)
			}
			return nil
		},
	})
	reset.Flags().BoolVar(&yes, "yes", false, "really delete everything")

	var domain string
	validation := &cobra.Command{
		Use:   "validation",
		Short: "Pass, fail or time out domain validation of an Ongoing certificate (server running with --emulator)",
	}
	for _, outcome := range []ncm.DCVOutcome{ncm.DCVPass, ncm.DCVFail, ncm.DCVTimeout} {
		sub := withFlags(&cobra.Command{
			Use:   string(outcome) + " CERTIFICATE-NO",
			Short: map[ncm.DCVOutcome]string{ncm.DCVPass: "Pass validation (the local CA issues once every domain passed)", ncm.DCVFail: "Fail validation (Validation failed)", ncm.DCVTimeout: "Time validation out (Validation timed out)"}[outcome],
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				no, err := positiveArg("CERTIFICATE-NO", args[0])
				if err != nil {
					return err
				}
				c, err := f.client(cmd)
				if err != nil {
					return err
				}
				var v httpapi.ValidationView
				body := map[string]any{"outcome": string(outcome), "domain": domain}
				if err := c.call(cmd.Context(), http.MethodPost, fmt.Sprintf("/_ncm/v1/certificates/%d/validation", no), body, &v); err != nil {
					return err
				}
				if !c.json {
					what := "every domain"
					if v.Domain != "" {
						what = v.Domain
					}
					fmt.Fprintf(c.out, "certificate %d: %s of %s; status %s (%s)\n", v.CertificateNo, v.Outcome, what, v.StatusName, v.StatusCode)
				}
				return nil
			},
		})
		sub.Flags().StringVar(&domain, "domain", "", "settle only this domain (default: every domain of the certificate)")
		validation.AddCommand(sub)
	}
	return []*cobra.Command{clock, fault, reset, validation}
}

// describeFault says in words what a fault answers.
func describeFault(v httpapi.FaultView) string {
	var parts []string
	if v.Latency != "" {
		parts = append(parts, "wait "+v.Latency)
	}
	switch {
	case v.Status == 0:
		parts = append(parts, "then pass")
	case v.Status == http.StatusOK || (v.Status == http.StatusBadRequest && v.ReturnCode != "100"):
		parts = append(parts, fmt.Sprintf("answer HTTP %d returnCode %s %q", v.Status, v.ReturnCode, v.Message))
	default:
		parts = append(parts, fmt.Sprintf("answer HTTP %d gateway error %s %q", v.Status, v.ReturnCode, v.Message))
	}
	return strings.Join(parts, ", ")
}
