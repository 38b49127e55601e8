package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestListAdvancedPlan guards the partial index: SQLite uses
// certificate_advanced_idx only while ListAdvanced's WHERE clause repeats the
// index's terms, and an edit that breaks this turns paging into a scan of
// every certificate, which no result-based test would notice.
func TestListAdvancedPlan(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	page := advancedMatch + " AND c.order_id BETWEEN ? AND ?"
	for name, tc := range map[string]struct {
		query string
		want  string // the index range searched
	}{
		"count":     {advancedCountQuery(advancedMatch), "(member_no=?)"},
		"page":      {advancedPageQuery(advancedMatch), "(member_no=? AND order_id>?)"},
		"list":      {advancedListQuery(page), "(member_no=? AND order_id>? AND order_id<?)"},
		"listAll":   {advancedListQuery(advancedMatch), "(member_no=?)"},
		"listNamed": {advancedListQuery(page + " AND c.name = ?"), "sqlite_autoindex_certificate_1 (member_no=? AND name=?)"},
	} {
		query := tc.query
		t.Run(name, func(t *testing.T) {
			n := strings.Count(query, "?")
			args := make([]any, n)
			args[0] = "2000001"
			for i := 1; i < n; i++ {
				args[i] = 1
			}
			rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			got := strings.Join(plan, "\n")
			t.Log(got)
			if !strings.Contains(got, tc.want) {
				t.Errorf("plan does not search %s:\n%s", tc.want, got)
			}
			if strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("plan sorts instead of reading the index in order:\n%s", got)
			}
		})
	}
}
