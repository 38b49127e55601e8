package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/spf13/cobra"
)

// newLifecycleCommands returns the client commands of the Advanced
// certificate lifecycle: orders, reissue, revoke, renewal, domain
// validation, recent changes, Cloud Basic and Global Edge requests,
// domains, organizations and EAB credentials.
func newLifecycleCommands() []*cobra.Command {
	return []*cobra.Command{
		newOrderCommand(), newReissueCommand(), newRevokeCommand(), newRenewalCommand(),
		newDCVStatusCommand(), newChangesCommand(), newBasicCommand(), newEdgeCommand(),
		newDomainCommand(), newOrgCommand(), newEabCommand(),
	}
}

// printAPIJSON prints an API answer as indented JSON.
func printAPIJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// clientRun wraps a command body that needs an API client.
func clientRun(fn func(cmd *cobra.Command, args []string, c *client.Client) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := newClient()
		if err != nil {
			return err
		}
		return fn(cmd, args, c)
	}
}

func intArg(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, usageError{fmt.Errorf("%s must be a non-negative integer, got %q", name, v)}
	}
	return n, nil
}

func newOrderCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "order", Short: "Advanced certificate orders: subscription and certificates"}
	var page, size int
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List orders with their subscription (ListOrders)",
		Args:  cobra.NoArgs,
		RunE: clientRun(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			resp, err := c.ListOrders(cmd.Context(), page, size)
			if err != nil {
				return err
			}
			if asJSON {
				return printAPIJSON(cmd.OutOrStdout(), resp)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ORDER\tYEARS\tSTART\tEND\tREMAINING DAYS\tEXTENDABLE\tCERTIFICATES")
			for _, o := range resp.Orders {
				var nos []string
				for _, c := range o.Certificates {
					nos = append(nos, fmt.Sprintf("%d(%s)", c.CertificateNo, c.StatusName))
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\n", o.OrderID, o.SubscriptionYears, orDash(o.SubscriptionStartDt),
					orDash(o.SubscriptionEndDt), derefInt(o.RemainingDays), o.ExtendableYears, strings.Join(nos, " "))
			}
			return tw.Flush()
		}),
	}
	list.Flags().IntVar(&page, "page", 0, "page (1-based); default: all")
	list.Flags().IntVar(&size, "page-size", 0, "orders per page (0: all)")
	list.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")

	get := &cobra.Command{
		Use:   "get ORDER-ID",
		Short: "Show one order and its certificates as JSON (GetOrder)",
		Args:  cobra.ExactArgs(1),
		RunE: clientRun(func(cmd *cobra.Command, args []string, c *client.Client) error {
			resp, err := c.GetOrder(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printAPIJSON(cmd.OutOrStdout(), resp)
		}),
	}
	extend := &cobra.Command{
		Use:   "extend ORDER-ID 1Y|2Y|3Y",
		Short: "Extend an order's subscription (SubscriptionExtend)",
		Args:  cobra.ExactArgs(2),
		RunE: clientRun(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := c.SubscriptionExtend(cmd.Context(), args[0], strings.ToUpper(args[1])); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "order %s extended by %s\n", args[0], strings.ToUpper(args[1]))
			return nil
		}),
	}
	cmd.AddCommand(list, get, extend)
	return cmd
}

