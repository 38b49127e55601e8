package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/httpapi"
	"github.com/ncmhq/ncm/ncpsig"
	"github.com/ncmhq/ncm/service"
	"github.com/spf13/cobra"
)

// serveOptions are the flags of `ncm serve`.
type serveOptions struct {
	storeOptions
	Addr              string
	Demo              bool
	AutoValidate      bool
	StrictSignature   bool
	LegacyFieldNames  bool
	AllowSubAccountV2 bool
	LogFormat         string
	ShutdownTimeout   time.Duration
	// Abuse and slow-client limits (httpapi/abuse.go, docs/RELIABILITY.md).
	RateLimit         float64
	RateBurst         int
	RejectReplays     bool
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	MaxHeaderBytes    int
	// The control plane (--emulator, --admin-token): admin_emulator.go.
	emulatorOptions
	// Domain validation, the job worker, renewal: lifecycle_serve.go.
	lifecycleOptions

	// clock replaces the system clock (tests; later the emulator).
	clock ncm.Clock
}

func newServeCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Certificate Manager API server",
		Long: `Run the Certificate Manager API server.

With no flags it listens on 127.0.0.1:8080 and keeps everything in ./ncm-data:
a SQLite database, a master key (0600) that seals secrets at rest, and the
local CA. On an empty database it creates a main account and an access key
and prints them once, with the export lines for the client.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr(), nil)
		},
	}
	o.storeOptions.register(cmd.Flags())
	fs := cmd.Flags()
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.BoolVar(&o.Demo, "demo", false, "fill an empty database with sample orders and certificates issued by the local CA")
	fs.BoolVar(&o.AutoValidate, "auto-validate", false, "pass domain validation at once, so requests are issued without `ncm admin dcv approve`")
	fs.BoolVar(&o.StrictSignature, "strict-signature", false, "accept only signatures over the path with its query (not the bare path NCP's Go SDK signs)")
	fs.BoolVar(&o.LegacyFieldNames, "legacy-field-names", false, "also emit orderID and certificateTypeCode beside orderId and certificateType")
	fs.BoolVar(&o.AllowSubAccountV2, "allow-sub-account-v2", false, "let sub-account keys call API 2.0 (NCP answers them 403)")
	fs.StringVar(&o.LogFormat, "log-format", "text", "log format on stderr: text or json")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "how long SIGTERM waits for requests in flight")
	fs.Float64Var(&o.RateLimit, "rate-limit", 50, "requests per second allowed per access key, answered 429 beyond (0: no limit)")
	fs.IntVar(&o.RateBurst, "rate-burst", 100, "requests an access key may send at once before --rate-limit applies")
	fs.BoolVar(&o.RejectReplays, "reject-replays", false, "refuse a signed request seen before within the 5-minute window (NCP accepts replays; the memory is in the database, shared by nodes)")
	fs.DurationVar(&o.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "how long a client may take to send the request headers")
	fs.DurationVar(&o.ReadTimeout, "read-timeout", 30*time.Second, "how long a client may take to send the whole request")
	fs.DurationVar(&o.WriteTimeout, "write-timeout", 60*time.Second, "how long writing an answer may take")
	fs.IntVar(&o.MaxHeaderBytes, "max-header-bytes", 64<<10, "largest accepted request header block, in bytes (431 beyond)")
	o.emulatorOptions.register(fs)
	o.lifecycleOptions.register(fs)
	return cmd
}

// runServe runs the server until ctx ends. When ready is not nil it
// receives the listening address (tests use :0).
func runServe(ctx context.Context, o serveOptions, stdout, stderr io.Writer, ready chan<- string) error {
	logger, err := newLogger(o.LogFormat, stderr)
	if err != nil {
		return err
	}
	o.storeOptions.clockMode = o.emulatorOptions.clockMode() // the emulated clock with --emulator
	lifecycle, err := o.lifecycleOptions.config()
	if err != nil {
		return err
	}
	a, err := openApp(ctx, o.storeOptions, service.Config{AutoValidate: o.AutoValidate, Clock: o.clock, Lifecycle: lifecycle}, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	stopWorker := startWorker(ctx, o.lifecycleOptions, a.svc) // lifecycle_serve.go
	defer stopWorker()                                        // before a.Close: the worker uses the store

	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another ncm running? use --addr)", o.Addr, err)
	}
	endpoint := "http://" + ln.Addr().String()

	creds, err := a.svc.Bootstrap(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	if creds != nil {
		fmt.Fprintf(stdout, `ncm: created main account %s and its access key. The secret is shown only this once:

export NCLOUD_ACCESS_KEY_ID=%s
export NCLOUD_SECRET_ACCESS_KEY=%s
export NCM_ENDPOINT=%s

`, creds.MemberNo, creds.AccessKeyID, creds.SecretKey, endpoint)
		if o.Demo {
			if err := a.svc.Demo(ctx, creds.MemberNo); err != nil {
				ln.Close()
				return fmt.Errorf("demo data: %w", err)
			}
			fmt.Fprintln(stdout, "ncm: demo orders and certificates created (try: ncm paid list)")
		}
	} else if o.Demo {
		logger.Info("--demo ignored: the database is not empty")
	}
	emu, err := startEmulator(ctx, o, a, endpoint, stdout) // admin_emulator.go: nil without --emulator
	if err != nil {
		ln.Close()
		return err
	}

	srv := &http.Server{
		Handler: (&httpapi.Server{
			Service:           a.svc,
			Logger:            logger,
			Clock:             a.clock,
			Verifier:          ncpsig.Verifier{Strict: o.StrictSignature},
			DisplayZone:       a.zone,
			LegacyFieldNames:  o.LegacyFieldNames,
			AllowSubAccountV2: o.AllowSubAccountV2,
			RateLimit:         o.RateLimit,
			RateBurst:         o.RateBurst,
			RejectReplays:     o.RejectReplays,
			Emulator:          emu,
		}).Handler(),
		ReadHeaderTimeout: orDefault(o.ReadHeaderTimeout, 10*time.Second),
		ReadTimeout:       orDefault(o.ReadTimeout, 30*time.Second),
		WriteTimeout:      orDefault(o.WriteTimeout, 60*time.Second),
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    int(orDefault(time.Duration(o.MaxHeaderBytes), 64<<10)),
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("ncm listening", "endpoint", endpoint, "data", o.DataDir)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight", "timeout", o.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format must be text or json, got %q", format)}
}

// orDefault is v, or def when v is unset: tests build serveOptions by hand
// and leave the limits at zero, which would mean "no limit" to net/http.
func orDefault(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}
