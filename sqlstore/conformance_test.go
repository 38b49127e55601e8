package sqlstore_test

// The conformance suite: what every ncm.Store built by sqlstore must do,
// whatever the database. sqlstore_test.go runs it against SQLite always and
// against PostgreSQL when NCM_TEST_POSTGRES_DSN is set.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/sqlstore"
)

// t0 is the one timestamp of the fixtures. Every row shares it, so ordering
// can only come from the unique numbers (field case C44). It has
// microseconds, the stored precision, but no finer part.
var t0 = time.Date(2026, 3, 1, 1, 15, 30, 123456000, time.UTC)

// runConformance runs the suite; newDSN returns the DSN of a fresh, empty
// database for each test.
func runConformance(t *testing.T, newDSN func(t *testing.T) string) {
	open := func(t *testing.T) ncm.Store { return MustOpen(t, newDSN(t)) }

	t.Run("Members", func(t *testing.T) { testMembers(t, open(t)) })
	t.Run("AccessKeys", func(t *testing.T) { testAccessKeys(t, open(t)) })
	t.Run("Organizations", func(t *testing.T) { testOrganizations(t, open(t)) })
	t.Run("Orders", func(t *testing.T) { testOrders(t, open(t)) })
	t.Run("Certificates", func(t *testing.T) { testCertificates(t, open(t)) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open(t)) })
	t.Run("CA", func(t *testing.T) { testCA(t, open(t)) })
	t.Run("Sequences", func(t *testing.T) { testSequences(t, open(t)) })
	t.Run("Transactions", func(t *testing.T) { testTransactions(t, open(t)) })
	t.Run("ListAdvanced", func(t *testing.T) { testListAdvanced(t, open(t)) })
	t.Run("Reopen", func(t *testing.T) { testReopen(t, newDSN(t)) })
	t.Run("ConcurrentOpen", func(t *testing.T) { testConcurrentOpen(t, newDSN(t)) })
}

// MustOpen opens dsn and closes it when the test ends.
func MustOpen(tb testing.TB, dsn string) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("Open(%q): %v", dsn, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustWrite runs fn in a Write transaction and fails the test on error.
func MustWrite(tb testing.TB, s ncm.Store, fn func(tx ncm.Tx) error) {
	tb.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		tb.Fatalf("Write: %v", err)
	}
}

// MustRead runs fn in a Read transaction and fails the test on error.
func MustRead(tb testing.TB, s ncm.Store, fn func(tx ncm.Tx) error) {
	tb.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		tb.Fatalf("Read: %v", err)
	}
}

// MustMember creates a member and returns its number.
func MustMember(tb testing.TB, s ncm.Store) string {
	tb.Helper()
	m := &ncm.Member{Name: "member", CreatedAt: t0}
	MustWrite(tb, s, func(tx ncm.Tx) error { return tx.CreateMember(context.Background(), m) })
	return m.No
}

// MustOrder creates an Advanced DV order of memberNo and returns its ID.
func MustOrder(tb testing.TB, tx ncm.Tx, memberNo string) int64 {
	tb.Helper()
	o := &ncm.Order{MemberNo: memberNo, CertificateType: ncm.TypePaidDV, SubscriptionYears: 1, CreatedAt: t0, UpdatedAt: t0}
	if err := tx.CreateOrder(context.Background(), o); err != nil {
		tb.Fatalf("CreateOrder: %v", err)
	}
	return o.ID
}

// MustCertificate stores c and returns it with its number.
func MustCertificate(tb testing.TB, tx ncm.Tx, c *ncm.Certificate) *ncm.Certificate {
	tb.Helper()
	if err := tx.CreateCertificate(context.Background(), c); err != nil {
		tb.Fatalf("CreateCertificate(%q): %v", c.Name, err)
	}
	return c
}