func orDash(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func derefInt(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}

func newReissueCommand() *cobra.Command {
	var req ncpapi.ReissueRequest
	var csrFile string
	var dns []string
	cmd := &cobra.Command{
		Use:     "reissue CERTIFICATE-NO",
		Short:   "Reissue an issued Advanced certificate with a new CSR (ReissueCertificate)",
		Example: `  ncm reissue 100001 --csr new.csr --name web-cert-2 --cn www.example.com --dns example.com`,
		Args:    cobra.ExactArgs(1),
		RunE: clientRun(func(cmd *cobra.Command, args []string, c *client.Client) error {
			no, err := positiveArg("CERTIFICATE-NO", args[0])
			if err != nil {
				return err
			}
			if req.CSR, err = readInput(cmd.InOrStdin(), csrFile); err != nil {
				return usageError{fmt.Errorf("--csr: %w", err)}
			}
			for _, d := range dns {
				req.DNSName = append(req.DNSName, strings.Split(d, ",")...)
			}
			pc, err := c.ReissueCertificate(cmd.Context(), no, req)
			if err != nil {
				return err
			}
			if pc == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "reissue of certificate %d requested\n", no)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "certificateNo %d in order %s: %s (status %s)\n", pc.CertificateNo, pc.OrderID, pc.StatusName, pc.StatusCode)
			return nil
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&csrFile, "csr", "", "PEM CSR file (- for stdin)")
	fs.StringVar(&req.CertificateName, "name", "", "name of the new certificate")
	fs.StringVar(&req.CommonName, "cn", "", "common name (domain)")
	fs.StringSliceVar(&dns, "dns", nil, "additional SAN domains (repeat or comma-separate)")
	fs.StringVar(&req.ValidationMethod, "validation", "D", "domain validation: D (one-time DNS TXT) or PD (persistent)")
	return cmd
}

func newRevokeCommand() *cobra.Command {
	var typ string
	cmd := &cobra.Command{
		Use:   "revoke ORDER-ID [CERTIFICATE-NO]",
		Short: "Revoke one certificate of an order, or (without CERTIFICATE-NO) all of them (RevokeCertificate)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: clientRun(func(cmd *cobra.Command, args []string, c *client.Client) error {
			var no int64
			if len(args) == 2 {
				var err error
				if no, err = intArg("CERTIFICATE-NO", args[1]); err != nil {
					return err
				}
			}
			n, err := c.RevokeCertificate(cmd.Context(), args[0], no, typ)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d certificate(s) of order %s revoked\n", n, args[0])
			return nil
		}),
	}
	cmd.Flags().StringVar(&typ, "type", "unspecified", "revokeType: affiliationChanged, superseded, cessationOfOperation or unspecified")
	return cmd
}

func newRenewalCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "renewal CERTIFICATE-NO on|off",
		Short: "Turn automatic renewal of a certificate on or off (SetRenewalStatus)",
		Args:  cobra.ExactArgs(2),
		RunE: clientRun(func(cmd *cobra.Command, args []string, c *client.Client) error {
			no, err := positiveArg("CERTIFICATE-NO", args[0])
			if err != nil {
				return err
			}
			var on bool
			switch strings.ToLower(args[1]) {
			case "on", "y":
				on = true
			case "off", "n":
			default:
				return usageError{fmt.Errorf("second argument must be on or off, got %q", args[1])}
			}
			if err := c.SetRenewalStatus(cmd.Context(), no, on); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "renewal of certificate %d: %s\n", no, map[bool]string{true: "on", false: "off"}[on])
			return nil
		}),
	}
}

func newDCVStatusCommand() *cobra.Command {
	var domain string
	var asJSON bool
	cmd := &cobra.Command{Use: "dcv", Short: "Domain validation of a certificate request"}
	status := &cobra.Command{
		Use:   "status CERTIFICATE-NO",
		Short: "Show the TXT records to publish and how validation stands (ListDcvStatuses)",
		Args:  cobra.ExactArgs(1),
		RunE: clientRun(func(cmd *cobra.Command, args []string, c *client.Client) error {
			no, err := positiveArg("CERTIFICATE-NO", args[0])
			if err != nil {
				return err
			}
			resp, err := c.ListDcvStatuses(cmd.Context(), no, domain)
			if err != nil {
				return err
			}
			if asJSON {
				return printAPIJSON(cmd.OutOrStdout(), resp)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DOMAIN\tSTATUS\tTXT NAME\tTXT VALUE\tDEADLINE")
			for _, d := range resp.DNSVerificationList {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.DomainAddress, d.ValidStatusCode, d.TxtName, d.TxtValue, d.ExpireDate)
			}
			return tw.Flush()
		}),
	}
	status.Flags().StringVar(&domain, "domain", "", "only this domain (domainAddress)")
	status.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	cmd.AddCommand(status)
	return cmd
}

