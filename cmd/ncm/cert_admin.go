package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/ncmhq/ncm/service"
	"github.com/spf13/cobra"
)

// newAdminInstanceCommand emulates NCP's linked services (load balancers,
// CDN+, Global Edge): attaching an instance to a certificate puts it in the
// certificate's usedInstanceNoList, the v1 instanceNo filter finds it, and
// deleting the certificate is refused with 1004 until it is detached. It
// works on the data directory (or --db) like the other admin commands.
func newAdminInstanceCommand(o *storeOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "instance", Short: "Mark certificates as used by load balancer or CDN instances"}
	run := func(attach bool) func(cmd *cobra.Command, args []string) error {
		return func(cmd *cobra.Command, args []string) error {
			no, err := positiveArg("CERTIFICATE-NO", args[0])
			if err != nil {
				return err
			}
			if _, err := positiveArg("INSTANCE-NO", args[1]); err != nil {
				return err
			}
			if err := o.requireDatabase(); err != nil {
				return err
			}
			a, err := openApp(cmd.Context(), *o, service.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				return err
			}
			defer a.Close()
			verb := "attached to"
			change := a.svc.AttachInstance
			if !attach {
				verb, change = "detached from", a.svc.DetachInstance
			}
			c, err := change(cmd.Context(), no, args[1])
			if err != nil {
				return err
			}
			used := strings.Join(c.UsedInstanceNos, ",")
			if used == "" {
				used = "none"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "instance %s %s certificate %d (%s); used by: %s\n", args[1], verb, c.No, c.Name, used)
			return nil
		}
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "attach CERTIFICATE-NO INSTANCE-NO",
		Short: "Mark a certificate as used by an instance (deleting it is then refused with 1004)",
		Args:  cobra.ExactArgs(2),
		RunE:  run(true),
	}, &cobra.Command{
		Use:   "detach CERTIFICATE-NO INSTANCE-NO",
		Short: "Undo attach",
		Args:  cobra.ExactArgs(2),
		RunE:  run(false),
	})
	return cmd
}