// advanced returns a requested Advanced DV certificate of an order.
func advanced(memberNo string, orderID int64, name string) *ncm.Certificate {
	return &ncm.Certificate{
		MemberNo: memberNo, OrderID: orderID, Name: name,
		Type: ncm.TypePaidDV, Status: ncm.StatusOngoing, IssueType: ncm.IssueOriginal, DomainCode: ncm.ZonePublic,
		CommonName: name + ".example.com", DNSNames: []string{name + ".example.com"}, ValidationMethod: ncm.ValidationDNS,
		RegistDate: t0, UpdateDate: t0,
	}
}

// wantErr fails the test unless err is an *ncm.Error of this kind and code.
func wantErr(tb testing.TB, err error, kind, code string) *ncm.Error {
	tb.Helper()
	var e *ncm.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err = %v, want *ncm.Error of kind %s", err, kind)
	}
	if e.Kind != kind || e.Code != code {
		tb.Fatalf("err = %v (kind %q, code %q), want kind %q, code %q", err, e.Kind, e.Code, kind, code)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

func testMembers(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		a, b := &ncm.Member{Name: "a", CreatedAt: t0}, &ncm.Member{Name: "b", CreatedAt: t0}
		MustWrite(t, s, func(tx ncm.Tx) error {
			if err := tx.CreateMember(ctx, a); err != nil {
				return err
			}
			return tx.CreateMember(ctx, b)
		})
		if a.No != "2000001" || b.No != "2000002" {
			t.Fatalf("memberNo = %q, %q, want 2000001, 2000002", a.No, b.No)
		}
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.Member(ctx, b.No)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(b, got); diff != "" {
				t.Errorf("Member (-want +got):\n%s", diff)
			}
			n, err := tx.CountMembers(ctx)
			if n != 2 {
				t.Errorf("CountMembers = %d, want 2", n)
			}
			return err
		})
	})
	t.Run("ExplicitNo", func(t *testing.T) {
		m := &ncm.Member{No: "12345", Name: "given", CreatedAt: t0}
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.CreateMember(ctx, m) })
		if m.No != "12345" {
			t.Fatalf("memberNo = %q, want 12345", m.No)
		}
		err := s.Write(ctx, func(tx ncm.Tx) error { return tx.CreateMember(ctx, &ncm.Member{No: "12345"}) })
		wantErr(t, err, ncm.ECONFLICT, "")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		err := s.Read(ctx, func(tx ncm.Tx) error { _, err := tx.Member(ctx, "999"); return err })
		wantErr(t, err, ncm.ENOTFOUND, "")
	})
}

func testAccessKeys(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	member := MustMember(t, s)
	k := &ncm.AccessKey{ID: "NCMKEY1", MemberNo: member, Kind: ncm.KeySub, SecretSealed: []byte{0, 1, 2, 0xff},
		Disabled: true, CreatedAt: t0}
	t.Run("OK", func(t *testing.T) {
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.CreateAccessKey(ctx, k) })
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.AccessKey(ctx, k.ID)
			if diff := cmp.Diff(k, got); diff != "" {
				t.Errorf("AccessKey (-want +got):\n%s", diff)
			}
			return err
		})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		err := s.Write(ctx, func(tx ncm.Tx) error {
			return tx.CreateAccessKey(ctx, &ncm.AccessKey{ID: k.ID, MemberNo: member, Kind: ncm.KeyMain})
		})
		wantErr(t, err, ncm.ECONFLICT, "")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		err := s.Read(ctx, func(tx ncm.Tx) error { _, err := tx.AccessKey(ctx, "NOSUCHKEY"); return err })
		wantErr(t, err, ncm.ENOTFOUND, "")
	})
}

