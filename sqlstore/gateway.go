package sqlstore

import (
	"context"
	"time"

	"github.com/ncmhq/ncm"
)

// RememberNonce implements ncm.GatewayTx. ON CONFLICT DO NOTHING (both
// dialects) leaves the transaction usable on a replay, which a failed
// INSERT would not on PostgreSQL.
func (t *tx) RememberNonce(ctx context.Context, nonce string, expires time.Time) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO gateway_nonce (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING`,
		nonce, expires.UTC().UnixMicro())
	if err != nil {
		return false, ncm.Internal(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, ncm.Internal(err)
	}
	return n == 1, nil
}

// PruneNonces implements ncm.GatewayTx.
func (t *tx) PruneNonces(ctx context.Context, now time.Time) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM gateway_nonce WHERE expires_at < ?`, now.UTC().UnixMicro())
	if err != nil {
		return 0, ncm.Internal(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, ncm.Internal(err)
	}
	return n, nil
}
