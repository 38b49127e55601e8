package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/ncmhq/ncm"
)

// orderColumns are the columns of cert_order, in the order of orderArgs and
// orderDest. The first three never change after CreateOrder.
var orderColumns = []string{
	"id", "member_no", "created_at",
	"certificate_type", "organization_no", "subscription_years", "subscription_start", "subscription_end", "updated_at",
}

const orderFixed = 3 // leading orderColumns that UpdateOrder leaves alone

func orderArgs(o *ncm.Order) []any {
	return []any{
		o.ID, o.MemberNo, timeArg(o.CreatedAt),
		string(o.CertificateType), refArg(o.OrganizationNo), o.SubscriptionYears,
		timePtrArg(o.SubscriptionStart), timePtrArg(o.SubscriptionEnd), timeArg(o.UpdatedAt),
	}
}

func orderDest(o *ncm.Order) []any {
	return []any{
		&o.ID, &o.MemberNo, timeScan{&o.CreatedAt},
		(*string)(&o.CertificateType), refScan{&o.OrganizationNo}, &o.SubscriptionYears,
		timePtrScan{&o.SubscriptionStart}, timePtrScan{&o.SubscriptionEnd}, timeScan{&o.UpdatedAt},
	}
}

// certificateColumns are the columns of certificate, in the order of
// certificateArgs and certificateDest. The first three never change after
// CreateCertificate.
var certificateColumns = []string{
	"no", "member_no", "regist_date",
	"order_id", "name", "type", "status", "issue_type", "domain_code", "organization_no",
	"common_name", "dns_names", "validation_method",
	"subject_dn", "issuer", "serial_number", "signature_algorithm", "public_key_info", "fingerprint",
	"not_before", "not_after", "issue_date", "revoke_date", "update_date",
	"csr_pem", "certificate_pem", "chain_pem", "private_key_sealed",
	"renewal_enabled", "used_instance_nos",
}

const certificateFixed = 3 // leading certificateColumns that UpdateCertificate leaves alone

func certificateArgs(c *ncm.Certificate) ([]any, error) {
	dnsNames, err := listArg(c.DNSNames)
	if err != nil {
		return nil, err
	}
	instances, err := listArg(c.UsedInstanceNos)
	if err != nil {
		return nil, err
	}
	return []any{
		c.No, c.MemberNo, timeArg(c.RegistDate),
		refArg(c.OrderID), c.Name, string(c.Type), int(c.Status), string(c.IssueType), c.DomainCode, refArg(c.OrganizationNo),
		c.CommonName, dnsNames, c.ValidationMethod,
		c.SubjectDN, c.Issuer, c.SerialNumber, c.SignatureAlgorithm, c.PublicKeyInfo, c.Fingerprint,
		timePtrArg(c.NotBefore), timePtrArg(c.NotAfter), timePtrArg(c.IssueDate), timePtrArg(c.RevokeDate), timeArg(c.UpdateDate),
		c.CSRPEM, c.CertificatePEM, c.ChainPEM, c.PrivateKeySealed,
		c.RenewalEnabled, instances,
	}, nil
}

func certificateDest(c *ncm.Certificate) []any {
	return []any{
		&c.No, &c.MemberNo, timeScan{&c.RegistDate},
		refScan{&c.OrderID}, &c.Name, (*string)(&c.Type), (*int)(&c.Status), (*string)(&c.IssueType), &c.DomainCode, refScan{&c.OrganizationNo},
		&c.CommonName, listScan{&c.DNSNames}, &c.ValidationMethod,
		&c.SubjectDN, &c.Issuer, &c.SerialNumber, &c.SignatureAlgorithm, &c.PublicKeyInfo, &c.Fingerprint,
		timePtrScan{&c.NotBefore}, timePtrScan{&c.NotAfter}, timePtrScan{&c.IssueDate}, timePtrScan{&c.RevokeDate}, timeScan{&c.UpdateDate},
		&c.CSRPEM, &c.CertificatePEM, &c.ChainPEM, &c.PrivateKeySealed,
		&c.RenewalEnabled, listScan{&c.UsedInstanceNos},
	}
}