func testOrganizations(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	org := func(member, eng string, progress int) *ncm.Organization {
		return &ncm.Organization{MemberNo: member, NameKor: "한국 " + eng, NameEng: eng, BusinessRegistrationNo: "123-45-67890",
			Country: "KR", State: "Seoul", Locality: "Jung-gu", VerificationType: "BUSINESS_REGISTRATION",
			VerificationProgressCode: progress, CreatedAt: t0}
	}
	o1, o2, o3, other := org(a, "One", 7), org(a, "Two", 1), org(a, "Three", 7), org(b, "One", 7)
	MustWrite(t, s, func(tx ncm.Tx) error {
		for _, o := range []*ncm.Organization{o1, other, o2, o3} {
			if err := tx.CreateOrganization(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	t.Run("OK", func(t *testing.T) {
		if o1.No != 1001 || other.No != 1002 || o2.No != 1003 {
			t.Fatalf("organizationNo = %d, %d, %d, want 1001, 1002, 1003", o1.No, other.No, o2.No)
		}
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.Organization(ctx, a, o2.No)
			if diff := cmp.Diff(o2, got); diff != "" {
				t.Errorf("Organization (-want +got):\n%s", diff)
			}
			return err
		})
	})
	t.Run("List", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			f    ncm.OrganizationFilter
			want []*ncm.Organization
		}{
			{"all", ncm.OrganizationFilter{}, []*ncm.Organization{o1, o2, o3}},
			{"nameEng", ncm.OrganizationFilter{NameEng: "One"}, []*ncm.Organization{o1}},
			{"nameKor", ncm.OrganizationFilter{NameKor: "한국 Two"}, []*ncm.Organization{o2}},
			{"progress", ncm.OrganizationFilter{VerificationProgressCode: ptr(7)}, []*ncm.Organization{o1, o3}},
			{"registrationNo", ncm.OrganizationFilter{BusinessRegistrationNo: "000-00-00000"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				MustRead(t, s, func(tx ncm.Tx) error {
					got, err := tx.ListOrganizations(ctx, a, tc.f)
					if diff := cmp.Diff(tc.want, got); diff != "" {
						t.Errorf("ListOrganizations (-want +got):\n%s", diff)
					}
					return err
				})
			})
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for name, no := range map[string]int64{"otherMember": other.No, "missing": 9999} {
			t.Run(name, func(t *testing.T) {
				err := s.Read(ctx, func(tx ncm.Tx) error { _, err := tx.Organization(ctx, a, no); return err })
				wantErr(t, err, ncm.ENOTFOUND, ncm.CodeNoOrganization)
			})
		}
	})
}

func testOrders(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	org := &ncm.Organization{MemberNo: a, NameEng: "Org", CreatedAt: t0}
	o := &ncm.Order{MemberNo: a, CertificateType: ncm.TypePaidOV, SubscriptionYears: 2, CreatedAt: t0, UpdatedAt: t0}
	MustWrite(t, s, func(tx ncm.Tx) error {
		if err := tx.CreateOrganization(ctx, org); err != nil {
			return err
		}
		o.OrganizationNo = org.No
		return tx.CreateOrder(ctx, o)
	})
	t.Run("OK", func(t *testing.T) {
		if o.ID != 900001 {
			t.Fatalf("orderId = %d, want 900001", o.ID)
		}
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.Order(ctx, a, o.ID)
			if diff := cmp.Diff(o, got); diff != "" {
				t.Errorf("Order (-want +got):\n%s", diff)
			}
			return err
		})
	})
	t.Run("Update", func(t *testing.T) {
		start, end := t0.Add(time.Hour), t0.AddDate(2, 0, 0)
		o.SubscriptionStart, o.SubscriptionEnd, o.SubscriptionYears, o.UpdatedAt = &start, &end, 3, t0.Add(time.Minute)
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.UpdateOrder(ctx, o) })
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.Order(ctx, a, o.ID)
			if diff := cmp.Diff(o, got); diff != "" {
				t.Errorf("Order after update (-want +got):\n%s", diff)
			}
			return err
		})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for name, fn := range map[string]func(tx ncm.Tx) error{
			"otherMember":       func(tx ncm.Tx) error { _, err := tx.Order(ctx, b, o.ID); return err },
			"missing":           func(tx ncm.Tx) error { _, err := tx.Order(ctx, a, 1); return err },
			"updateOtherMember": func(tx ncm.Tx) error { u := *o; u.MemberNo = b; return tx.UpdateOrder(ctx, &u) },
			"updateMissing":     func(tx ncm.Tx) error { u := *o; u.ID = 1; return tx.UpdateOrder(ctx, &u) },
		} {
			t.Run(name, func(t *testing.T) {
				wantErr(t, s.Write(ctx, fn), ncm.ENOTFOUND, ncm.CodeNoOrder)
			})
		}
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.Order(ctx, a, o.ID)
			if err == nil && got.MemberNo != a {
				t.Errorf("order's memberNo = %q after another member's update, want %q", got.MemberNo, a)
			}
			return err
		})
	})
}

