package main

import (
	"crypto"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/pki"
	"github.com/spf13/cobra"
)

// newCertCommand holds the certificate commands of the client: list, show,
// import, chain, download, delete and types, over API 1.0 and 2.0.
func newCertCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "cert", Short: "Certificates: import, list, export, delete (API 1.0 and 2.0)"}
	cmd.AddCommand(newCertListCommand(), newCertShowCommand(), newCertImportCommand(), newCertChainCommand(),
		newCertDownloadCommand(), newCertDeleteCommand(), newCertTypesCommand())
	return cmd
}

func printCertJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newCertListCommand() *cobra.Command {
	var (
		name, instance string
		no             int64
		page, pageSize int
		cloud, asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List certificates (ListCertificates; --cloud: ListCloudCertificates; --instance/--no: API 1.0 getCertificateList)",
		Long: `List certificates of every type, by number.

By default this is ListCertificates (GET /api/v2/certificate/certificates), all
pages unless --page is given. --cloud lists only Cloud Basic and Global Edge
certificates (ListCloudCertificates). --instance and --no filter through API 1.0
(GET /api/v1/certificates), which has those filters and no paging.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			if instance != "" || no != 0 {
				if cloud || page != 0 {
					return usageError{errors.New("--instance and --no use API 1.0, which has no --cloud or --page")}
				}
				resp, err := c.V1ListCertificates(ctx, client.V1ListOptions{CertificateName: name, CertificateNo: no, InstanceNo: instance})
				if err != nil {
					return err
				}
				if asJSON {
					return printCertJSON(out, resp)
				}
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CERT NO\tNAME\tTYPE\tSTATUS\tCOMMON NAME\tVALID UNTIL\tUSED BY")
				for _, v := range resp.SSLCertificateList {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s (%s)\t%s\t%s\t%s\n", v.CertificateNo, v.CertificateName, v.CertificateType,
						v.StatusName, v.StatusCode, v.DomainAddress, certDate(v.ValidEndDate), certDash(v.UsedInstanceNoList))
				}
				return tw.Flush()
			}
			opts := client.ListOptions{Page: page, PageSize: pageSize, CertificateName: name}
			resp := &ncpapi.CertificateListResponse{Result: ncpapi.Result{ReturnCode: ncpapi.SuccessCode, ReturnMessage: ncpapi.SuccessMessage},
				SSLCertificateList: []ncpapi.AdvancedCertificate{}}
			switch {
			case page > 0 && cloud:
				resp, err = c.ListCloudCertificates(ctx, opts)
			case page > 0:
				resp, err = c.ListCertificates(ctx, opts)
			default:
				for cert, ierr := range c.AllCertificates(ctx, opts, cloud) {
					if ierr != nil {
						return ierr
					}
					resp.SSLCertificateList = append(resp.SSLCertificateList, cert)
				}
				resp.TotalCount = len(resp.SSLCertificateList)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printCertJSON(out, resp)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CERT NO\tNAME\tTYPE\tSTATUS\tCOMMON NAME\tNOT AFTER\tUSED BY")
			for _, v := range resp.SSLCertificateList {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s (%s)\t%s\t%s\t%s\n", v.CertificateNo, v.CertificateName, v.CertificateType,
					v.StatusName, v.StatusCode, v.CommonName, certDate(v.NotAfter), certDash(v.UsedInstanceNoList))
			}
			return tw.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&name, "name", "", "only the certificate with exactly this certificateName")
	fs.StringVar(&instance, "instance", "", "only certificates used by this instance number (API 1.0)")
	fs.Int64Var(&no, "no", 0, "only this certificate number (API 1.0)")
	fs.BoolVar(&cloud, "cloud", false, "only Cloud Basic and Global Edge certificates (ListCloudCertificates)")
	fs.IntVar(&page, "page", 0, "fetch only this page (1-based); default: all pages")
	fs.IntVar(&pageSize, "page-size", 0, "certificates per page (default 100 when fetching all pages)")
	fs.BoolVar(&asJSON, "json", false, "print the API's JSON instead of a table")
	return cmd
}

func certDate(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

func certDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newCertShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show CERTIFICATE-NO",
		Short: "Show every field of one certificate (API 1.0 getCertificateList with certificateNo)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			no, err := positiveArg("CERTIFICATE-NO", args[0])
			if err != nil {
				return err
			}
			c, err := newClient()
			if err != nil {
				return err
			}
			resp, err := c.V1ListCertificates(cmd.Context(), client.V1ListOptions{CertificateNo: no})
			if err != nil {
				return err
			}
			if len(resp.SSLCertificateList) == 0 {
				return fmt.Errorf("certificate %d: No certificate exists (not yours, deleted, or never created)", no)
			}
			v := resp.SSLCertificateList[0]
			if asJSON {
				return printCertJSON(cmd.OutOrStdout(), v)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, kv := range [][2]string{
				{"certificateNo", strconv.FormatInt(v.CertificateNo, 10)}, {"certificateName", v.CertificateName},
				{"certificateType", v.CertificateType}, {"status", v.StatusName + " (" + v.StatusCode + ")"},
				{"externalYn", v.ExternalYn}, {"commonName", v.DomainAddress}, {"dnsNames", v.SubDomainAddress},
				{"subject", v.DNInfo}, {"issuer", v.CAInfo}, {"serialNumber", v.CertSerialNumber},
				{"publicKey", v.CertPublicKeyInfo}, {"signatureAlgorithm", v.CertSignAlgorithmName},
				{"validFrom", certDate(v.ValidStartDate)}, {"validUntil", certDate(v.ValidEndDate)},
				{"registered", v.RegDate}, {"updated", v.UpdateDate}, {"usedByInstances", certDash(v.UsedInstanceNoList)},
			} {
				fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the item's JSON")
	return cmd
}

func newCertChainCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "chain CERTIFICATE-NO",
		Short: "Print a certificate and its chain as PEM, leaf first (GetCertificateChain)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			no, err := positiveArg("CERTIFICATE-NO", args[0])
			if err != nil {
				return err
			}
			c, err := newClient()
			if err != nil {
				return err
			}
			resp, err := c.GetCertificateChain(cmd.Context(), no)
			if err != nil {
				return err
			}
			_, err = io.WriteString(cmd.OutOrStdout(), resp.Certificate+resp.SubCACertificate+resp.RootCACertificate)
			return err
		},
	}
}

func newCertTypesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "types",
		Short: "List certificate types (ListCertificateTypes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			resp, err := c.ListCertificateTypes(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tNAME\tPLAN\tLEVEL\tDAYS\tCSR")
			for _, t := range resp.CertificateType {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", t.CertificateTypeCode, t.Name, t.PricingPlan, t.ValidationLevel, t.Validity, t.CSRRequired)
			}
			return tw.Flush()
		},
	}
}

func newCertDownloadCommand() *cobra.Command {
	var (
		typ, password, passwordFile, output string
		legacy                              bool
	)
	cmd := &cobra.Command{
		Use:   "download CERTIFICATE-NO",
		Short: "Download a certificate as a ZIP of PEM files, or of a PFX or JKS file (DownloadCertificate)",
		Long: `Download a certificate as a ZIP (POST /api/v2/certificate/exportCertificate/{no}).

--type PEM (default): certificate.pem, chain.pem, fullchain.pem and, when a
key is registered, private-key.pem. --type PFX: certificate.pfx, AES-256 with a
SHA-256 MAC (Modern2023), or 3DES with a SHA-1 MAC with --legacy for Windows
Server 2016 and old Java. --type JKS: keystore.jks. PFX and JKS need a password
(--password or --password-file).`,
		Example: `  ncm cert download 100001 -o web.zip
  ncm cert download 100001 --type PFX --password-file pw.txt --legacy -o web-pfx.zip`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			no, err := positiveArg("CERTIFICATE-NO", args[0])
			if err != nil {
				return err
			}
			if passwordFile != "" {
				b, err := os.ReadFile(passwordFile)
				if err != nil {
					return usageError{fmt.Errorf("--password-file: %w", err)}
				}
				password = strings.TrimRight(string(b), "\r\n")
			}
			req := ncpapi.DownloadCertificateRequest{CertificateNo: ncpapi.FlexInt(no), Type: strings.ToUpper(typ), Passwd: password}
			if legacy {
				req.PFXEncoding = pki.PFXLegacy
			}
			if output == "" {
				output = strconv.FormatInt(no, 10) + ".zip"
			}
			c, err := newClient()
			if err != nil {
				return err
			}
			d, err := c.DownloadCertificate(cmd.Context(), no, req)
			if err != nil {
				return err
			}
			if err := os.WriteFile(output, d.Zip, 0o600); err != nil {
				return err
			}
			what := d.Format
			if d.PFXEncoding != "" {
				what += " (" + d.PFXEncoding + ")"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "certificate %d written to %s as %s, %d bytes\n", no, output, what, len(d.Zip))
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&typ, "type", "PEM", "PEM, PFX or JKS")
	fs.StringVar(&password, "password", "", "password of the PFX or JKS file")
	fs.StringVar(&passwordFile, "password-file", "", "read the password from this file (first line)")
	fs.BoolVar(&legacy, "legacy", false, "PFX in the legacy 3DES/SHA-1 encoding (LegacyDES)")
	fs.StringVarP(&output, "output", "o", "", "ZIP file to write (default CERTIFICATE-NO.zip)")
	return cmd
}

func newCertDeleteCommand() *cobra.Command {
	var v1 bool
	cmd := &cobra.Command{
		Use:   "delete CERTIFICATE-NO CERTIFICATE-NAME",
		Short: "Delete a certificate; number and name must match (DeleteCertificate, --v1: deleteCertificate)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			no, err := positiveArg("CERTIFICATE-NO", args[0])
			if err != nil {
				return err
			}
			c, err := newClient()
			if err != nil {
				return err
			}
			if v1 {
				err = c.V1DeleteCertificate(cmd.Context(), no, args[1])
			} else {
				err = c.DeleteCertificate(cmd.Context(), no, args[1])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "certificate %d (%s) deleted\n", no, args[1])
			return nil
		},
	}
	cmd.Flags().BoolVar(&v1, "v1", false, "use API 1.0 (DELETE /api/v1/certificate/{no})")
	return cmd
}

// importItem is one certificate to import, assembled from one or more
// files.
type importItem struct {
	label               string // what the summary calls it: the certificate file
	files               []string
	name                string
	cert, key, chain    string
	problem             string // why it cannot be sent at all
	certificateNo       int64  // after success
	notes               []string
	refused, refusedWhy string
}

// File roles, by name ending (longest first, case-insensitive).
var importSuffixes = []struct{ suffix, role string }{
	{".chain.pem", "chain"}, {".chain.crt", "chain"}, {"-chain.pem", "chain"}, {".ca-bundle", "chain"}, {".chain", "chain"},
	{".key.pem", "key"}, {".key", "key"},
	{".crt.pem", "cert"}, {".cert.pem", "cert"}, {".pem", "cert"}, {".crt", "cert"}, {".cer", "cert"}, {".cert", "cert"},
}

func fileRole(path string) (stem, role string) {
	base := filepath.Base(path)
	lower := strings.ToLower(base)
	for _, s := range importSuffixes {
		if strings.HasSuffix(lower, s.suffix) && len(base) > len(s.suffix) {
			return filepath.Join(filepath.Dir(path), base[:len(base)-len(s.suffix)]), s.role
		}
	}
	return "", ""
}

// expandImportArgs turns the arguments (files, directories, globs) into
// file paths, sorted, without duplicates. Directories are read one level
// deep; files of unknown kind in them are skipped.
func expandImportArgs(args []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, a := range args {
		if strings.ContainsAny(a, "*?[") {
			matches, err := filepath.Glob(a)
			if err != nil {
				return nil, usageError{fmt.Errorf("bad pattern %q: %v", a, err)}
			}
			if len(matches) == 0 {
				return nil, usageError{fmt.Errorf("%q matches no file", a)}
			}
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
					add(m)
				}
			}
			continue
		}
		fi, err := os.Stat(a)
		if err != nil {
			return nil, usageError{err}
		}
		if !fi.IsDir() {
			add(a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			p := filepath.Join(a, e.Name())
			if _, role := fileRole(p); role != "" && e.Type().IsRegular() {
				add(p)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// groupImportFiles pairs files by stem: x.crt or x.pem with x.key and
// x.chain.pem. A certificate file may also hold the key and the chain
// itself (one PEM with everything); a certificate file holding several
// certificates (a fullchain) is split, the certificate matching the key
// being the leaf.
func groupImportFiles(files []string) []*importItem {
	type group struct{ cert, key, chain []string }
	groups := map[string]*group{}
	var stems []string
	var items []*importItem
	for _, f := range files {
		stem, role := fileRole(f)
		if role == "" {
			stem, role = f, "cert" // named on the command line: treat as a certificate file
		}
		g := groups[stem]
		if g == nil {
			g = &group{}
			groups[stem] = g
			stems = append(stems, stem)
		}
		switch role {
		case "cert":
			g.cert = append(g.cert, f)
		case "key":
			g.key = append(g.key, f)
		case "chain":
			g.chain = append(g.chain, f)
		}
	}
	for _, stem := range stems {
		g := groups[stem]
		it := &importItem{label: filepath.Base(stem), name: nameFromStem(filepath.Base(stem))}
		it.files = append(append(append(it.files, g.cert...), g.key...), g.chain...)
		switch {
		case len(g.cert) == 0:
			it.problem = "no certificate file (.crt, .pem, .cer) beside " + strings.Join(baseNames(it.files), ", ")
		case len(g.cert) > 1:
			it.problem = "several certificate files share this name: " + strings.Join(baseNames(g.cert), ", ")
		case len(g.key) > 1 || len(g.chain) > 1:
			it.problem = "several key or chain files share this name: " + strings.Join(baseNames(it.files), ", ")
		}
		if it.problem == "" {
			it.label = filepath.Base(g.cert[0])
			it.problem = it.load(g.cert[0], firstPath(g.key), firstPath(g.chain))
		}
		items = append(items, it)
	}
	return items
}

func firstPath(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

// load reads the files of an item and splits a combined certificate file.
// It returns a problem, or "".
func (it *importItem) load(certFile, keyFile, chainFile string) string {
	read := func(p string) (string, string) {
		if p == "" {
			return "", ""
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err.Error()
		}
		if len(b) > pki.MaxPEMBytes*3 {
			return "", fmt.Sprintf("%s is %d bytes, too large for a certificate file", filepath.Base(p), len(b))
		}
		return string(b), ""
	}
	var why string
	if it.cert, why = read(certFile); why != "" {
		return why
	}
	if it.key, why = read(keyFile); why != "" {
		return why
	}
	if it.chain, why = read(chainFile); why != "" {
		return why
	}
	blocks, err := pki.ReadBlocks(filepath.Base(certFile), it.cert)
	if err != nil {
		// Let the server judge it and give its code and message.
		return ""
	}
	var certs, keys []*pem.Block
	for _, b := range blocks {
		switch {
		case b.Type == "CERTIFICATE":
			certs = append(certs, b)
		case strings.HasSuffix(b.Type, "PRIVATE KEY") || b.Type == "EC PARAMETERS":
			keys = append(keys, b)
		}
	}
	if len(keys) > 0 && len(certs) == 0 {
		return filepath.Base(certFile) + " holds a private key but no certificate; name keys x.key beside x.crt or x.pem"
	}
	if len(keys) > 0 {
		if it.key != "" {
			return filepath.Base(certFile) + " holds a private key and " + filepath.Base(keyFile) + " is a key too; keep one"
		}
		it.key = encodeBlocks(keys)
	}
	if len(certs) > 1 && len(keys)+len(certs) == len(blocks) {
		if it.chain != "" {
			return filepath.Base(certFile) + " holds several certificates and " + filepath.Base(chainFile) + " is a chain too; keep one"
		}
		leaf := leafIndex(certs, it.key)
		it.cert = encodeBlocks(certs[leaf : leaf+1])
		it.chain = encodeBlocks(append(append([]*pem.Block{}, certs[:leaf]...), certs[leaf+1:]...))
	} else if len(keys) > 0 {
		it.cert = encodeBlocks(certs)
	}
	if it.key == "" {
		return "no private key: add " + strings.TrimSuffix(filepath.Base(certFile), filepath.Ext(certFile)) + ".key or put the key in the certificate file"
	}
	return ""
}

// leafIndex returns the index of the certificate whose public key is the
// key's, or 0 when none matches (the server then reports the mismatch).
func leafIndex(certs []*pem.Block, keyPEM string) int {
	key, err := pki.ParsePrivateKey("privateKey", keyPEM)
	if err != nil {
		return 0
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return 0
	}
	for i, b := range certs {
		c, err := pki.ParseCertificate("certificate", string(pem.EncodeToMemory(b)))
		if err == nil && pub.Equal(c.PublicKey) {
			return i
		}
	}
	return 0
}

func encodeBlocks(blocks []*pem.Block) string {
	var sb strings.Builder
	for _, b := range blocks {
		sb.Write(pem.EncodeToMemory(b))
	}
	return sb.String()
}

var nameJunk = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// nameFromStem derives a certificateName from a file name: invalid
// characters become '-', a leading non-letter gets a "c-" prefix, and the
// result is cut to 20 characters, NCP's maximum.
func nameFromStem(stem string) string {
	n := strings.Trim(nameJunk.ReplaceAllString(stem, "-"), "-")
	if n == "" || !(n[0] >= 'A' && n[0] <= 'Z' || n[0] >= 'a' && n[0] <= 'z') {
		n = "c-" + n
	}
	for len(n) < 3 {
		n += "-0"
	}
	if len(n) > 20 {
		n = strings.TrimRight(n[:20], "-")
	}
	return n
}

// importProgress draws a one-line importProgress bar on w, redrawn in place with \r.
type importProgress struct {
	w     io.Writer
	total int
	width int
}

func (p *importProgress) draw(done int, label string) {
	filled := 0
	if p.total > 0 {
		filled = done * p.width / p.total
	}
	if len(label) > 40 {
		label = "..." + label[len(label)-37:]
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %-40s", strings.Repeat("#", filled), strings.Repeat(".", p.width-filled), done, p.total, label)
}

func (p *importProgress) finish() { fmt.Fprintln(p.w) }

func newCertImportCommand() *cobra.Command {
	var (
		name  string
		renew int64
		v1    bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|DIRECTORY|GLOB...",
		Short: "Import certificates with their keys and chains (RegisterExternalCertificate; --v1: createExternalCertificate)",
		Long: `Import certificates issued elsewhere.

Files are paired by name: x.crt or x.pem (the certificate), x.key or x.key.pem
(the private key), x.chain.pem, x.chain.crt, x-chain.pem or x.ca-bundle (the
chain). One PEM file may also hold the certificate, its key and its chain; a
certificate file holding a full chain is split (the certificate matching the
key is the leaf). Arguments may be files, directories (read one level deep) or
glob patterns ('certs/*.pem').

Each certificate is named after its file (letters, digits and '-', at most 20
characters, starting with a letter) unless --name is given for a single one.
A importProgress bar is drawn on stderr; a summary on stdout lists every
certificate accepted (with its number) and every one refused with the reason.

Exit code: 0 when every certificate was accepted, 1 when any was refused
(the others are imported all the same), 2 for a usage error.`,
		Example: `  ncm cert import web.crt web.key web.chain.pem
  ncm cert import ./certs/
  ncm cert import 'certs/*.pem' 'certs/*.key'
  ncm cert import --renew 100001 --name web-cert new.crt new.key`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := expandImportArgs(args)
			if err != nil {
				return err
			}
			items := groupImportFiles(files)
			if len(items) == 0 {
				return usageError{errors.New("no certificate files found (.crt, .pem, .cer, with .key and .chain.pem)")}
			}
			if name != "" || renew != 0 {
				if len(items) != 1 {
					return usageError{fmt.Errorf("--name and --renew need exactly one certificate; the arguments hold %d", len(items))}
				}
				if name != "" {
					items[0].name = name
				}
			}
			if renew != 0 && v1 {
				return usageError{errors.New("--renew is API 2.0 only")}
			}
			c, err := newClient()
			if err != nil {
				return err
			}
			bar := &importProgress{w: cmd.ErrOrStderr(), total: len(items), width: 30}
			for i, it := range items {
				bar.draw(i, it.label)
				if it.problem != "" {
					it.refused, it.refusedWhy = "-", it.problem
					continue
				}
				if v1 {
					var v *ncpapi.V1Certificate
					v, it.notes, err = c.V1CreateExternalCertificate(cmd.Context(), ncpapi.CreateExternalCertificateRequest{
						CertificateName: it.name, PrivateKey: it.key, PublicKeyCertificate: it.cert, CertificateChain: it.chain})
					if err == nil {
						it.certificateNo = v.CertificateNo
					}
				} else {
					var v *ncpapi.AdvancedCertificate
					v, it.notes, err = c.RegisterExternalCertificate(cmd.Context(), ncpapi.RegisterExternalCertificateRequest{
						CertificateName: it.name, CertificateNo: ncpapi.FlexInt(renew), PrivateKey: it.key, CertificateBody: it.cert, CertificateChain: it.chain})
					if err == nil {
						it.certificateNo = v.CertificateNo
					}
				}
				if err != nil {
					it.refused, it.refusedWhy = refusal(err)
				}
			}
			bar.draw(len(items), "done")
			bar.finish()
			return printImportSummary(cmd.OutOrStdout(), items)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&name, "name", "", "certificate name (only when importing one certificate)")
	fs.Int64Var(&renew, "renew", 0, "renewal registration: replace the files of this certificate number, keeping the number")
	fs.BoolVar(&v1, "v1", false, "use API 1.0 (createExternalCertificate)")
	return cmd
}

// refusal splits an error into the result code and a one-line reason.
func refusal(err error) (code, why string) {
	var ae *client.APIError
	if errors.As(err, &ae) && ae.ReturnCode != "" {
		return ae.ReturnCode, ae.ReturnMessage
	}
	return "-", describe(err)
}

// errRefused makes the exit code 1 after a summary with refusals.
var errRefused = errors.New("some certificates were refused")

func printImportSummary(w io.Writer, items []*importItem) error {
	accepted, refused := 0, 0
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, it := range items {
		files := strings.Join(baseNames(it.files), ", ")
		if it.refused == "" {
			accepted++
			fmt.Fprintf(tw, "accepted\t%d\t%s\t%s\n", it.certificateNo, it.name, files)
			for _, n := range it.notes {
				fmt.Fprintf(tw, "\t\t\t  note: %s\n", n)
			}
			continue
		}
		refused++
		fmt.Fprintf(tw, "refused\t%s\t%s\t%s: %s\n", it.refused, it.name, files, it.refusedWhy)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d accepted, %d refused\n", accepted, refused)
	if refused > 0 {
		return fmt.Errorf("%d of %d certificates were refused (see the summary): %w", refused, len(items), errRefused)
	}
	return nil
}
