// Command ncm is the ncm server, its operator tools and a client of the NCP
// Certificate Manager API, in one binary:
//
//	ncm serve                 run the server (embedded SQLite in ./ncm-data)
//	ncm paid list|request     Advanced certificates, through the API
//	ncm key register          attach a private key to an issued certificate
//	ncm cert ...               import, list, export and delete certificates
//	ncm order|reissue|revoke|renewal|dcv|changes  the Advanced certificate lifecycle
//	ncm basic|edge|domain|org|eab                 other API 2.0 operations
//	ncm sign METHOD URI       print signature v2 headers for curl
//	ncm admin ...             operator commands on the local data directory
//
// Every flag can also be set as NCM_<FLAG> in the environment (--data-dir is
// NCM_DATA_DIR).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // --display-timezone works on machines without zoneinfo

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1 // the operation failed (API error, bad input)
	exitUsage   = 2 // the command line was wrong
	exitPartial = 3 // a list was printed but some items had problems
)

// usageError marks command-line mistakes (exit code 2).
type usageError struct{ error }

// Main runs the ncm command line with the given arguments and streams and
// returns the process exit code. Tests call it with buffers.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var pe partialError
	if errors.As(err, &pe) {
		fmt.Fprintln(stderr, "ncm: warning:", err)
		return exitPartial
	}
	fmt.Fprintln(stderr, "ncm:", describe(err))
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown ") || strings.Contains(err.Error(), "flag") {
		return exitUsage
	}
	return exitError
}

// partialError reports a list that was printed with per-item problems.
type partialError struct{ error }

// describe turns an error into one line for a person, with a hint where the
// usual mistakes apply.
func describe(err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Error()
	}
	if e := (*ncm.Error)(nil); errors.As(err, &e) && e.Kind != ncm.EINTERNAL {
		return e.Message
	}
	return err.Error()
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "ncm",
		Short:         "NCP Certificate Manager: server, operator tools and client",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd.Flags())
		},
	}
	root.AddCommand(
		newServeCommand(),
		newPaidCommand(),
		newKeyCommand(),
		newSignCommand(),
		newAdminCommand(),
		newCertCommand(), // cert.go
		newDBCommand(),
		newBenchCommand(),
	)
	root.AddCommand(newLifecycleCommands()...) // lifecycle_cmds.go: order, reissue, revoke, renewal, dcv, changes, basic, edge, domain, org, eab
	requireSubcommands(root)
	return root
}

// requireSubcommands makes every command group (a command with
// subcommands and nothing to run itself) a usage error when called bare or
// with an unknown subcommand, so `ncm paid lst` exits 2 instead of printing
// help and succeeding.
func requireSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		requireSubcommands(sub)
	}
	if !cmd.HasSubCommands() || cmd.Run != nil || cmd.RunE != nil {
		return
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Errorf("unknown command %q for %q (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())}
		}
		return usageError{fmt.Errorf("%s needs a subcommand (see %s --help)", cmd.CommandPath(), cmd.CommandPath())}
	}
}

// bindEnv sets every flag not given on the command line from NCM_<NAME>.
func bindEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		name := "NCM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = usageError{fmt.Errorf("%s=%q: %v", name, v, serr)}
			}
		}
	})
	return err
}
