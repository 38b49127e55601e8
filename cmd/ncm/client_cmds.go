package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/ncpsig"
	"github.com/spf13/cobra"
)

// newClient builds an API client the NCP way: credentials from
// NCLOUD_ACCESS_KEY_ID / NCLOUD_SECRET_ACCESS_KEY (or ~/.ncloud/configure),
// endpoint from NCM_ENDPOINT.
func newClient() (*client.Client, error) {
	cfg, err := client.FromEnvironment()
	if err != nil {
		return nil, err
	}
	return client.New(cfg)
}

func newPaidCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "paid", Short: "Advanced (paid DV/OV) certificates"}
	cmd.AddCommand(newPaidListCommand(), newPaidRequestCommand())
	return cmd
}

func newPaidListCommand() *cobra.Command {
	var (
		name           string
		page, pageSize int
		asJSON         bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List Advanced certificates grouped by order (getPaidCertificates)",
		Long: `List Advanced certificates grouped by order (GET /api/v2/certificate/getPaidCertificates).

Without --page every page is fetched. Exit code 3 means the list was printed
but some dates could not be read (each is reported on stderr).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var resp ncpapi.ListAdvancedCertificatesResponse
			if page > 0 {
				r, err := c.ListAdvancedCertificates(ctx, client.ListAdvancedOptions{Page: page, PageSize: pageSize, CertificateName: name})
				if err != nil {
					return err
				}
				resp = *r
			} else {
				resp.Result = ncpapi.Result{ReturnCode: ncpapi.SuccessCode, ReturnMessage: ncpapi.SuccessMessage}
				resp.Orders = []ncpapi.AdvancedOrder{}
				for o, err := range c.AllAdvancedCertificates(ctx, client.ListAdvancedOptions{PageSize: pageSize, CertificateName: name}) {
					if err != nil {
						return err
					}
					resp.Orders = append(resp.Orders, o)
				}
				resp.TotalCount = len(resp.Orders)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if err := enc.Encode(resp); err != nil {
					return err
				}
			} else {
				printAdvancedTable(out, resp.Orders)
			}
			return checkDates(cmd.ErrOrStderr(), c, resp.Orders)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&name, "name", "", "only certificates with exactly this certificateName")
	fs.IntVar(&page, "page", 0, "fetch only this page (1-based); default: all pages")
	fs.IntVar(&pageSize, "page-size", 0, "orders per page (default 100 when fetching all pages)")
	fs.BoolVar(&asJSON, "json", false, "print the API's JSON instead of a table")
	return cmd
}

func printAdvancedTable(w io.Writer, orders []ncpapi.AdvancedOrder) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tCERT NO\tNAME\tTYPE\tSTATUS\tCOMMON NAME\tSANS\tNOT AFTER")
	for _, o := range orders {
		for _, c := range o.Certificates {
			notAfter := "-"
			if c.NotAfter != nil {
				notAfter = *c.NotAfter
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s (%s)\t%s\t%s\t%s\n", o.OrderID, c.CertificateNo, c.CertificateName,
				c.CertificateType, c.StatusName, c.StatusCode, c.CommonName, c.DNSName, notAfter)
		}
	}
	tw.Flush()
}

// checkDates reports every date the client cannot read, without failing the
// listing (field case C39): the list is printed, the warnings go to stderr,
// and the exit code is 3.
func checkDates(stderr io.Writer, c *client.Client, orders []ncpapi.AdvancedOrder) error {
	problems := c.DateProblems(orders)
	for _, p := range problems {
		fmt.Fprintf(stderr, "ncm: warning: %v\n", p)
	}
	if len(problems) > 0 {
		return partialError{fmt.Errorf("%d date(s) could not be read; the rest of the list is complete", len(problems))}
	}
	return nil
}

func newPaidRequestCommand() *cobra.Command {
	var (
		req      ncpapi.AdvancedCertificateRequest
		csrFile  string
		typ      string
		orgNo    int64
		dnsNames []string
	)
	cmd := &cobra.Command{
		Use:   "request",
		Short: "Request an Advanced DV or OV certificate from a CSR (requestPaidCertificateIssuance)",
		Example: `  openssl req -new -newkey rsa:2048 -nodes -keyout web.key -out web.csr -subj /CN=www.example.com
  ncm paid request --csr web.csr --type OV --org 1001 --name web-cert --cn www.example.com --dns example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			csr, err := readInput(cmd.InOrStdin(), csrFile)
			if err != nil {
				return usageError{fmt.Errorf("--csr: %w", err)}
			}
			req.CSR = csr
			req.CertificateType = certificateTypeFlag(typ)
			req.OrganizationNo = ncpapi.FlexInt(orgNo)
			for _, d := range dnsNames {
				req.DNSName = append(req.DNSName, strings.Split(d, ",")...)
			}
			c, err := newClient()
			if err != nil {
				return err
			}
			pc, err := c.RequestAdvancedCertificate(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "certificateNo %d in order %s: %s (status %s)\n", pc.CertificateNo, pc.OrderID, pc.StatusName, pc.StatusCode)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&csrFile, "csr", "", "PEM CSR file (- for stdin)")
	fs.StringVar(&typ, "type", "DV", "DV, OV, or a type code (NCP_PAID_DV_01, NCP_PAID_OV_01)")
	fs.StringVar(&req.CertificateName, "name", "", "certificate name: 3-20 letters, digits and '-', starting with a letter")
	fs.StringVar(&req.CommonName, "cn", "", "common name (domain)")
	fs.StringSliceVar(&dnsNames, "dns", nil, "additional SAN domains (repeat or comma-separate)")
	fs.StringVar(&req.ValidationMethod, "validation", "D", "domain validation: D (one-time DNS TXT) or PD (persistent DNS TXT)")
	fs.Int64Var(&orgNo, "org", 0, "organization number (required for OV)")
	fs.StringVar(&req.SubscriptionPeriod, "period", "", "subscription period: 1Y, 2Y or 3Y")
	return cmd
}