// fullCertificate sets every field of a Certificate, so a column lost on the
// way in or out shows in cmp.Diff.
func fullCertificate(memberNo string, orderID, orgNo int64, name string) *ncm.Certificate {
	nb, na, issued, revoked := t0.Add(-time.Hour), t0.AddDate(1, 0, 0), t0.Add(time.Second), t0.Add(2*time.Second)
	return &ncm.Certificate{
		MemberNo: memberNo, OrderID: orderID, Name: name, Type: ncm.TypePaidOV, Status: ncm.StatusRevoked,
		IssueType: ncm.IssueReissue, DomainCode: ncm.ZoneFinancial, OrganizationNo: orgNo,
		CommonName: "example.com", DNSNames: []string{"example.com", "www.example.com", "*.example.com"},
		ValidationMethod: ncm.ValidationPersistentDNS,
		SubjectDN:        "cn=example.com,o=Example Corporation,l=Sample-city,s=Sample-state,c=KR",
		Issuer:           "CN=ncm Intermediate", SerialNumber: "0a1b2c", SignatureAlgorithm: "SHA256-RSA",
		PublicKeyInfo: "RSA 2048", Fingerprint: "ab12",
		NotBefore: &nb, NotAfter: &na, IssueDate: &issued, RevokeDate: &revoked,
		RegistDate: t0, UpdateDate: t0.Add(3 * time.Second),
		CSRPEM: "-----BEGIN CERTIFICATE REQUEST-----\n", CertificatePEM: "-----BEGIN CERTIFICATE-----\nleaf\n",
		ChainPEM: "-----BEGIN CERTIFICATE-----\nchain\n", PrivateKeySealed: []byte{9, 8, 7, 0},
		RenewalEnabled: true, UsedInstanceNos: []string{"1234", "5678"},
	}
}

