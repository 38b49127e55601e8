package sqlstore_test

// Conformance of the certificate intake methods (ncm.CertificateTx): the
// same pattern as runConformance, on SQLite always and on PostgreSQL when
// NCM_TEST_POSTGRES_DSN is set.

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ncmhq/ncm"
)

func TestCertificateTxConformance(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			open := func(t *testing.T) ncm.Store { return MustOpen(t, b.newDSN(t)) }
			t.Run("ListCertificates", func(t *testing.T) { testListCertificates(t, open(t)) })
			t.Run("CertificateByFingerprint", func(t *testing.T) { testCertificateByFingerprint(t, open(t)) })
			t.Run("DeleteCertificate", func(t *testing.T) { testDeleteCertificate(t, open(t)) })
		})
	}
}

// external returns an imported certificate with a fingerprint.
func external(memberNo, name, fingerprint string, instances ...string) *ncm.Certificate {
	return &ncm.Certificate{
		MemberNo: memberNo, Name: name, Type: ncm.TypeExternal, Status: ncm.StatusNormal, IssueType: ncm.IssueExternal,
		DomainCode: ncm.ZonePublic, CommonName: name + ".example.com", Fingerprint: fingerprint,
		CertificatePEM: "-----BEGIN CERTIFICATE-----\n", PrivateKeySealed: []byte{1, 2, 3},
		RegistDate: t0, UpdateDate: t0, UsedInstanceNos: instances,
	}
}

// MustListCertificates lists and returns the numbers and total.
func MustListCertificates(tb testing.TB, s ncm.Store, memberNo string, f ncm.CertificateFilter) ([]int64, int) {
	tb.Helper()
	var nos []int64
	total := 0
	MustRead(tb, s, func(tx ncm.Tx) error {
		page, err := tx.ListCertificates(context.Background(), memberNo, f)
		if err != nil {
			return err
		}
		for _, c := range page.Certificates {
			if c.MemberNo != memberNo {
				tb.Errorf("listed certificate %d of member %s for member %s", c.No, c.MemberNo, memberNo)
			}
			nos = append(nos, c.No)
		}
		total = page.Total
		return nil
	})
	return nos, total
}

func testListCertificates(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	var nos []int64
	MustWrite(t, s, func(tx ncm.Tx) error {
		order := MustOrder(t, tx, a)
		for _, c := range []*ncm.Certificate{
			external(a, "ext-one", "f1", "12"),
			advanced(a, order, "paid-one"),
			external(a, "ext-two", "f2", "123", "7"),
			{MemberNo: a, Name: "basic-one", Type: ncm.TypeFreeDV, Status: ncm.StatusNormal, IssueType: ncm.IssueOriginal, DomainCode: ncm.ZonePublic, RegistDate: t0, UpdateDate: t0},
			{MemberNo: a, Name: "edge-one", Type: ncm.TypeGlobalEdge, Status: ncm.StatusNormalGlobalEdge, IssueType: ncm.IssueOriginal, DomainCode: ncm.ZonePublic, RegistDate: t0, UpdateDate: t0},
		} {
			nos = append(nos, MustCertificate(t, tx, c).No)
		}
		MustCertificate(t, tx, external(b, "ext-one", "f1", "12"))
		return nil
	})
	for _, tc := range []struct {
		name      string
		f         ncm.CertificateFilter
		want      []int64
		wantTotal int
	}{
		{"All", ncm.CertificateFilter{}, nos, 5},
		{"Page2", ncm.CertificateFilter{Page: 2, PageSize: 2}, nos[2:4], 5},
		{"PastLastPage", ncm.CertificateFilter{Page: 9, PageSize: 2}, nil, 5},
		{"PageZeroIsFirst", ncm.CertificateFilter{PageSize: 2}, nos[:2], 5},
		{"Name", ncm.CertificateFilter{Name: "ext-two"}, nos[2:3], 1},
		{"No", ncm.CertificateFilter{No: nos[1]}, nos[1:2], 1},
		{"NoAndWrongName", ncm.CertificateFilter{No: nos[1], Name: "ext-one"}, nil, 0},
		{"InstanceExact", ncm.CertificateFilter{InstanceNo: "12"}, nos[:1], 1},
		{"InstanceSecondOfTwo", ncm.CertificateFilter{InstanceNo: "7"}, nos[2:3], 1},
		{"InstanceUnknown", ncm.CertificateFilter{InstanceNo: "1"}, nil, 0},
		{"CloudTypes", ncm.CertificateFilter{Types: []ncm.CertificateType{ncm.TypeFreeDV, ncm.TypeGlobalEdge}}, nos[3:5], 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total := MustListCertificates(t, s, a, tc.f)
			if !slices.Equal(got, tc.want) || total != tc.wantTotal {
				t.Errorf("ListCertificates(%+v) = %v total %d, want %v total %d", tc.f, got, total, tc.want, tc.wantTotal)
			}
		})
	}
	t.Run("ErrNegativePageSize", func(t *testing.T) {
		err := s.Read(ctx, func(tx ncm.Tx) error {
			_, err := tx.ListCertificates(ctx, a, ncm.CertificateFilter{PageSize: -1})
			return err
		})
		wantErr(t, err, ncm.EINVALID, ncm.CodeValidation)
	})
	t.Run("RoundTrip", func(t *testing.T) {
		MustRead(t, s, func(tx ncm.Tx) error {
			page, err := tx.ListCertificates(ctx, a, ncm.CertificateFilter{No: nos[2]})
			if err != nil {
				return err
			}
			want, err := tx.Certificate(ctx, a, nos[2])
			if err != nil {
				return err
			}
			if len(page.Certificates) != 1 || cmpDiffCert(want, page.Certificates[0]) != "" {
				t.Errorf("listed certificate differs from Certificate(): %s", cmpDiffCert(want, page.Certificates[0]))
			}
			return nil
		})
	})
}

