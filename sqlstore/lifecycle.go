package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/ncmhq/ncm"
)

// This file implements ncm.LifecycleTx: orders as a list, domain
// validation records, domains, EAB accounts, recent events and the job
// queue.

// OrderByID finds an order of any member. For background work only.
func (t *tx) OrderByID(ctx context.Context, id int64) (*ncm.Order, error) {
	o := &ncm.Order{}
	err := t.queryRow(ctx, selectOrder+" WHERE id = ?", id).Scan(orderDest(o)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noOrder(id)
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return o, nil
}

// ListOrders pages over the member's orders by ID; PageSize 0 is all.
func (t *tx) ListOrders(ctx context.Context, memberNo string, page, pageSize int) (*ncm.OrderPage, error) {
	if pageSize < 0 || page < 0 {
		return nil, ncm.Invalid("pageSize", "must be 0 (all) or more")
	}
	out := &ncm.OrderPage{Orders: []*ncm.Order{}}
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM cert_order WHERE member_no = ?`, memberNo).Scan(&out.Total); err != nil {
		return nil, ncm.Internal(err)
	}
	q := selectOrder + " WHERE member_no = ? ORDER BY id"
	args := []any{memberNo}
	if pageSize > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, pageSize, int64(max(page, 1)-1)*int64(pageSize))
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		o := &ncm.Order{}
		if err := rows.Scan(orderDest(o)...); err != nil {
			return nil, ncm.Internal(err)
		}
		out.Orders = append(out.Orders, o)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return out, nil
}

// OrderCertificates returns the member's certificates of one order that are
// not deleted, by number.
func (t *tx) OrderCertificates(ctx context.Context, memberNo string, orderID int64) ([]*ncm.Certificate, error) {
	rows, err := t.query(ctx, selectCertificate+" WHERE member_no = ? AND order_id = ? AND status <> -6 ORDER BY no", memberNo, orderID)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	var list []*ncm.Certificate
	for rows.Next() {
		c := &ncm.Certificate{}
		if err := rows.Scan(certificateDest(c)...); err != nil {
			return nil, ncm.Internal(err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return list, nil
}

const dcvColumns = `id, member_no, certificate_no, domain, method, record_name, record_value, status, reused,
	attempts, last_check, deadline, created_at, updated_at`

func dcvDest(d *ncm.DCV) []any {
	return []any{&d.ID, &d.MemberNo, &d.CertificateNo, &d.Domain, &d.Method, &d.RecordName, &d.RecordValue,
		(*string)(&d.Status), &d.Reused, &d.Attempts, timePtrScan{&d.LastCheck}, timeScan{&d.Deadline},
		timeScan{&d.CreatedAt}, timeScan{&d.UpdatedAt}}
}

// CreateDCV stores d, assigning d.ID from the dcv sequence.
func (t *tx) CreateDCV(ctx context.Context, d *ncm.DCV) error {
	id, err := t.next(ctx, "dcv")
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO dcv (`+dcvColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, d.MemberNo, d.CertificateNo, d.Domain, d.Method, d.RecordName, d.RecordValue, string(d.Status), d.Reused,
		d.Attempts, timePtrArg(d.LastCheck), timeArg(d.Deadline), timeArg(d.CreatedAt), timeArg(d.UpdatedAt))
	if err != nil {
		return ncm.Internal(err)
	}
	d.ID = id
	return nil
}