func testCertificates(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	a, b := MustMember(t, s), MustMember(t, s)
	var c *ncm.Certificate
	MustWrite(t, s, func(tx ncm.Tx) error {
		org := &ncm.Organization{MemberNo: a, NameEng: "Org", CreatedAt: t0}
		if err := tx.CreateOrganization(ctx, org); err != nil {
			return err
		}
		c = MustCertificate(t, tx, fullCertificate(a, MustOrder(t, tx, a), org.No, "full-cert"))
		return nil
	})
	t.Run("RoundTrip", func(t *testing.T) {
		if c.No != 100001 {
			t.Fatalf("certificateNo = %d, want 100001", c.No)
		}
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.Certificate(ctx, a, c.No)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(c, got); diff != "" {
				t.Errorf("Certificate (-want +got):\n%s", diff)
			}
			got, err = tx.CertificateByNo(ctx, c.No)
			if diff := cmp.Diff(c, got); diff != "" {
				t.Errorf("CertificateByNo (-want +got):\n%s", diff)
			}
			return err
		})
	})
	t.Run("RoundTripEmpty", func(t *testing.T) {
		// An imported certificate: no order, organization, lists, key or dates.
		e := &ncm.Certificate{MemberNo: a, Name: "bare", Type: ncm.TypeExternal, IssueType: ncm.IssueExternal}
		MustWrite(t, s, func(tx ncm.Tx) error { MustCertificate(t, tx, e); return nil })
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.Certificate(ctx, a, e.No)
			if diff := cmp.Diff(e, got); diff != "" {
				t.Errorf("Certificate (-want +got):\n%s", diff)
			}
			return err
		})
	})
	t.Run("Update", func(t *testing.T) {
		u := *c
		u.Status, u.Name, u.RevokeDate, u.PrivateKeySealed = ncm.StatusNormal, "renamed", nil, nil
		u.DNSNames, u.UsedInstanceNos, u.UpdateDate = []string{"only.example.com"}, nil, t0.Add(time.Hour)
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.UpdateCertificate(ctx, &u) })
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.Certificate(ctx, a, c.No)
			if diff := cmp.Diff(&u, got); diff != "" {
				t.Errorf("Certificate after update (-want +got):\n%s", diff)
			}
			return err
		})
		c = &u
	})
	t.Run("ErrNameTaken", func(t *testing.T) {
		err := s.Write(ctx, func(tx ncm.Tx) error {
			return tx.CreateCertificate(ctx, advanced(a, 0, c.Name))
		})
		e := wantErr(t, err, ncm.ECONFLICT, ncm.CodeNameTaken)
		if e.Field != "certificateName" {
			t.Errorf("Field = %q, want certificateName", e.Field)
		}
		if want := fmt.Sprintf("%q", c.Name); !strings.Contains(e.Message, want) {
			t.Errorf("Message = %q, want it to name %s", e.Message, want)
		}
	})
	t.Run("ErrNameTakenOnUpdate", func(t *testing.T) {
		other := advanced(a, 0, "other-name")
		MustWrite(t, s, func(tx ncm.Tx) error { MustCertificate(t, tx, other); return nil })
		other.Name = c.Name
		err := s.Write(ctx, func(tx ncm.Tx) error { return tx.UpdateCertificate(ctx, other) })
		wantErr(t, err, ncm.ECONFLICT, ncm.CodeNameTaken)
	})
	t.Run("SameNameOtherMember", func(t *testing.T) {
		MustWrite(t, s, func(tx ncm.Tx) error { MustCertificate(t, tx, advanced(b, 0, c.Name)); return nil })
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for name, fn := range map[string]func(tx ncm.Tx) error{
			"otherMember":       func(tx ncm.Tx) error { _, err := tx.Certificate(ctx, b, c.No); return err },
			"missing":           func(tx ncm.Tx) error { _, err := tx.Certificate(ctx, a, 1); return err },
			"byNoMissing":       func(tx ncm.Tx) error { _, err := tx.CertificateByNo(ctx, 1); return err },
			"updateOtherMember": func(tx ncm.Tx) error { u := *c; u.MemberNo = b; return tx.UpdateCertificate(ctx, &u) },
			"updateMissing":     func(tx ncm.Tx) error { u := *c; u.No = 1; return tx.UpdateCertificate(ctx, &u) },
		} {
			t.Run(name, func(t *testing.T) {
				e := wantErr(t, s.Write(ctx, fn), ncm.ENOTFOUND, ncm.CodeNoCertificate)
				if !strings.Contains(e.Message, "No certificate exists") {
					t.Errorf("Message = %q, want No certificate exists...", e.Message)
				}
			})
		}
	})
}

