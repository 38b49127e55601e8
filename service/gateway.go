package service

import (
	"context"
	"time"

	"github.com/ncmhq/ncm"
)

// RememberNonce records a signed request's nonce until expires and reports
// whether it was new. When prune is set it first forgets expired nonces, in
// the same transaction, so the table stays as small as the window.
func (s *Service) RememberNonce(ctx context.Context, nonce string, expires time.Time, prune bool) (fresh bool, err error) {
	err = s.cfg.Store.Write(ctx, func(tx ncm.Tx) error {
		if prune {
			if _, err := tx.PruneNonces(ctx, s.Now()); err != nil {
				return err
			}
		}
		fresh, err = tx.RememberNonce(ctx, nonce, expires)
		return err
	})
	return fresh, err
}
