package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/ncmhq/ncm"
)

// CountMembers returns the number of members.
func (t *tx) CountMembers(ctx context.Context) (int, error) {
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM member`).Scan(&n); err != nil {
		return 0, ncm.Internal(err)
	}
	return n, nil
}

// CreateMember stores m, assigning m.No from the member sequence when it is
// empty. ECONFLICT if a member with that number exists.
func (t *tx) CreateMember(ctx context.Context, m *ncm.Member) error {
	no := m.No
	if no == "" {
		n, err := t.next(ctx, "member")
		if err != nil {
			return err
		}
		no = strconv.FormatInt(n, 10)
	}
	_, err := t.exec(ctx, `INSERT INTO member (no, name, created_at) VALUES (?, ?, ?)`,
		no, m.Name, timeArg(m.CreatedAt))
	if err != nil {
		if t.d.isUniqueViolation(err) {
			return ncm.Errorf(ncm.ECONFLICT, "", "A member with memberNo %s exists already.", no)
		}
		return ncm.Internal(err)
	}
	m.No = no
	return nil
}

// Member returns ENOTFOUND if there is no such member.
func (t *tx) Member(ctx context.Context, memberNo string) (*ncm.Member, error) {
	m := &ncm.Member{}
	err := t.queryRow(ctx, `SELECT no, name, created_at FROM member WHERE no = ?`, memberNo).
		Scan(&m.No, &m.Name, timeScan{&m.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ncm.Errorf(ncm.ENOTFOUND, "", "No member exists with memberNo %s.", memberNo)
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return m, nil
}

// CreateAccessKey stores k. ECONFLICT if the ID exists.
func (t *tx) CreateAccessKey(ctx context.Context, k *ncm.AccessKey) error {
	_, err := t.exec(ctx,
		`INSERT INTO access_key (id, member_no, kind, secret_sealed, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.MemberNo, string(k.Kind), k.SecretSealed, k.Disabled, timeArg(k.CreatedAt))
	if err != nil {
		if t.d.isUniqueViolation(err) {
			return ncm.Errorf(ncm.ECONFLICT, "", "An access key with this ID exists already.")
		}
		return ncm.Internal(err)
	}
	return nil
}

