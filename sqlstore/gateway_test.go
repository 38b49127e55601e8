package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/internal/pgtest"
)

// TestNonceMemory: a nonce is fresh once, even when many connections (or
// nodes) remember it at the same moment, and pruning forgets only expired
// nonces. On SQLite always; on PostgreSQL too when NCM_TEST_POSTGRES_DSN is
// set.
func TestNonceMemory(t *testing.T) {
	dsns := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "ncm.db") },
	}
	if base := pgtest.BaseDSN(); base != "" {
		dsns["postgres"] = func(t *testing.T) string { return pgtest.Schema(t, base) }
	}
	for name, newDSN := range dsns {
		t.Run(name, func(t *testing.T) {
			dsn := newDSN(t)
			// Two stores on one database: two nodes.
			nodes := []ncm.Store{MustOpen(t, dsn), MustOpen(t, dsn)}
			ctx := context.Background()
			now := time.Now()
			var mu sync.Mutex
			fresh := map[string]int{}
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					nonce := fmt.Sprintf("n%d", i%4)
					err := nodes[i%2].Write(ctx, func(tx ncm.Tx) error {
						ok, err := tx.RememberNonce(ctx, nonce, now.Add(time.Minute))
						if ok {
							mu.Lock()
							fresh[nonce]++
							mu.Unlock()
						}
						return err
					})
					if err != nil {
						t.Errorf("RememberNonce(%s): %v", nonce, err)
					}
				}()
			}
			wg.Wait()
			for i := range 4 {
				if n := fresh[fmt.Sprintf("n%d", i)]; n != 1 {
					t.Errorf("nonce n%d was fresh %d times across nodes, want exactly once", i, n)
				}
			}
			MustWrite(t, nodes[0], func(tx ncm.Tx) error {
				if _, err := tx.RememberNonce(ctx, "old", now.Add(-time.Second)); err != nil {
					return err
				}
				n, err := tx.PruneNonces(ctx, now)
				if err != nil || n != 1 {
					t.Errorf("PruneNonces = %d, %v; want the 1 expired nonce", n, err)
				}
				return nil
			})
		})
	}
}