func testCertificateByFingerprint(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	var no int64
	MustWrite(t, s, func(tx ncm.Tx) error {
		no = MustCertificate(t, tx, external(a, "ext-one", "abcd")).No
		return nil
	})
	MustRead(t, s, func(tx ncm.Tx) error {
		c, err := tx.CertificateByFingerprint(ctx, a, "abcd")
		if err != nil {
			return err
		}
		if c.No != no {
			t.Errorf("CertificateByFingerprint = %d, want %d", c.No, no)
		}
		return nil
	})
	for name, args := range map[string][2]string{"ErrOtherMember": {b, "abcd"}, "ErrUnknown": {a, "ffff"}} {
		t.Run(name, func(t *testing.T) {
			err := s.Read(ctx, func(tx ncm.Tx) error {
				_, err := tx.CertificateByFingerprint(ctx, args[0], args[1])
				return err
			})
			wantErr(t, err, ncm.ENOTFOUND, ncm.CodeNoCertificate)
		})
	}
}

func testDeleteCertificate(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	var web, other, paid int64
	MustWrite(t, s, func(tx ncm.Tx) error {
		web = MustCertificate(t, tx, external(a, "web-cert", "f1")).No
		other = MustCertificate(t, tx, external(a, "other-cert", "f2")).No
		paid = MustCertificate(t, tx, advanced(a, MustOrder(t, tx, a), "paid-cert")).No
		return nil
	})
	del := func(memberNo string, no int64) error {
		return s.Write(ctx, func(tx ncm.Tx) error { return tx.DeleteCertificate(ctx, memberNo, no, t0) })
	}
	t.Run("ErrOtherMember", func(t *testing.T) {
		wantErr(t, del(b, web), ncm.ENOTFOUND, ncm.CodeNoCertificate)
	})
	if err := del(a, web); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}
	t.Run("GoneFromLists", func(t *testing.T) {
		if got, total := MustListCertificates(t, s, a, ncm.CertificateFilter{}); !slices.Equal(got, []int64{other, paid}) || total != 2 {
			t.Errorf("after delete: list %v total %d, want [%d %d] total 2", got, total, other, paid)
		}
		err := s.Read(ctx, func(tx ncm.Tx) error {
			_, err := tx.CertificateByFingerprint(ctx, a, "f1")
			return err
		})
		wantErr(t, err, ncm.ENOTFOUND, ncm.CodeNoCertificate)
	})
	t.Run("RowKeptKeyWiped", func(t *testing.T) {
		MustRead(t, s, func(tx ncm.Tx) error {
			c, err := tx.Certificate(ctx, a, web)
			if err != nil {
				return err
			}
			if c.Status != ncm.StatusDeleted || c.PrivateKeySealed != nil || c.Name == "web-cert" {
				t.Errorf("deleted row: status %d, key %v, name %q; want -6, nil, the name freed", c.Status, c.PrivateKeySealed, c.Name)
			}
			return nil
		})
	})
	t.Run("ErrSecondDelete", func(t *testing.T) {
		wantErr(t, del(a, web), ncm.ENOTFOUND, ncm.CodeNoCertificate)
	})
	t.Run("NameFreedNumberNotReused", func(t *testing.T) {
		MustWrite(t, s, func(tx ncm.Tx) error {
			c := MustCertificate(t, tx, external(a, "web-cert", "f1"))
			if c.No <= paid {
				t.Errorf("new certificate got number %d, want above %d (numbers are never reused)", c.No, paid)
			}
			return nil
		})
	})
	t.Run("AdvancedLeavesListAdvanced", func(t *testing.T) {
		if err := del(a, paid); err != nil {
			t.Fatal(err)
		}
		MustRead(t, s, func(tx ncm.Tx) error {
			page, err := tx.ListAdvanced(ctx, a, ncm.AdvancedFilter{})
			if err != nil {
				return err
			}
			if page.Total != 0 || len(page.Orders) != 0 {
				t.Errorf("ListAdvanced after delete: total %d, %d orders; want none", page.Total, len(page.Orders))
			}
			return nil
		})
	})
}

// cmpDiffCert compares two certificates field by field.
func cmpDiffCert(want, got *ncm.Certificate) string { return cmp.Diff(want, got) }