func newChangesCommand() *cobra.Command {
	var w client.ChangeWindow
	var from, to string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "changes",
		Short: "List certificates whose status changed recently (ListRecentCertChanges)",
		Example: `  ncm changes --minutes 60
  ncm changes --from "2026-03-01 00:00:00" --to "2026-03-02 00:00:00"   # display zone`,
		Args: cobra.NoArgs,
		RunE: clientRun(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			for _, f := range []struct {
				v   string
				dst *time.Time
			}{{from, &w.Start}, {to, &w.End}} {
				if f.v != "" {
					t, err := c.ParseDate(f.v)
					if err != nil {
						return usageError{err}
					}
					*f.dst = t
				}
			}
			resp, err := c.ListRecentCertChanges(cmd.Context(), w)
			if err != nil {
				return err
			}
			if asJSON {
				return printAPIJSON(cmd.OutOrStdout(), resp)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ORDER\tCERT NO\tSTATUS")
			for _, o := range resp.Orders {
				fmt.Fprintf(tw, "%s\t%d\t%s\n", o.OrderID, o.CertificateID, o.Status)
			}
			return tw.Flush()
		}),
	}
	fs := cmd.Flags()
	fs.IntVar(&w.Minutes, "minutes", 0, "changes in the last N minutes (1-10080)")
	fs.IntVar(&w.Seconds, "seconds", 0, "changes in the last N seconds (1-604800)")
	fs.StringVar(&from, "from", "", "window start (with --to)")
	fs.StringVar(&to, "to", "", "window end (with --from)")
	fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	return cmd
}

func newBasicCommand() *cobra.Command {
	var req ncpapi.CloudBasicRequest
	var dns []string
	cmd := &cobra.Command{Use: "basic", Short: "Cloud Basic (free DV) certificates"}
	request := &cobra.Command{
		Use:   "request",
		Short: "Request a Cloud Basic certificate; ncm generates and keeps its key (CloudBasicCertificateRequest)",
		Args:  cobra.NoArgs,
		RunE: clientRun(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			for _, d := range dns {
				req.DNSName = append(req.DNSName, strings.Split(d, ",")...)
			}
			resp, err := c.RequestCloudBasicCertificate(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "certificateNo %d (requestSn %s): %s (status %s)\n", resp.CertificateNo, resp.RequestSn, resp.StatusName, resp.StatusCode)
			return nil
		}),
	}
	request.Flags().StringVar(&req.CertificateName, "name", "", "certificate name")
	request.Flags().StringVar(&req.CommonName, "cn", "", "common name (domain)")
	request.Flags().StringSliceVar(&dns, "dns", nil, "additional SAN domains")
	request.Flags().StringVar(&req.ValidationMethod, "validation", "D", "domain validation method (D)")
	cmd.AddCommand(request)
	return cmd
}

func newEdgeCommand() *cobra.Command {
	var req ncpapi.GlobalEdgeRequest
	var dns []string
	cmd := &cobra.Command{Use: "edge", Short: "Global Edge dedicated certificates"}
	request := &cobra.Command{
		Use:   "request",
		Short: "Request a Global Edge certificate (GlobalEdgeCertificateRequest)",
		Args:  cobra.NoArgs,
		RunE: clientRun(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			for _, d := range dns {
				req.DNSName = append(req.DNSName, strings.Split(d, ",")...)
			}
			gc, err := c.RequestGlobalEdgeCertificate(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "certificateNo %d: %s (status %d)\n", gc.CertificateNo, gc.StatusName, gc.StatusCode)
			return nil
		}),
	}
	request.Flags().StringVar(&req.CertificateName, "name", "", "certificate name")
	request.Flags().StringVar(&req.CommonName, "cn", "", "common name (domain)")
	request.Flags().StringSliceVar(&dns, "dns", nil, "additional SAN domains")
	cmd.AddCommand(request)
	return cmd
}

func newDomainCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "domain", Short: "Pre-validated domains (PTXT, TXT)"}
	var f client.DomainFilter
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List registered domains (ListDomainValidations)",
		Args:  cobra.NoArgs,
		RunE: clientRun(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			resp, err := c.ListDomainValidations(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return printAPIJSON(cmd.OutOrStdout(), resp)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DMN ID\tDOMAIN\tTYPE\tSTATE\tTXT NAME\tTXT VALUE\tEXPIRES")
			for _, d := range resp.DomainVldList {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", d.DmnID, d.DomainAddress, d.DcvType, d.ValidState, d.TxtName, d.TxtValue, orDash(d.ExpireDate))
			}
			return tw.Flush()
		}),
	}
	lf := list.Flags()
	lf.IntVar(&f.Page, "page", 0, "page (default 1)")
	lf.IntVar(&f.PageSize, "page-size", 0, "domains per page (default 10)")
	lf.StringVar(&f.DomainAddress, "domain", "", "only this domain")
	lf.StringVar(&f.DcvType, "type", "", "PTXT or TXT")
	lf.StringVar(&f.ValidState, "state", "", "PENDING, VALID or INVALID")
	lf.BoolVar(&asJSON, "json", false, "print the API's JSON")

	var reg ncpapi.RegisterDomainRequest
	var orgNo int64
	register := &cobra.Command{
		Use:   "register DOMAIN",
		Short: "Register a domain for pre-validation and print its TXT record (RegisterDomain)",
		Args:  cobra.ExactArgs(1),
		RunE: clientRun(func(cmd *cobra.Command, args []string, c *client.Client) error {
			reg.DmnAddr, reg.OrgNo = args[0], ncpapi.FlexInt(orgNo)
			d, err := c.RegisterDomain(cmd.Context(), reg)
			if err != nil {
				return err
			}
			if d == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "domain %s registered\n", args[0])
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "domain %s registered as dmnId %d (%s); publish: %s TXT %q\n", d.DomainAddress, d.DmnID, d.ValidState, d.TxtName, d.TxtValue)
			return nil
		}),
	}
	register.Flags().StringVar(&reg.DcvType, "type", "PTXT", "PTXT (persistent) or TXT (per issuance)")
	register.Flags().StringVar(&reg.IssueType, "issue-type", "CONSOLE", "CONSOLE or ACME")
	register.Flags().Int64Var(&orgNo, "org", 0, "bind the domain to this organization")

	del := &cobra.Command{
		Use:   "delete DMN-ID",
		Short: "Delete a registered domain (DeleteDomain)",
		Args:  cobra.ExactArgs(1),
		RunE: clientRun(func(cmd *cobra.Command, args []string, c *client.Client) error {
			id, err := positiveArg("DMN-ID", args[0])
			if err != nil {
				return err
			}
			if err := c.DeleteDomain(cmd.Context(), id); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "domain %d deleted\n", id)
			return nil
		}),
	}
	cmd.AddCommand(list, register, del)
	return cmd
}

func newOrgCommand() *cobra.Command {
	var f ncpapi.ListOrganizationsRequest
	cmd := &cobra.Command{Use: "org", Short: "Organizations (for OV certificates)"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List organizations as JSON (ListOrganizations)",
		Args:  cobra.NoArgs,
		RunE: clientRun(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			resp, err := c.ListOrganizations(cmd.Context(), f)
			if err != nil {
				return err
			}
			return printAPIJSON(cmd.OutOrStdout(), resp)
		}),
	}
	list.Flags().StringVar(&f.OrganizationNameEng, "name-eng", "", "only this English name")
	list.Flags().StringVar(&f.OrganizationNameKor, "name-kor", "", "only this Korean name")
	list.Flags().StringVar(&f.BusinessRegistrationNo, "business-registration-no", "", "only this registration number")
	cmd.AddCommand(list)
	return cmd
}

func newEabCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "eab", Short: "ACME External Account Binding credentials"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List EAB credentials as JSON, HMAC keys masked (ListEabCredentials)",
		Args:  cobra.NoArgs,
		RunE: clientRun(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			resp, err := c.ListEabCredentials(cmd.Context())
			if err != nil {
				return err
			}
			return printAPIJSON(cmd.OutOrStdout(), resp)
		}),
	}
	var req ncpapi.CreateEabRequest
	var days, org int64
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an EAB credential; its HMAC key is shown only this once (CreateEabCredential)",
		Args:  cobra.NoArgs,
		RunE: clientRun(func(cmd *cobra.Command, _ []string, c *client.Client) error {
			req.ValidityDays, req.OrganizationNo = ncpapi.FlexInt(days), ncpapi.FlexInt(org)
			resp, err := c.CreateEabCredential(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "account %d (%s)\neabKid: %s\neabHmacKey: %s\n", resp.AccountID, resp.Status, resp.EabKid, resp.EabHmacKey)
			return nil
		}),
	}
	cf := create.Flags()
	cf.StringVar(&req.Alias, "alias", "", "account alias")
	cf.StringVar(&req.ValidationMode, "mode", "PRE", "validationMode: PRE or DNS01")
	cf.StringVar(&req.CertificateTypeCode, "type", "NPD_01", "certificateTypeCode: NPD_01 (DV) or NPO_01 (OV)")
	cf.Int64Var(&days, "validity-days", 90, "validity of certificates issued through the account")
	cf.Int64Var(&org, "org", 0, "organization number (required for NPO_01)")
	deactivate := &cobra.Command{
		Use:   "deactivate ACCOUNT-ID",
		Short: "Deactivate an EAB credential (DeactivateEabCredential)",
		Args:  cobra.ExactArgs(1),
		RunE: clientRun(func(cmd *cobra.Command, args []string, c *client.Client) error {
			id, err := positiveArg("ACCOUNT-ID", args[0])
			if err != nil {
				return err
			}
			if err := c.DeactivateEabCredential(cmd.Context(), id); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "account %d deactivated\n", id)
			return nil
		}),
	}
	cmd.AddCommand(list, create, deactivate)
	return cmd
}

// newDCVCommands are `ncm admin dcv approve|fail|timeout`: settle domain
// validation directly on the data directory (no --emulator needed).
func newDCVCommands(open func(*cobra.Command) (*app, error)) []*cobra.Command {
	var cmds []*cobra.Command
	for _, oc := range []struct {
		use     string
		outcome ncm.DCVOutcome
		short   string
	}{
		{"approve", ncm.DCVPass, "Pass domain validation of an Ongoing certificate; the local CA issues it once every domain passed"},
		{"fail", ncm.DCVFail, "Fail domain validation of an Ongoing certificate (Validation failed)"},
		{"timeout", ncm.DCVTimeout, "Time domain validation of an Ongoing certificate out (Validation timed out)"},
	} {
		var domain string
		cmd := &cobra.Command{
			Use:   oc.use + " CERTIFICATE-NO",
			Short: oc.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				no, err := positiveArg("CERTIFICATE-NO", args[0])
				if err != nil {
					return err
				}
				a, err := open(cmd)
				if err != nil {
					return err
				}
				defer a.Close()
				if err := a.svc.SetValidation(cmd.Context(), no, domain, oc.outcome); err != nil {
					return err
				}
				var c *ncm.Certificate
				if err := a.store.Read(cmd.Context(), func(tx ncm.Tx) (err error) {
					c, err = tx.CertificateByNo(cmd.Context(), no)
					return err
				}); err != nil {
					return err
				}
				if c.NotAfter != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "certificate %d issued: serial %s, valid until %s; status %s (%s)\n",
						c.No, c.SerialNumber, c.NotAfter.Format("2006-01-02 15:04:05 MST"), c.Status.Name(), c.Status.Code())
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "certificate %d: status %s (%s)\n", c.No, c.Status.Name(), c.Status.Code())
				return nil
			},
		}
		cmd.Flags().StringVar(&domain, "domain", "", "settle only this domain (default: every domain of the certificate)")
		cmds = append(cmds, cmd)
	}
	return cmds
}