// DCVs returns the validation records of a certificate by ID.
func (t *tx) DCVs(ctx context.Context, certificateNo int64) ([]*ncm.DCV, error) {
	rows, err := t.query(ctx, `SELECT `+dcvColumns+` FROM dcv WHERE certificate_no = ? ORDER BY id`, certificateNo)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	var list []*ncm.DCV
	for rows.Next() {
		d := &ncm.DCV{}
		if err := rows.Scan(dcvDest(d)...); err != nil {
			return nil, ncm.Internal(err)
		}
		list = append(list, d)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return list, nil
}

// UpdateDCV saves the status, record value and check counters of d.
func (t *tx) UpdateDCV(ctx context.Context, d *ncm.DCV) error {
	res, err := t.exec(ctx, `UPDATE dcv SET record_value = ?, status = ?, reused = ?, attempts = ?, last_check = ?,
		deadline = ?, updated_at = ? WHERE id = ? AND member_no = ?`,
		d.RecordValue, string(d.Status), d.Reused, d.Attempts, timePtrArg(d.LastCheck), timeArg(d.Deadline),
		timeArg(d.UpdatedAt), d.ID, d.MemberNo)
	if err != nil {
		return ncm.Internal(err)
	}
	return mustAffect(res, ncm.Errorf(ncm.ENOTFOUND, ncm.CodeNothingFound, "No domain validation %d exists.", d.ID))
}

const domainColumns = `id, member_no, address, dcv_type, issue_type, organization_no, record_name, record_value,
	valid_state, validated_at, expires_at, created_at, updated_at`

func domainDest(d *ncm.Domain) []any {
	return []any{&d.ID, &d.MemberNo, &d.Address, &d.DCVType, &d.IssueType, refScan{&d.OrganizationNo},
		&d.RecordName, &d.RecordValue, &d.ValidState, timePtrScan{&d.ValidatedAt}, timePtrScan{&d.ExpiresAt},
		timeScan{&d.CreatedAt}, timeScan{&d.UpdatedAt}}
}

func noDomain(id int64) error {
	return &ncm.Error{Kind: ncm.ENOTFOUND, Code: ncm.CodeNothingFound, Field: "dmnId",
		Message: "No domain exists with dmnId " + strconv.FormatInt(id, 10) + "."}
}

// CreateDomain stores d, assigning d.ID from the domain sequence.
// ECONFLICT (CodeDomainTaken) for a second domain of the same address and
// dcvType.
func (t *tx) CreateDomain(ctx context.Context, d *ncm.Domain) error {
	id, err := t.next(ctx, "domain")
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO domain (`+domainColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, d.MemberNo, d.Address, d.DCVType, d.IssueType, refArg(d.OrganizationNo), d.RecordName, d.RecordValue,
		d.ValidState, timePtrArg(d.ValidatedAt), timePtrArg(d.ExpiresAt), timeArg(d.CreatedAt), timeArg(d.UpdatedAt))
	if err != nil {
		if t.d.isUniqueViolation(err) {
			return &ncm.Error{Kind: ncm.ECONFLICT, Code: ncm.CodeDomainTaken, Field: "dmnAddr",
				Message: "dmnAddr: " + d.Address + " is registered already with dcvType " + d.DCVType + "."}
		}
		return ncm.Internal(err)
	}
	d.ID = id
	return nil
}

// Domain returns ENOTFOUND (CodeNothingFound) if the member has no such
// domain.
func (t *tx) Domain(ctx context.Context, memberNo string, id int64) (*ncm.Domain, error) {
	d := &ncm.Domain{}
	err := t.queryRow(ctx, `SELECT `+domainColumns+` FROM domain WHERE id = ? AND member_no = ?`, id, memberNo).Scan(domainDest(d)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noDomain(id)
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return d, nil
}

// DomainByID finds a domain of any member.
func (t *tx) DomainByID(ctx context.Context, id int64) (*ncm.Domain, error) {
	d := &ncm.Domain{}
	err := t.queryRow(ctx, `SELECT `+domainColumns+` FROM domain WHERE id = ?`, id).Scan(domainDest(d)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noDomain(id)
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return d, nil
}

// DomainByAddress returns the member's domain of that address and dcvType.
func (t *tx) DomainByAddress(ctx context.Context, memberNo, address, dcvType string) (*ncm.Domain, error) {
	d := &ncm.Domain{}
	err := t.queryRow(ctx, `SELECT `+domainColumns+` FROM domain WHERE member_no = ? AND address = ? AND dcv_type = ?`,
		memberNo, address, dcvType).Scan(domainDest(d)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ncm.Errorf(ncm.ENOTFOUND, ncm.CodeNothingFound, "No domain %s with dcvType %s exists.", address, dcvType)
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return d, nil
}

// ListDomains pages over the member's domains matching f, by ID, and
// returns the page with the number of matching domains.
func (t *tx) ListDomains(ctx context.Context, memberNo string, f ncm.DomainFilter) ([]*ncm.Domain, int, error) {
	cond := " WHERE member_no = ?"
	args := []any{memberNo}
	add := func(c string, v any) { cond += " AND " + c; args = append(args, v) }
	if f.Address != "" {
		add("address = ?", f.Address)
	}
	if f.DCVType != "" {
		add("dcv_type = ?", f.DCVType)
	}
	if f.OrganizationNo != 0 {
		add("organization_no = ?", f.OrganizationNo)
	}
	if f.ValidState != "" {
		add("valid_state = ?", f.ValidState)
	}
	var total int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM domain`+cond, args...).Scan(&total); err != nil {
		return nil, 0, ncm.Internal(err)
	}
	q := `SELECT ` + domainColumns + ` FROM domain` + cond + ` ORDER BY id`
	if f.PageSize > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, f.PageSize, int64(max(f.Page, 1)-1)*int64(f.PageSize))
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, 0, ncm.Internal(err)
	}
	defer rows.Close()
	list := []*ncm.Domain{}
	for rows.Next() {
		d := &ncm.Domain{}
		if err := rows.Scan(domainDest(d)...); err != nil {
			return nil, 0, ncm.Internal(err)
		}
		list = append(list, d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, ncm.Internal(err)
	}
	return list, total, nil
}