func testEvents(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	member := MustMember(t, s)
	var ids []int64
	MustWrite(t, s, func(tx ncm.Tx) error {
		for _, kind := range []string{ncm.EventRequested, ncm.EventValidated, ncm.EventIssued} {
			e := &ncm.Event{MemberNo: member, OrderID: MustOrder(t, tx, member), Kind: kind, Status: ncm.StatusNormal, At: t0}
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	if diff := cmp.Diff([]int64{1, 2, 3}, ids); diff != "" {
		t.Errorf("event IDs (-want +got):\n%s", diff)
	}
}

func testCA(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	t.Run("ErrNotFound", func(t *testing.T) {
		err := s.Read(ctx, func(tx ncm.Tx) error { _, err := tx.CA(ctx); return err })
		wantErr(t, err, ncm.ENOTFOUND, "")
	})
	m := &ncm.CAMaterial{RootPEM: "root", RootKeySealed: []byte{1, 0, 2}, IntermediatePEM: "intermediate",
		IntermediateKeySealed: []byte{3, 0, 4}, CreatedAt: t0}
	t.Run("OK", func(t *testing.T) {
		MustWrite(t, s, func(tx ncm.Tx) error { return tx.CreateCA(ctx, m) })
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.CA(ctx)
			if diff := cmp.Diff(m, got); diff != "" {
				t.Errorf("CA (-want +got):\n%s", diff)
			}
			return err
		})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		other := *m
		other.RootPEM = "another root"
		wantErr(t, s.Write(ctx, func(tx ncm.Tx) error { return tx.CreateCA(ctx, &other) }), ncm.ECONFLICT, "")
		MustRead(t, s, func(tx ncm.Tx) error {
			got, err := tx.CA(ctx)
			if err == nil && got.RootPEM != m.RootPEM {
				t.Errorf("RootPEM = %q after a refused second CreateCA, want %q", got.RootPEM, m.RootPEM)
			}
			return err
		})
	})
}

// numbers is one of each number a write can assign.
type numbers struct {
	Member       string
	Organization int64
	Order        int64
	Certificate  int64
	Event        int64
}

// createOneOfEach creates one row of each numbered kind.
func createOneOfEach(t *testing.T, tx ncm.Tx, name string) (numbers, error) {
	ctx := context.Background()
	m := &ncm.Member{Name: name, CreatedAt: t0}
	if err := tx.CreateMember(ctx, m); err != nil {
		return numbers{}, err
	}
	org := &ncm.Organization{MemberNo: m.No, CreatedAt: t0}
	if err := tx.CreateOrganization(ctx, org); err != nil {
		return numbers{}, err
	}
	orderID := MustOrder(t, tx, m.No)
	c := MustCertificate(t, tx, advanced(m.No, orderID, name))
	e := &ncm.Event{MemberNo: m.No, OrderID: orderID, CertificateNo: c.No, Kind: ncm.EventRequested, At: t0}
	if err := tx.AppendEvent(ctx, e); err != nil {
		return numbers{}, err
	}
	return numbers{m.No, org.No, orderID, c.No, e.ID}, nil
}

func testSequences(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	var first numbers
	MustWrite(t, s, func(tx ncm.Tx) (err error) { first, err = createOneOfEach(t, tx, "first"); return err })
	t.Run("StartValues", func(t *testing.T) {
		want := numbers{"2000001", 1001, 900001, 100001, 1}
		if diff := cmp.Diff(want, first); diff != "" {
			t.Errorf("first numbers (-want +got):\n%s", diff)
		}
	})

	errBoom := errors.New("boom")
	t.Run("RolledBackWriteConsumesNothing", func(t *testing.T) {
		var lost numbers
		err := s.Write(ctx, func(tx ncm.Tx) (err error) {
			if lost, err = createOneOfEach(t, tx, "lost"); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Write = %v, want the error fn returned", err)
		}
		var next numbers
		MustWrite(t, s, func(tx ncm.Tx) (err error) { next, err = createOneOfEach(t, tx, "next"); return err })
		if diff := cmp.Diff(lost, next); diff != "" {
			t.Errorf("numbers after a rolled-back write (-rolled back +next):\n%s", diff)
		}
	})
	t.Run("PanicRollsBack", func(t *testing.T) {
		var lost numbers
		func() {
			defer func() {
				if p := recover(); p != errBoom {
					t.Fatalf("recovered %v, want the panic of fn", p)
				}
			}()
			s.Write(ctx, func(tx ncm.Tx) (err error) {
				lost, _ = createOneOfEach(t, tx, "panic")
				panic(errBoom)
			})
		}()
		MustRead(t, s, func(tx ncm.Tx) error {
			_, err := tx.CertificateByNo(ctx, lost.Certificate)
			wantErr(t, err, ncm.ENOTFOUND, ncm.CodeNoCertificate)
			return nil
		})
	})
	t.Run("NeverRepeat", func(t *testing.T) {
		seen := map[string]bool{}
		var prev numbers
		for i := range 20 {
			var n numbers
			MustWrite(t, s, func(tx ncm.Tx) (err error) { n, err = createOneOfEach(t, tx, fmt.Sprintf("n%d", i)); return err })
			for _, k := range []string{"m" + n.Member, fmt.Sprint("o", n.Organization), fmt.Sprint("r", n.Order),
				fmt.Sprint("c", n.Certificate), fmt.Sprint("e", n.Event)} {
				if seen[k] {
					t.Fatalf("number %s assigned twice", k)
				}
				seen[k] = true
			}
			if i > 0 && (n.Certificate <= prev.Certificate || n.Order <= prev.Order || n.Event <= prev.Event) {
				t.Fatalf("numbers went down: %+v after %+v", n, prev)
			}
			prev = n
		}
	})
}

func testTransactions(t *testing.T, s ncm.Store) {
	ctx := context.Background()
	t.Run("ReadIsReadOnly", func(t *testing.T) {
		err := s.Read(ctx, func(tx ncm.Tx) error { return tx.CreateMember(ctx, &ncm.Member{No: "1", Name: "x"}) })
		if ncm.ErrorKind(err) != ncm.EINTERNAL {
			t.Fatalf("CreateMember in Read = %v, want an EINTERNAL error", err)
		}
		MustRead(t, s, func(tx ncm.Tx) error {
			n, err := tx.CountMembers(ctx)
			if n != 0 {
				t.Errorf("CountMembers = %d after a write in Read, want 0", n)
			}
			return err
		})
	})
	t.Run("ConcurrentWrites", func(t *testing.T) {
		// Writers queue for the writer; none fails with a lock error.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				errs <- s.Write(ctx, func(tx ncm.Tx) error {
					_, err := createOneOfEach(t, tx, "")
					return err
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent Write: %v", err)
			}
		}
	})
}

