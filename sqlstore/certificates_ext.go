package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ncmhq/ncm"
)

// liveMatch selects the member's certificates that are not deleted. It
// repeats the WHERE clause of certificate_live_idx (migration 0002) word for
// word so that SQLite uses that partial index.
const liveMatch = `member_no = ? AND status <> -6`

// ListCertificates pages over the member's certificates that are not
// deleted and match f, by certificate number. Numbers are unique and only
// grow, so pages never overlap while nothing changes and a new certificate
// only ever appears on the last page (field case C44).
func (t *tx) ListCertificates(ctx context.Context, memberNo string, f ncm.CertificateFilter) (*ncm.CertificatePage, error) {
	if f.PageSize < 0 {
		return nil, ncm.Invalid("pageSize", "must be 0 (all) or more, got %d", f.PageSize)
	}
	cond := liveMatch
	args := []any{memberNo}
	if f.Name != "" {
		cond += " AND name = ?"
		args = append(args, f.Name)
	}
	if f.No != 0 {
		cond += " AND no = ?"
		args = append(args, f.No)
	}
	if f.InstanceNo != "" {
		// used_instance_nos is a JSON array of strings; the quotes make
		// "12" not match "123". Instance numbers are digits (checked by
		// the service), so they hold no LIKE wildcard.
		cond += " AND used_instance_nos LIKE ?"
		args = append(args, `%"`+f.InstanceNo+`"%`)
	}
	if len(f.Types) > 0 {
		cond += " AND type IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(f.Types)), ", ") + ")"
		for _, typ := range f.Types {
			args = append(args, string(typ))
		}
	}
	page := &ncm.CertificatePage{Certificates: []*ncm.Certificate{}}
	if err := t.queryRow(ctx, "SELECT COUNT(*) FROM certificate WHERE "+cond, args...).Scan(&page.Total); err != nil {
		return nil, ncm.Internal(err)
	}
	query := selectCertificate + " WHERE " + cond + " ORDER BY no"
	if f.PageSize > 0 {
		query += " LIMIT ? OFFSET ?"
		args = append(args, f.PageSize, int64(max(f.Page, 1)-1)*int64(f.PageSize))
	}
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		c := &ncm.Certificate{}
		if err := rows.Scan(certificateDest(c)...); err != nil {
			return nil, ncm.Internal(err)
		}
		page.Certificates = append(page.Certificates, c)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return page, nil
}

// CertificateByFingerprint returns the member's live certificate with this
// leaf fingerprint, the lowest number first should there be several (there
// cannot be through the API, which refuses duplicates).
//
// Inside a Write it first queues behind every other intake (the counters
// lock, which creating a certificate takes too), so a duplicate check and
// the write after it cannot interleave with another upload of the same
// certificate on another node, whether that is a new import or a renewal
// registration.
func (t *tx) CertificateByFingerprint(ctx context.Context, memberNo, fingerprint string) (*ncm.Certificate, error) {
	if t.write {
		if err := t.lockCounters(ctx); err != nil {
			return nil, err
		}
	}
	c := &ncm.Certificate{}
	err := t.queryRow(ctx, selectCertificate+" WHERE "+liveMatch+" AND fingerprint = ? ORDER BY no LIMIT 1",
		memberNo, fingerprint).Scan(certificateDest(c)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &ncm.Error{Kind: ncm.ENOTFOUND, Code: ncm.CodeNoCertificate, Field: "fingerprint",
			Message: "No certificate exists with fingerprint " + fingerprint + "."}
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return c, nil
}

// deletedName is the name a deleted certificate's row takes. ':' is never
// part of a valid certificateName, and the number is unique, so it frees the
// real name without ever clashing.
func deletedName(no int64) string { return "deleted:" + strconv.FormatInt(no, 10) }

// DeleteCertificate soft-deletes: status -6, deleted_at, the old name kept in
// deleted_name, the name column freed and the sealed private key wiped (a
// deleted certificate can never be downloaded again, so its key has no
// reason to stay at rest).
func (t *tx) DeleteCertificate(ctx context.Context, memberNo string, no int64, at time.Time) error {
	res, err := t.exec(ctx, `UPDATE certificate SET status = -6, deleted_at = ?, deleted_name = name, name = ?,
		private_key_sealed = NULL, update_date = ? WHERE no = ? AND `+liveMatch,
		timeArg(at), deletedName(no), timeArg(at), no, memberNo)
	if err != nil {
		return ncm.Internal(err)
	}
	return mustAffect(res, noCertificate(no))
}