// UpdateDomain saves the record value and validation state of d.
func (t *tx) UpdateDomain(ctx context.Context, d *ncm.Domain) error {
	res, err := t.exec(ctx, `UPDATE domain SET record_value = ?, valid_state = ?, validated_at = ?, expires_at = ?,
		updated_at = ? WHERE id = ? AND member_no = ?`,
		d.RecordValue, d.ValidState, timePtrArg(d.ValidatedAt), timePtrArg(d.ExpiresAt), timeArg(d.UpdatedAt), d.ID, d.MemberNo)
	if err != nil {
		return ncm.Internal(err)
	}
	return mustAffect(res, noDomain(d.ID))
}

// DeleteDomain removes the member's domain.
func (t *tx) DeleteDomain(ctx context.Context, memberNo string, id int64) error {
	res, err := t.exec(ctx, `DELETE FROM domain WHERE id = ? AND member_no = ?`, id, memberNo)
	if err != nil {
		return ncm.Internal(err)
	}
	return mustAffect(res, noDomain(id))
}

const eabColumns = `id, member_no, status, validation_mode, certificate_type_code, validity_days, alias,
	contact_email, organization_no, key_id, hmac_key_sealed, used, created_at, updated_at`

func eabDest(a *ncm.EabAccount) []any {
	return []any{&a.ID, &a.MemberNo, &a.Status, &a.ValidationMode, &a.CertificateTypeCode, &a.ValidityDays, &a.Alias,
		&a.ContactEmail, refScan{&a.OrganizationNo}, &a.KeyID, &a.HMACKeySealed, &a.Used, timeScan{&a.CreatedAt}, timeScan{&a.UpdatedAt}}
}

