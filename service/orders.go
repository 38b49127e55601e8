package service

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/ncmhq/ncm"
)

// OrderView is an order with its certificates (ListOrders, GetOrder).
type OrderView struct {
	Order        *ncm.Order
	Certificates []*ncm.Certificate
}

// ListOrders returns one page of the member's orders with their
// certificates; pageSize 0 is every order. The total counts all orders.
func (s *Service) ListOrders(ctx context.Context, p *Principal, page, pageSize int) ([]OrderView, int, error) {
	if page < 0 {
		return nil, 0, ncm.Invalid("page", "must be a positive integer")
	}
	if pageSize < 0 {
		return nil, 0, ncm.Invalid("pageSize", "must be 0 (all) or a positive integer")
	}
	var out []OrderView
	total := 0
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) error {
		res, err := tx.ListOrders(ctx, p.MemberNo, page, pageSize)
		if err != nil {
			return err
		}
		total = res.Total
		out = make([]OrderView, 0, len(res.Orders))
		for _, o := range res.Orders {
			certs, err := tx.OrderCertificates(ctx, p.MemberNo, o.ID)
			if err != nil {
				return err
			}
			out = append(out, OrderView{Order: o, Certificates: certs})
		}
		return nil
	})
	return out, total, err
}

// GetOrder returns one order of the member with its certificates.
// CodeNoOrder if the member has no such order.
func (s *Service) GetOrder(ctx context.Context, p *Principal, orderID string) (*OrderView, error) {
	id, err := parseOrderID(orderID)
	if err != nil {
		return nil, err
	}
	var v OrderView
	err = s.cfg.Store.Read(ctx, func(tx ncm.Tx) error {
		if v.Order, err = tx.Order(ctx, p.MemberNo, id); err != nil {
			return err
		}
		v.Certificates, err = tx.OrderCertificates(ctx, p.MemberNo, id)
		return err
	})
	return &v, err
}

// ChangeWindow is the window of ListRecentCertChanges: exactly one of
// Minutes, Seconds, or Start and End together.
type ChangeWindow struct {
	Minutes, Seconds int
	Start, End       *time.Time
}

// Change is one certificate whose status changed in the window, with the
// status of its last change there.
type Change struct {
	OrderID       int64
	CertificateNo int64
	Status        ncm.Status
}

// statusEvents are the event kinds that change a certificate's status;
// recentChanges lists only those.
var statusEvents = map[string]bool{
	ncm.EventRequested: true, ncm.EventIssued: true, ncm.EventKeyRegistered: true,
	ncm.EventValidationFailed: true, ncm.EventValidationTimedOut: true, ncm.EventExpired: true,
	ncm.EventRevoked: true, ncm.EventReissueRequested: true, ncm.EventRenewalRequested: true,
}

// RecentChanges lists the member's certificates whose status changed in the
// window, in the order of their last change (ListRecentCertChanges).
// Minutes and seconds together answer nothing, as NCP does; no window at
// all is CodeNoWindow (2101).
func (s *Service) RecentChanges(ctx context.Context, p *Principal, w ChangeWindow) ([]Change, error) {
	now := s.Now()
	var from, to time.Time
	switch {
	case w.Minutes != 0 && w.Seconds != 0:
		return []Change{}, nil
	case w.Minutes != 0:
		if w.Minutes < 1 || w.Minutes > 10080 {
			return nil, ncm.Invalid("minutes", "must be 1-10080 (7 days), got %d", w.Minutes)
		}
		from, to = now.Add(-time.Duration(w.Minutes)*time.Minute), now
	case w.Seconds != 0:
		if w.Seconds < 1 || w.Seconds > 604800 {
			return nil, ncm.Invalid("seconds", "must be 1-604800 (7 days), got %d", w.Seconds)
		}
		from, to = now.Add(-time.Duration(w.Seconds)*time.Second), now
	case w.Start != nil && w.End != nil:
		if w.End.Before(*w.Start) {
			return nil, ncm.Invalid("endDateTime", "must not be before startDateTime")
		}
		// The window includes its start: events are taken after from.
		from, to = w.Start.Add(-time.Microsecond), *w.End
	case w.Start != nil || w.End != nil:
		return nil, ncm.Invalid("startDateTime", "startDateTime and endDateTime must be given together")
	default:
		return nil, ncm.Errorf(ncm.EINVALID, ncm.CodeNoWindow,
			"give one of minutes (1-10080), seconds (1-604800), or startDateTime with endDateTime")
	}
	var events []*ncm.Event
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) (err error) {
		events, err = tx.RecentEvents(ctx, p.MemberNo, from, to)
		return err
	})
	if err != nil {
		return nil, err
	}
	// One item per certificate, with the status of its last change, in
	// the order of those last changes.
	type item struct {
		c  Change
		id int64
	}
	latest := map[int64]item{}
	for _, e := range events {
		if e.CertificateNo != 0 && statusEvents[e.Kind] {
			latest[e.CertificateNo] = item{Change{OrderID: e.OrderID, CertificateNo: e.CertificateNo, Status: e.Status}, e.ID}
		}
	}
	items := slices.SortedFunc(maps.Values(latest), func(a, b item) int { return cmp.Compare(a.id, b.id) })
	out := make([]Change, 0, len(items))
	for _, it := range items {
		out = append(out, it.c)
	}
	return out, nil
}

// DCVStatuses returns the validation records of the member's certificate,
// only those of domain when it is set (ListDcvStatuses).
func (s *Service) DCVStatuses(ctx context.Context, p *Principal, no int64, domain string) ([]*ncm.DCV, error) {
	if domain != "" {
		d, err := normalizeDomain("domainAddress", domain)
		if err != nil {
			return nil, err
		}
		domain = d
	}
	var out []*ncm.DCV
	err := s.cfg.Store.Read(ctx, func(tx ncm.Tx) error {
		if _, err := tx.Certificate(ctx, p.MemberNo, no); err != nil {
			return err
		}
		all, err := tx.DCVs(ctx, no)
		for _, d := range all {
			if domain == "" || d.Domain == domain || d.Domain == "*."+domain {
				out = append(out, d)
			}
		}
		return err
	})
	return out, err
}
