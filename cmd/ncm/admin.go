package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/service"
	"github.com/spf13/cobra"
)

// newAdminCommand holds the operator commands. They work directly on the
// data directory (or --db), so they run beside a live server: SQLite in WAL
// mode lets both at once.
func newAdminCommand() *cobra.Command {
	var o storeOptions
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operator commands on the local data directory",
	}
	o.register(cmd.PersistentFlags())
	open := func(cmd *cobra.Command) (*app, error) {
		if err := o.requireDatabase(); err != nil {
			return nil, err
		}
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		return openApp(cmd.Context(), o, service.Config{}, logger)
	}

	dcv := &cobra.Command{Use: "dcv", Short: "Domain validation"}
	dcv.AddCommand(newDCVCommands(open)...) // lifecycle_cmds.go: approve, fail, timeout

	var org service.NewOrganization
	var orgMember string
	orgCmd := &cobra.Command{Use: "org", Short: "Organizations (for OV certificates)"}
	orgCreate := &cobra.Command{
		Use:     "create",
		Short:   "Create a verified organization for OV certificates",
		Example: `  ncm admin org create --name-eng "Example Corporation" --country KR --state Seoul --locality Gangnam-gu`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			member, err := memberOrDefault(cmd, a, orgMember)
			if err != nil {
				return err
			}
			created, err := a.svc.CreateOrganization(cmd.Context(), member, org)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "organization %d created for member %s (use --org %d with ncm paid request --type OV)\n", created.No, member, created.No)
			return nil
		},
	}
	fs := orgCreate.Flags()
	fs.StringVar(&orgMember, "member", "", "member number (default: the owner of NCLOUD_ACCESS_KEY_ID)")
	fs.StringVar(&org.NameEng, "name-eng", "", "organization name in English (the certificate's O)")
	fs.StringVar(&org.NameKor, "name-kor", "", "organization name in Korean")
	fs.StringVar(&org.BusinessRegistrationNo, "business-registration-no", "", "business registration number")
	fs.StringVar(&org.Country, "country", "KR", "two-letter country code (C)")
	fs.StringVar(&org.State, "state", "", "state or province (ST)")
	fs.StringVar(&org.Locality, "locality", "", "city (L)")
	orgCmd.AddCommand(orgCreate)

	var memberName string
	memberCmd := &cobra.Command{Use: "member", Short: "Accounts"}
	memberCreate := &cobra.Command{
		Use:   "create",
		Short: "Create an account with a main-account access key (printed once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			creds, err := a.svc.CreateMember(cmd.Context(), memberName)
			if err != nil {
				return err
			}
			printCredentials(cmd.OutOrStdout(), creds)
			return nil
		},
	}
	memberCreate.Flags().StringVar(&memberName, "name", "member", "account name")
	memberCmd.AddCommand(memberCreate)

	var keyMember string
	var sub bool
	keyCmd := &cobra.Command{Use: "key", Short: "Access keys"}
	keyCreate := &cobra.Command{
		Use:   "create",
		Short: "Create an access key for a member (printed once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if keyMember == "" {
				return usageError{fmt.Errorf("--member is required")}
			}
			kind := ncm.KeyMain
			if sub {
				kind = ncm.KeySub
			}
			creds, err := a.svc.CreateAccessKey(cmd.Context(), keyMember, kind)
			if err != nil {
				return err
			}
			printCredentials(cmd.OutOrStdout(), creds)
			return nil
		},
	}
	keyCreate.Flags().StringVar(&keyMember, "member", "", "member number")
	keyCreate.Flags().BoolVar(&sub, "sub", false, "a sub-account key (NCP refuses these on API 2.0)")
	keyCmd.AddCommand(keyCreate)

	cmd.AddCommand(dcv, orgCmd, memberCmd, keyCmd)
	cmd.AddCommand(newAdminInstanceCommand(&o))   // cert_admin.go
	cmd.AddCommand(newControlCommands()...)       // admin_emulator.go: clock, fault, reset, validation over HTTP
	cmd.AddCommand(newRotateMasterKeyCommand(&o)) // rotate.go
	return cmd
}

func printCredentials(w io.Writer, c *service.Credentials) {
	fmt.Fprintf(w, "member %s, %s access key (the secret is shown only this once):\n\nexport NCLOUD_ACCESS_KEY_ID=%s\nexport NCLOUD_SECRET_ACCESS_KEY=%s\n",
		c.MemberNo, c.Kind, c.AccessKeyID, c.SecretKey)
}

// memberOrDefault returns the --member value, or the owner of the access key
// in NCLOUD_ACCESS_KEY_ID.
func memberOrDefault(cmd *cobra.Command, a *app, member string) (string, error) {
	if member != "" {
		return member, nil
	}
	id := os.Getenv("NCLOUD_ACCESS_KEY_ID")
	if id == "" {
		return "", usageError{fmt.Errorf("--member is required (or set NCLOUD_ACCESS_KEY_ID to use its owner)")}
	}
	p, _, err := a.svc.Authenticate(cmd.Context(), id)
	if err != nil {
		return "", fmt.Errorf("NCLOUD_ACCESS_KEY_ID %s is not a key of this data directory; pass --member", id)
	}
	return p.MemberNo, nil
}

func positiveArg(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, usageError{fmt.Errorf("%s must be a positive integer, got %q", name, v)}
	}
	return n, nil
}
