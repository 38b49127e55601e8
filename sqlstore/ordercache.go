package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/ncmhq/ncm"
)

// orderCacheMax bounds the order IDs an orderCache holds, over all members
// (8 MiB). A member with more orders than that pages with OFFSET.
const orderCacheMax = 1 << 20

// orderCache keeps, per member, the sorted IDs of the orders the Advanced
// listing shows (advanced_order), tagged with advanced_member.version, which
// the triggers of migration 0004 change whenever an order joins or leaves
// the list. A page is then two slice look-ups instead of an OFFSET that
// steps over every earlier order: at 1,000,000 certificates in 200,000
// orders, skipping to a random page cost more than everything else the
// request did (docs/PERFORMANCE.md).
//
// The version is read in the request's own transaction, so a list is used
// only for the exact snapshot it was read from, on any node: a write by
// another process changes the version, and the next request reloads.
type orderCache struct {
	mu       sync.Mutex
	byMember map[string]*orderList
	held     int // IDs in byMember
}

type orderList struct {
	version int64
	ids     []int64
}

// get returns the member's order IDs at version, or nil.
func (c *orderCache) get(member string, version int64) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.byMember[member]; l != nil && l.version == version {
		return l.ids
	}
	return nil
}

// put stores the member's order IDs at version, evicting other members'
// lists to stay within orderCacheMax.
func (c *orderCache) put(member string, version int64, ids []int64) {
	if len(ids) > orderCacheMax {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byMember == nil {
		c.byMember = map[string]*orderList{}
	}
	if old := c.byMember[member]; old != nil {
		if old.version > version {
			return // a newer list is already here
		}
		c.held -= len(old.ids)
		delete(c.byMember, member)
	}
	for m, l := range c.byMember {
		if c.held+len(ids) <= orderCacheMax {
			break
		}
		c.held -= len(l.ids)
		delete(c.byMember, m)
	}
	c.byMember[member] = &orderList{version: version, ids: ids}
	c.held += len(ids)
}

// Without a name filter the listed orders are those of advanced_order, kept
// by triggers (migration 0004): counting reads one advanced_member row, and
// a page is cut from the member's cached order list.
const (
	advancedMemberCount = "SELECT orders, version FROM advanced_member WHERE member_no = ?"
	advancedOrderIDs    = "SELECT order_id FROM advanced_order WHERE member_no = ? ORDER BY order_id"
	advancedOrderPage   = advancedOrderIDs + " LIMIT ? OFFSET ?"
)

// advancedOrderPage returns the number of orders holding listed
// certificates of the member and the first and last order ID on the page
// (0, 0 past the last page).
func (t *tx) advancedOrderPage(ctx context.Context, memberNo string, pageNo, size int) (total int, first, last int64, err error) {
	row, err := t.cachedQueryRow(ctx, advancedMemberCount, memberNo)
	if err != nil {
		return 0, 0, 0, ncm.Internal(err)
	}
	var version int64
	err = row.Scan(&total, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, 0, nil // the member never had a listed certificate
	}
	if err != nil {
		return 0, 0, 0, ncm.Internal(err)
	}
	if total > orderCacheMax {
		first, last, err = t.advancedPageRange(ctx, advancedOrderPage, []any{memberNo}, pageNo, size)
		return total, first, last, err
	}
	ids := t.cache.orders.get(memberNo, version)
	if ids == nil {
		if ids, err = t.advancedOrderIDs(ctx, memberNo, total); err != nil {
			return 0, 0, 0, err
		}
		t.cache.orders.put(memberNo, version, ids)
	}
	offset := int64(pageNo-1) * int64(size)
	if offset >= int64(len(ids)) {
		return total, 0, 0, nil
	}
	end := min(offset+int64(size), int64(len(ids)))
	return total, ids[offset], ids[end-1], nil
}

// advancedOrderIDs reads the member's listed order IDs in order.
func (t *tx) advancedOrderIDs(ctx context.Context, memberNo string, total int) ([]int64, error) {
	rows, err := t.cachedQuery(ctx, advancedOrderIDs, memberNo)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	ids := make([]int64, 0, total)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, ncm.Internal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return ids, nil
}