func testReopen(t *testing.T, dsn string) {
	ctx := context.Background()
	s := MustOpen(t, dsn)
	var c *ncm.Certificate
	MustWrite(t, s, func(tx ncm.Tx) error {
		m := &ncm.Member{Name: "kept", CreatedAt: t0}
		if err := tx.CreateMember(ctx, m); err != nil {
			return err
		}
		c = MustCertificate(t, tx, fullCertificate(m.No, MustOrder(t, tx, m.No), 0, "kept"))
		return nil
	})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = MustOpen(t, dsn)
	MustRead(t, s, func(tx ncm.Tx) error {
		got, err := tx.Certificate(ctx, c.MemberNo, c.No)
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("Certificate after reopen (-want +got):\n%s", diff)
		}
		return err
	})
	MustWrite(t, s, func(tx ncm.Tx) error {
		next := MustCertificate(t, tx, advanced(c.MemberNo, 0, "after-reopen"))
		if next.No != c.No+1 {
			t.Errorf("certificateNo after reopen = %d, want %d", next.No, c.No+1)
		}
		return nil
	})
}

func testConcurrentOpen(t *testing.T, dsn string) {
	// Nodes starting together each run the migrations; exactly one applies
	// them and the others find them applied.
	var wg sync.WaitGroup
	stores := make([]*sqlstore.DB, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = sqlstore.Open(context.Background(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	member := MustMember(t, stores[0])
	MustRead(t, stores[3], func(tx ncm.Tx) error {
		_, err := tx.Member(context.Background(), member)
		return err
	})
}