// unlistedColumns are the certificate columns no listing shows: the PEM
// and the sealed key, most of a row's bytes. ListAdvanced leaves them out
// (its certificates have those fields empty), so a page does not copy
// kilobytes per row it never renders.
var unlistedColumns = map[string]bool{"csr_pem": true, "certificate_pem": true, "chain_pem": true, "private_key_sealed": true}

// listedColumns are certificateColumns without unlistedColumns, and
// listedIndex their positions in certificateColumns.
var listedColumns, listedIndex = func() (cols []string, idx []int) {
	for i, c := range certificateColumns {
		if !unlistedColumns[c] {
			cols, idx = append(cols, c), append(idx, i)
		}
	}
	return cols, idx
}()

// certificateListDest is certificateDest for listedColumns.
func certificateListDest(c *ncm.Certificate) []any {
	all := certificateDest(c)
	dest := make([]any, len(listedIndex))
	for i, j := range listedIndex {
		dest[i] = all[j]
	}
	return dest
}

// The statements below are built once from the column lists, so a column
// added to a list reaches every statement.
var (
	insertOrder       = insertStatement("cert_order", orderColumns)
	updateOrder       = updateStatement("cert_order", orderColumns[orderFixed:], "id = ? AND member_no = ?")
	selectOrder       = "SELECT " + strings.Join(orderColumns, ", ") + " FROM cert_order"
	insertCertificate = insertStatement("certificate", certificateColumns)
	updateCertificate = updateStatement("certificate", certificateColumns[certificateFixed:], "no = ? AND member_no = ?")
	selectCertificate = "SELECT " + strings.Join(certificateColumns, ", ") + " FROM certificate"
)

func insertStatement(table string, columns []string) string {
	return "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
}

func updateStatement(table string, columns []string, where string) string {
	return "UPDATE " + table + " SET " + strings.Join(columns, " = ?, ") + " = ? WHERE " + where
}

// prefixed qualifies each column with a table alias, for joins.
func prefixed(alias string, columns []string) string {
	return alias + "." + strings.Join(columns, ", "+alias+".")
}

// noOrder is the error for an order the member does not have.
func noOrder(id int64) error {
	return &ncm.Error{Kind: ncm.ENOTFOUND, Code: ncm.CodeNoOrder, Field: "orderId",
		Message: "No order exists with orderId " + strconv.FormatInt(id, 10) + "."}
}

// noCertificate is the error for a certificate the member does not have.
func noCertificate(no int64) error {
	return &ncm.Error{Kind: ncm.ENOTFOUND, Code: ncm.CodeNoCertificate, Field: "certificateNo",
		Message: "No certificate exists with certificateNo " + strconv.FormatInt(no, 10) + "."}
}

// nameTaken is the error for a second certificate of the same name.
func nameTaken(name string) error {
	return &ncm.Error{Kind: ncm.ECONFLICT, Code: ncm.CodeNameTaken, Field: "certificateName",
		Message: "certificateName: " + strconv.Quote(name) + " is already the name of another of your certificates; choose another name."}
}

// CreateOrder stores o, assigning o.ID from the order sequence.
func (t *tx) CreateOrder(ctx context.Context, o *ncm.Order) error {
	id, err := t.next(ctx, "order")
	if err != nil {
		return err
	}
	stored := *o
	stored.ID = id
	if _, err := t.exec(ctx, insertOrder, orderArgs(&stored)...); err != nil {
		return ncm.Internal(err)
	}
	o.ID = id
	return nil
}

