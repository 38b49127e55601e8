package ncm

import (
	"context"
	"time"
)

// GatewayTx is the part of Tx for state the API gateway shares across nodes
// (replay nonces).
type GatewayTx interface {
	// RememberNonce records that nonce (a digest of a signed request) was
	// seen, to be forgotten after expires. It reports false, and stores
	// nothing, if the nonce is already remembered: a replay. Nodes sharing a
	// database share this memory.
	RememberNonce(ctx context.Context, nonce string, expires time.Time) (fresh bool, err error)
	// PruneNonces forgets every nonce that expired before now and returns
	// how many it forgot.
	PruneNonces(ctx context.Context, now time.Time) (int64, error)
}
