package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ncmhq/ncm/sqlstore"
	"github.com/spf13/cobra"
)

// newDBCommand holds the commands that work on whole databases.
func newDBCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Whole-database operations (moving onto PostgreSQL)"}
	var from, to string
	copyCmd := &cobra.Command{
		Use:   "copy --from sqlite:PATH --to postgres://...",
		Short: "Copy a single-node installation (SQLite) into an empty PostgreSQL database",
		Long: `Copy every table of a SQLite database into an empty PostgreSQL database, in
one transaction on PostgreSQL: if the copy is interrupted, nothing of it stays.
The target must be a database no ncm has served yet; its schema is created
first. Row counts are verified per table before committing.

Stop the server on the SQLite database first. Secrets are sealed with the
master key and copied as they are: serve the PostgreSQL database with the
same master key file (--master-key-file), on every node.`,
		Example: `  ncm db copy --from sqlite:ncm-data/ncm.db --to 'postgres://ncm@db.internal/ncm'
  ncm serve --db 'postgres://ncm@db.internal/ncm' --master-key-file ncm-data/master.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDBCopy(cmd, from, to)
		},
	}
	copyCmd.Flags().StringVar(&from, "from", "", "source database: sqlite:PATH")
	copyCmd.Flags().StringVar(&to, "to", "", "target database: postgres://...")
	cmd.AddCommand(copyCmd)
	return cmd
}

func runDBCopy(cmd *cobra.Command, from, to string) error {
	path, ok := strings.CutPrefix(from, "sqlite:")
	if !ok || path == "" {
		return usageError{fmt.Errorf("--from must be sqlite:PATH, the database file of the installation to copy, got %q", from)}
	}
	if !strings.HasPrefix(to, "postgres://") && !strings.HasPrefix(to, "postgresql://") {
		return usageError{fmt.Errorf("--to must be a postgres://... DSN, got %q", redactedDSN(to))}
	}
	// Open would create a missing file; a typo must not copy an empty
	// database.
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("--from %s: %w", path, err)
	}
	ctx := cmd.Context()
	src, err := sqlstore.Open(ctx, from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := sqlstore.Open(ctx, to)
	if err != nil {
		return err
	}
	defer dst.Close()

	stderr := cmd.ErrOrStderr()
	bar := newProgressBar(stderr)
	tables, err := sqlstore.Copy(ctx, src, dst, bar.update)
	bar.finish()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: nothing was copied (the target was rolled back): %w", err)
		}
		return err
	}
	out := cmd.OutOrStdout()
	var total int64
	fmt.Fprintf(out, "%-24s %10s\n", "TABLE", "ROWS")
	for _, t := range tables {
		fmt.Fprintf(out, "%-24s %10d\n", t.Name, t.Rows)
		total += t.Rows
	}
	fmt.Fprintf(out, "copied %d rows in %d tables; every count verified on the target before committing.\n", total, len(tables))
	key := filepath.Join(filepath.Dir(path), "master.key")
	if _, err := os.Stat(key); err != nil {
		key = "<the master key file of the SQLite installation>"
	}
	fmt.Fprintf(out, "Secrets are sealed with the master key: serve PostgreSQL with the same key file, on every node:\n"+
		"  ncm serve --db '%s' --master-key-file %s\n", redactedDSN(to), key)
	return nil
}

// redactedDSN hides the password of a DSN for messages.
func redactedDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	userinfo, host, hasUser := strings.Cut(rest, "@")
	if !ok || !hasUser {
		return dsn
	}
	user, _, hasPass := strings.Cut(userinfo, ":")
	if !hasPass {
		return dsn
	}
	return scheme + "://" + user + ":***@" + host
}

// progressBar draws the copy's progress on stderr: a redrawn bar on a
// terminal, a line per table elsewhere (logs keep every line).
type progressBar struct {
	w        io.Writer
	terminal bool
	last     time.Time
	table    string
	drawn    bool
	p        sqlstore.CopyProgress
}

func newProgressBar(w io.Writer) *progressBar {
	b := &progressBar{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.terminal = true
		}
	}
	return b
}

func (b *progressBar) update(p sqlstore.CopyProgress) {
	if !b.terminal {
		if p.Table != b.table && b.table != "" {
			b.line(b.p)
		}
		b.table, b.p = p.Table, p
		return
	}
	b.p = p
	if time.Since(b.last) < 100*time.Millisecond && p.Done != p.Total {
		return
	}
	b.last = time.Now()
	fmt.Fprintf(b.w, "\r%s", b.render(p))
	b.drawn = true
}

// line prints one finished table (not on a terminal).
func (b *progressBar) line(p sqlstore.CopyProgress) {
	fmt.Fprintf(b.w, "%s\n", b.render(p))
}

func (b *progressBar) render(p sqlstore.CopyProgress) string {
	const width = 30
	filled := width
	pct := 100.0
	if p.Total > 0 {
		filled = int(int64(width) * p.Done / p.Total)
		pct = 100 * float64(p.Done) / float64(p.Total)
	}
	return fmt.Sprintf("copying [%s%s] %5.1f%% %d/%d rows  %-20s", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		pct, p.Done, p.Total, p.Table)
}

func (b *progressBar) finish() {
	switch {
	case b.terminal && b.drawn:
		fmt.Fprintln(b.w)
	case !b.terminal && b.table != "":
		b.line(b.p)
	}
}