// Order returns ENOTFOUND (CodeNoOrder) if the member has no such order.
func (t *tx) Order(ctx context.Context, memberNo string, id int64) (*ncm.Order, error) {
	o := &ncm.Order{}
	err := t.queryRow(ctx, selectOrder+" WHERE id = ? AND member_no = ?"+t.forUpdate(), id, memberNo).Scan(orderDest(o)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noOrder(id)
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return o, nil
}

// UpdateOrder saves every field of o but ID, MemberNo and CreatedAt.
// ENOTFOUND (CodeNoOrder) if o.MemberNo has no order o.ID.
func (t *tx) UpdateOrder(ctx context.Context, o *ncm.Order) error {
	args := append(orderArgs(o)[orderFixed:], o.ID, o.MemberNo)
	res, err := t.exec(ctx, updateOrder, args...)
	if err != nil {
		return ncm.Internal(err)
	}
	return mustAffect(res, noOrder(o.ID))
}

// mustAffect returns notFound if an UPDATE scoped by member changed no row.
func mustAffect(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return ncm.Internal(err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// CreateCertificate stores c, assigning c.No from the certificate sequence.
// ECONFLICT (CodeNameTaken) if the member has a certificate of that name.
func (t *tx) CreateCertificate(ctx context.Context, c *ncm.Certificate) error {
	no, err := t.next(ctx, "certificate")
	if err != nil {
		return err
	}
	stored := *c
	stored.No = no
	args, err := certificateArgs(&stored)
	if err != nil {
		return ncm.Internal(err)
	}
	if _, err := t.cachedExec(ctx, insertCertificate, args...); err != nil {
		// The number comes from the counter, so the one unique
		// constraint a correct database can break is the name.
		if t.d.isUniqueViolation(err) {
			return nameTaken(c.Name)
		}
		return ncm.Internal(err)
	}
	c.No = no
	return nil
}

// Certificate returns ENOTFOUND (CodeNoCertificate) if the member has no
// such certificate.
func (t *tx) Certificate(ctx context.Context, memberNo string, no int64) (*ncm.Certificate, error) {
	return t.certificate(ctx, selectCertificate+" WHERE no = ? AND member_no = ?", no, memberNo)
}

// CertificateByNo finds a certificate of any member. For operators and
// background work only.
func (t *tx) CertificateByNo(ctx context.Context, no int64) (*ncm.Certificate, error) {
	return t.certificate(ctx, selectCertificate+" WHERE no = ?", no)
}

func (t *tx) certificate(ctx context.Context, query string, no int64, args ...any) (*ncm.Certificate, error) {
	c := &ncm.Certificate{}
	err := t.queryRow(ctx, query+t.forUpdate(), append([]any{no}, args...)...).Scan(certificateDest(c)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noCertificate(no)
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return c, nil
}

// UpdateCertificate saves every field of c but No, MemberNo and RegistDate.
// ENOTFOUND (CodeNoCertificate) if c.MemberNo has no certificate c.No;
// ECONFLICT (CodeNameTaken) if c.Name is another certificate's.
func (t *tx) UpdateCertificate(ctx context.Context, c *ncm.Certificate) error {
	args, err := certificateArgs(c)
	if err != nil {
		return ncm.Internal(err)
	}
	res, err := t.exec(ctx, updateCertificate, append(args[certificateFixed:], c.No, c.MemberNo)...)
	if err != nil {
		if t.d.isUniqueViolation(err) {
			return nameTaken(c.Name)
		}
		return ncm.Internal(err)
	}
	return mustAffect(res, noCertificate(c.No))
}

// advancedMatch selects the certificates ListAdvanced shows. Its type and
// status terms repeat the WHERE clause of certificate_advanced_idx (see the
// migrations) word for word, so both databases use that partial index; keep
// them identical, literals included. TestListAdvancedPlan checks the plans.
const advancedMatch = `c.member_no = ? AND c.type IN ('NCP_PAID_DV_01', 'NCP_PAID_OV_01') AND c.status <> -6`

// advancedListQuery returns the certificates matching cond with their
// orders. The join term comes first on purpose: written as JOIN ... ON, or
// after cond, it leads SQLite to search the index from the page's first
// order to the member's last instead of to the page's last order.
func advancedListQuery(cond string) string {
	return "SELECT " + prefixed("o", orderColumns) + ", " + prefixed("c", listedColumns) +
		" FROM certificate c, cert_order o WHERE o.id = c.order_id AND " + cond + " ORDER BY c.order_id, c.no"
}

// ListAdvanced pages over the member's orders holding Advanced certificates
// (paid DV or OV, not deleted) that match f: orders by ID, and in each order
// its matching certificates by number. Total counts the matching orders.
// Page < 1 is page 1; PageSize 0 returns every matching order.
//
// Paging counts orders by ID, a unique and ever-increasing key, so pages
// never overlap while nothing changes, and a new order (which gets a higher
// ID) only ever appears at the end (field case C44). Offsets can still shift
// when an older order gains its first matching certificate, for instance a
// certificate renamed to match the name filter.
func (t *tx) ListAdvanced(ctx context.Context, memberNo string, f ncm.AdvancedFilter) (*ncm.AdvancedPage, error) {
	if f.PageSize < 0 {
		return nil, ncm.Invalid("pageSize", "must be 0 (all) or more, got %d", f.PageSize)
	}
	page := &ncm.AdvancedPage{Orders: []ncm.OrderCertificates{}}

	if f.CertificateName != "" {
		// Names are unique per member (certificate_member_name_key), so
		// at most one certificate, in one order, matches: one query
		// finds it, the total is that one order or none, and only page
		// 1 shows it.
		if err := t.listAdvancedRows(ctx, page, advancedListNamed, memberNo, f.CertificateName); err != nil {
			return nil, err
		}
		page.Total = len(page.Orders)
		if f.PageSize > 0 && f.Page > 1 {
			page.Orders = page.Orders[:0]
		}
		return page, nil
	}
	if f.PageSize == 0 {
		if err := t.listAdvancedRows(ctx, page, advancedListAll, memberNo); err != nil {
			return nil, err
		}
		page.Total = len(page.Orders)
		return page, nil
	}

	// A page is a run of consecutive matching order IDs, so its
	// certificates are those of the matching ones with an order ID
	// between the first and the last.
	total, first, last, err := t.advancedOrderPage(ctx, memberNo, max(f.Page, 1), f.PageSize)
	if err != nil {
		return nil, err
	}
	page.Total = total
	if first == 0 {
		return page, nil // past the last page
	}
	if err := t.listAdvancedRows(ctx, page, advancedListRange, memberNo, first, last); err != nil {
		return nil, err
	}
	return page, nil
}

// The three listing queries, built once: everything, one name, one page.
var (
	advancedListAll   = advancedListQuery(advancedMatch)
	advancedListNamed = advancedListQuery(advancedMatch + " AND c.name = ?")
	advancedListRange = advancedListQuery(advancedMatch + " AND c.order_id BETWEEN ? AND ?")
)

// listAdvancedRows runs one listing query and appends its rows to page,
// grouped by order.
func (t *tx) listAdvancedRows(ctx context.Context, page *ncm.AdvancedPage, query string, args ...any) error {
	rows, err := t.cachedQuery(ctx, query, args...)
	if err != nil {
		return ncm.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		o, c := &ncm.Order{}, &ncm.Certificate{}
		if err := rows.Scan(append(orderDest(o), certificateListDest(c)...)...); err != nil {
			return ncm.Internal(err)
		}
		if n := len(page.Orders); n == 0 || page.Orders[n-1].Order.ID != o.ID {
			page.Orders = append(page.Orders, ncm.OrderCertificates{Order: o})
		}
		last := &page.Orders[len(page.Orders)-1]
		last.Certificates = append(last.Certificates, c)
	}
	if err := rows.Err(); err != nil {
		return ncm.Internal(err)
	}
	return nil
}

// advancedPageRange returns the first and last order ID on the page, or 0, 0
// past the last page.
func (t *tx) advancedPageRange(ctx context.Context, query string, args []any, pageNo, size int) (first, last int64, err error) {
	offset := int64(pageNo-1) * int64(size)
	rows, err := t.cachedQuery(ctx, query, slices.Concat(args, []any{size, offset})...)
	if err != nil {
		return 0, 0, ncm.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&last); err != nil {
			return 0, 0, ncm.Internal(err)
		}
		if first == 0 {
			first = last
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, ncm.Internal(err)
	}
	return first, last, nil
}