// AccessKey returns ENOTFOUND if there is no key with this ID.
func (t *tx) AccessKey(ctx context.Context, id string) (*ncm.AccessKey, error) {
	k := &ncm.AccessKey{}
	err := t.queryRow(ctx,
		`SELECT id, member_no, kind, secret_sealed, disabled, created_at FROM access_key WHERE id = ?`, id).
		Scan(&k.ID, &k.MemberNo, (*string)(&k.Kind), &k.SecretSealed, &k.Disabled, timeScan{&k.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		// The ID is not echoed: it is a credential.
		return nil, ncm.Errorf(ncm.ENOTFOUND, "", "No access key exists with this ID.")
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return k, nil
}

const organizationColumns = `no, member_no, name_kor, name_eng, business_registration_no, country, state,
	locality, verification_type, verification_progress_code, created_at`

func scanOrganization(s interface{ Scan(...any) error }) (*ncm.Organization, error) {
	o := &ncm.Organization{}
	err := s.Scan(&o.No, &o.MemberNo, &o.NameKor, &o.NameEng, &o.BusinessRegistrationNo, &o.Country, &o.State,
		&o.Locality, &o.VerificationType, &o.VerificationProgressCode, timeScan{&o.CreatedAt})
	return o, err
}

// CreateOrganization stores o, assigning o.No from the organization
// sequence.
func (t *tx) CreateOrganization(ctx context.Context, o *ncm.Organization) error {
	no, err := t.next(ctx, "organization")
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO organization (`+organizationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		no, o.MemberNo, o.NameKor, o.NameEng, o.BusinessRegistrationNo, o.Country, o.State,
		o.Locality, o.VerificationType, o.VerificationProgressCode, timeArg(o.CreatedAt))
	if err != nil {
		return ncm.Internal(err)
	}
	o.No = no
	return nil
}

// Organization returns ENOTFOUND (CodeNoOrganization) if the member has no
// such organization.
func (t *tx) Organization(ctx context.Context, memberNo string, no int64) (*ncm.Organization, error) {
	o, err := scanOrganization(t.queryRow(ctx,
		`SELECT `+organizationColumns+` FROM organization WHERE no = ? AND member_no = ?`, no, memberNo))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noOrganization(no)
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return o, nil
}

// noOrganization is the error for an organization the member does not have.
func noOrganization(no int64) error {
	return &ncm.Error{Kind: ncm.ENOTFOUND, Code: ncm.CodeNoOrganization, Field: "organizationNo",
		Message: "No organization exists with organizationNo " + strconv.FormatInt(no, 10) + "."}
}

// ListOrganizations returns the member's organizations by number. Each set
// field of f must match exactly.
func (t *tx) ListOrganizations(ctx context.Context, memberNo string, f ncm.OrganizationFilter) ([]*ncm.Organization, error) {
	var q strings.Builder
	q.WriteString(`SELECT ` + organizationColumns + ` FROM organization WHERE member_no = ?`)
	args := []any{memberNo}
	where := func(cond string, arg any) {
		q.WriteString(" AND " + cond)
		args = append(args, arg)
	}
	if f.NameKor != "" {
		where("name_kor = ?", f.NameKor)
	}
	if f.NameEng != "" {
		where("name_eng = ?", f.NameEng)
	}
	if f.BusinessRegistrationNo != "" {
		where("business_registration_no = ?", f.BusinessRegistrationNo)
	}
	if f.VerificationProgressCode != nil {
		where("verification_progress_code = ?", *f.VerificationProgressCode)
	}
	q.WriteString(" ORDER BY no")
	rows, err := t.query(ctx, q.String(), args...)
	if err != nil {
		return nil, ncm.Internal(err)
	}
	defer rows.Close()
	var list []*ncm.Organization
	for rows.Next() {
		o, err := scanOrganization(rows)
		if err != nil {
			return nil, ncm.Internal(err)
		}
		list = append(list, o)
	}
	if err := rows.Err(); err != nil {
		return nil, ncm.Internal(err)
	}
	return list, nil
}

// AppendEvent stores e, assigning e.ID from the event sequence.
func (t *tx) AppendEvent(ctx context.Context, e *ncm.Event) error {
	id, err := t.next(ctx, "event")
	if err != nil {
		return err
	}
	_, err = t.exec(ctx,
		`INSERT INTO event (id, member_no, order_id, certificate_no, kind, status, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, e.MemberNo, refArg(e.OrderID), refArg(e.CertificateNo), e.Kind, int(e.Status), timeArg(e.At))
	if err != nil {
		return ncm.Internal(err)
	}
	e.ID = id
	return nil
}

// CA returns the stored local CA, ENOTFOUND if none was created yet.
func (t *tx) CA(ctx context.Context) (*ncm.CAMaterial, error) {
	m := &ncm.CAMaterial{}
	err := t.queryRow(ctx, `SELECT root_pem, root_key_sealed, intermediate_pem, intermediate_key_sealed, created_at
		FROM ca WHERE id = 1`).
		Scan(&m.RootPEM, &m.RootKeySealed, &m.IntermediatePEM, &m.IntermediateKeySealed, timeScan{&m.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ncm.Errorf(ncm.ENOTFOUND, "", "No local CA has been created yet.")
	}
	if err != nil {
		return nil, ncm.Internal(err)
	}
	return m, nil
}

// CreateCA stores the local CA. ECONFLICT if one exists already.
func (t *tx) CreateCA(ctx context.Context, m *ncm.CAMaterial) error {
	_, err := t.exec(ctx, `INSERT INTO ca (id, root_pem, root_key_sealed, intermediate_pem, intermediate_key_sealed, created_at)
		VALUES (1, ?, ?, ?, ?, ?)`,
		m.RootPEM, m.RootKeySealed, m.IntermediatePEM, m.IntermediateKeySealed, timeArg(m.CreatedAt))
	if err != nil {
		if t.d.isUniqueViolation(err) {
			return ncm.Errorf(ncm.ECONFLICT, "", "The local CA exists already; it is created once and never replaced.")
		}
		return ncm.Internal(err)
	}
	return nil
}