// CreateEabAccount stores a, assigning a.ID from the eab_account sequence.
func (t *tx) CreateEabAccount(ctx context.Context, a *ncm.EabAccount) error {
	id, err := t.next(ctx, "eab_account")
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO eab_account (`+eabColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, a.MemberNo, a.Status, a.ValidationMode, a.CertificateTypeCode, a.ValidityDays, a.Alias,
		a.ContactEmail, refArg(a.OrganizationNo), a.KeyID, a.HMACKeySealed, a.Used, timeArg(a.CreatedAt), timeArg(a.UpdatedAt))
	if err != nil {
		return ncm.Internal(err)
	}
	a.ID = id
	return nil
}

// EabAccount returns ENOTFOUND (CodeNothingFound) if the member has no
// such account.
func (t *tx) EabAccount(ctx context.Context, memberNo string, id int64) (*ncm.EabAccount, error) {
	a := &ncm.EabAccount{}
	err := t.queryRow(ctx, `SELECT `+eabColumns+` FROM eab_account WHERE id = ? AND member_no = ?`, id, memberNo).Scan(eabDest(a)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &ncm.Error{Kind: ncm.ENOTFOUND, Code: ncm.CodeNothingFound, Field: "accountId",
			Message: "No ACME account exists with accountId " + strconv.FormatInt(id, 10) + "."}
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return a, nil
}

// ListEabAccounts returns the member's EAB accounts by ID.
func (t *tx) ListEabAccounts(ctx context.Context, memberNo string) ([]*ncm.EabAccount, error) {
	rows, err := t.query(ctx, `SELECT `+eabColumns+` FROM eab_account WHERE member_no = ? ORDER BY id`, memberNo)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	list := []*ncm.EabAccount{}
	for rows.Next() {
		a := &ncm.EabAccount{}
		if err := rows.Scan(eabDest(a)...); err != nil {
			return nil, ncm.Internal(err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return list, nil
}

// UpdateEabAccount saves the status and use of a.
func (t *tx) UpdateEabAccount(ctx context.Context, a *ncm.EabAccount) error {
	res, err := t.exec(ctx, `UPDATE eab_account SET status = ?, used = ?, updated_at = ? WHERE id = ? AND member_no = ?`,
		a.Status, a.Used, timeArg(a.UpdatedAt), a.ID, a.MemberNo)
	if err != nil {
		return ncm.Internal(err)
	}
	return mustAffect(res, ncm.Errorf(ncm.ENOTFOUND, ncm.CodeNothingFound, "No ACME account exists with accountId %d.", a.ID))
}

// RecentEvents returns the member's events with from < at <= to, by ID.
func (t *tx) RecentEvents(ctx context.Context, memberNo string, from, to time.Time) ([]*ncm.Event, error) {
	rows, err := t.query(ctx, `SELECT id, member_no, order_id, certificate_no, kind, status, at FROM event
		WHERE member_no = ? AND at > ? AND at <= ? ORDER BY id`, memberNo, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	var list []*ncm.Event
	for rows.Next() {
		e := &ncm.Event{}
		if err := rows.Scan(&e.ID, &e.MemberNo, refScan{&e.OrderID}, refScan{&e.CertificateNo}, &e.Kind,
			(*int)(&e.Status), timeScan{&e.At}); err != nil {
			return nil, ncm.Internal(err)
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return list, nil
}

const jobColumns = `id, kind, subject, due_at, lease_owner, lease_until, attempts, last_error, done_at, created_at`

func jobDest(j *ncm.Job) []any {
	return []any{&j.ID, &j.Kind, &j.Subject, timeScan{&j.DueAt}, nullString{&j.LeaseOwner}, timePtrScan{&j.LeaseUntil},
		&j.Attempts, &j.LastError, timePtrScan{&j.DoneAt}, timeScan{&j.CreatedAt}}
}

// nullString scans a nullable text into *dst; NULL is "".
type nullString struct{ dst *string }

func (s nullString) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*s.dst = ""
	case string:
		*s.dst = v
	case []byte:
		*s.dst = string(v)
	default:
		return errors.New("stored text is not a string")
	}
	return nil
}

// EnqueueJob schedules j, or moves the unfinished job of the same kind and
// subject to j.DueAt.
func (t *tx) EnqueueJob(ctx context.Context, j *ncm.Job) error {
	var id int64
	err := t.queryRow(ctx, `UPDATE job SET due_at = ? WHERE kind = ? AND subject = ? AND done_at IS NULL RETURNING id`,
		timeArg(j.DueAt), j.Kind, j.Subject).Scan(&id)
	if err == nil {
		j.ID = id
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return ncm.Internal(err)
	}
	if id, err = t.next(ctx, "job"); err != nil {
		return err
	}
	// Two nodes may enqueue the same job at once; the second then moves
	// the first's instead of failing on job_pending_key.
	err = t.queryRow(ctx, `INSERT INTO job (`+jobColumns+`) VALUES (?, ?, ?, ?, NULL, NULL, 0, '', NULL, ?)
		ON CONFLICT (kind, subject) WHERE done_at IS NULL DO UPDATE SET due_at = excluded.due_at RETURNING id`,
		id, j.Kind, j.Subject, timeArg(j.DueAt), timeArg(j.CreatedAt)).Scan(&j.ID)
	if err != nil {
		return ncm.Internal(err)
	}
	return nil
}

// ClaimJobs leases up to limit due, unleased (or lease-expired) jobs to
// owner. The select and the update run in the caller's transaction: SQLite's
// single writer makes that exclusive, PostgreSQL's SKIP LOCKED makes
// concurrent claimers take different rows.
func (t *tx) ClaimJobs(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*ncm.Job, error) {
	rows, err := t.query(ctx, `SELECT `+jobColumns+` FROM job WHERE done_at IS NULL AND due_at <= ?
		AND (lease_until IS NULL OR lease_until < ?) ORDER BY due_at, id LIMIT ?`+t.d.skipLocked,
		now.UnixMicro(), now.UnixMicro(), limit)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	var jobs []*ncm.Job
	for rows.Next() {
		j := &ncm.Job{}
		if err := rows.Scan(jobDest(j)...); err != nil {
			rows.Close()
			return nil, ncm.Internal(err)
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	for _, j := range jobs {
		if _, err := t.exec(ctx, `UPDATE job SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?`,
			owner, leaseUntil.UnixMicro(), j.ID); err != nil {
			return nil, ncm.Internal(err)
		}
		lu := leaseUntil.UTC().Truncate(time.Microsecond)
		j.LeaseOwner, j.LeaseUntil = owner, &lu
		j.Attempts++
	}
	return jobs, nil
}

func leaseLost(id int64) error {
	return ncm.Errorf(ncm.ECONFLICT, "", "job %d is no longer leased to this worker", id)
}

// CompleteJob marks the job done if owner still holds its lease.
func (t *tx) CompleteJob(ctx context.Context, id int64, owner string, now time.Time) error {
	res, err := t.exec(ctx, `UPDATE job SET done_at = ?, lease_until = NULL WHERE id = ? AND lease_owner = ? AND done_at IS NULL`,
		now.UnixMicro(), id, owner)
	if err != nil {
		return ncm.Internal(err)
	}
	return mustAffect(res, leaseLost(id))
}

// RetryJob releases the lease and schedules the job again at dueAt.
func (t *tx) RetryJob(ctx context.Context, id int64, owner string, dueAt time.Time, lastError string) error {
	if len(lastError) > 1000 {
		lastError = lastError[:1000]
	}
	res, err := t.exec(ctx, `UPDATE job SET due_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?
		WHERE id = ? AND lease_owner = ? AND done_at IS NULL`, dueAt.UnixMicro(), lastError, id, owner)
	if err != nil {
		return ncm.Internal(err)
	}
	return mustAffect(res, leaseLost(id))
}

// Jobs returns the jobs of a kind and subject (any kind when kind is ""),
// by ID.
func (t *tx) Jobs(ctx context.Context, kind string, subject int64) ([]*ncm.Job, error) {
	q := `SELECT ` + jobColumns + ` FROM job WHERE subject = ?`
	args := []any{subject}
	if kind != "" {
		q += " AND kind = ?"
		args = append(args, kind)
	}
	rows, err := t.query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	var list []*ncm.Job
	for rows.Next() {
		j := &ncm.Job{}
		if err := rows.Scan(jobDest(j)...); err != nil {
			return nil, ncm.Internal(err)
		}
		list = append(list, j)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return list, nil
}
