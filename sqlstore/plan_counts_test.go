package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestListAdvancedCountPlans guards the plans of the queries that serve
// getPaidCertificates since migration 0004: counting and paging read
// advanced_order and advanced_member by key, and a name-filtered listing
// finds its certificate through the unique name index. A change that turned
// any of them into a scan would pass every result-based test and only show
// as a slow server.
func TestListAdvancedCountPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, tc := range map[string]struct {
		query string
		want  string // the index range searched
	}{
		"count": {advancedMemberCount, "advanced_member USING PRIMARY KEY (member_no=?)"},
		"page":  {advancedOrderPage, "advanced_order USING PRIMARY KEY (member_no=?)"},
		"named": {advancedListNamed, "sqlite_autoindex_certificate_1 (member_no=? AND name=?)"},
		"range": {advancedListRange, "(member_no=? AND order_id>? AND order_id<?)"},
		"all":   {advancedListAll, "(member_no=?)"},
	} {
		t.Run(name, func(t *testing.T) {
			n := strings.Count(tc.query, "?")
			args := make([]any, n)
			args[0] = "2000001"
			for i := 1; i < n; i++ {
				args[i] = 1
			}
			rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tc.query, args...)
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
			if !strings.Contains(got, tc.want) {
				t.Errorf("plan does not search %s:\n%s", tc.want, got)
			}
			if strings.Contains(got, "TEMP B-TREE") || strings.Contains(got, "SCAN") {
				t.Errorf("plan scans or sorts instead of searching an index in order:\n%s", got)
			}
		})
	}
}