func certificateTypeFlag(t string) string {
	switch strings.ToUpper(t) {
	case "DV":
		return "NCP_PAID_DV_01"
	case "OV":
		return "NCP_PAID_OV_01"
	}
	return t
}

func newKeyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Private keys of issued certificates"}
	cmd.AddCommand(&cobra.Command{
		Use:   "register CERTIFICATE-NO KEY-FILE",
		Short: "Attach the private key of a certificate issued from your CSR (registPrivateKey)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			no, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || no <= 0 {
				return usageError{fmt.Errorf("CERTIFICATE-NO must be a positive integer, got %q", args[0])}
			}
			key, err := readInput(cmd.InOrStdin(), args[1])
			if err != nil {
				return usageError{err}
			}
			c, err := newClient()
			if err != nil {
				return err
			}
			if err := c.RegisterPrivateKey(cmd.Context(), no, key); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "private key registered for certificate %d\n", no)
			return nil
		},
	})
	return cmd
}

func newSignCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "sign METHOD URI",
		Short: "Print the x-ncp-* signature headers for a request (for curl)",
		Long: `Print the three signature v2 headers for one request, signed with
NCLOUD_ACCESS_KEY_ID / NCLOUD_SECRET_ACCESS_KEY. URI is the path with its query
exactly as it will be sent (a full URL also works). The timestamp is valid for
5 minutes.

--format headers   x-ncp-...: value lines (default)
--format export    export NCP_TIMESTAMP=... NCP_ACCESS_KEY=... NCP_SIGNATURE=...
--format curl      a complete curl command against NCM_ENDPOINT`,
		Example: `  eval "$(ncm sign --format export GET /api/v2/certificate/getPaidCertificates)"
  curl "$NCM_ENDPOINT/api/v2/certificate/getPaidCertificates" \
    --header "x-ncp-apigw-timestamp: $NCP_TIMESTAMP" \
    --header "x-ncp-iam-access-key: $NCP_ACCESS_KEY" \
    --header "x-ncp-apigw-signature-v2: $NCP_SIGNATURE"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			method := strings.ToUpper(args[0])
			target, err := requestTarget(args[1])
			if err != nil {
				return usageError{err}
			}
			cfg, err := client.FromEnvironment()
			if err != nil {
				return err
			}
			ts := ncpsig.Timestamp(time.Now())
			sig := ncpsig.Sign(method, target, ts, cfg.AccessKey, cfg.SecretKey)
			out := cmd.OutOrStdout()
			switch format {
			case "headers":
				fmt.Fprintf(out, "%s: %s\n%s: %s\n%s: %s\n", ncpapi.HeaderTimestamp, ts, ncpapi.HeaderAccessKey, cfg.AccessKey, ncpapi.HeaderSignatureV2, sig)
			case "export":
				fmt.Fprintf(out, "export NCP_TIMESTAMP=%s\nexport NCP_ACCESS_KEY=%s\nexport NCP_SIGNATURE=%s\n", ts, cfg.AccessKey, sig)
			case "curl":
				fmt.Fprintf(out, "curl --location --request %s '%s%s' \\\n--header '%s: %s' \\\n--header '%s: %s' \\\n--header '%s: %s' \\\n--header 'Content-Type: application/json' \\\n--header 'accept: application/json'\n",
					method, strings.TrimSuffix(cfg.Endpoint, "/"), target, ncpapi.HeaderTimestamp, ts, ncpapi.HeaderAccessKey, cfg.AccessKey, ncpapi.HeaderSignatureV2, sig)
			default:
				return usageError{fmt.Errorf("--format must be headers, export or curl, got %q", format)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "headers", "output: headers, export or curl")
	return cmd
}

// requestTarget turns "/path?q" or a full URL into the request target that
// is signed: path plus query exactly as given.
func requestTarget(s string) (string, error) {
	if strings.HasPrefix(s, "/") {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("URI must be a path starting with / or a full URL, got %q", s)
	}
	return u.RequestURI(), nil
}

// readInput reads a file, or stdin for "-".
func readInput(stdin io.Reader, name string) (string, error) {
	if name == "" {
		return "", errors.New("a file name is required (- for stdin)")
	}
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
	} else {
		b, err = os.ReadFile(name)
	}
	return string(b), err
}
