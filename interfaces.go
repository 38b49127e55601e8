package ncm

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"time"
)

// Clock tells the time. Every time-dependent rule reads the same Clock, so
// tests and the emulator can move time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Sealer encrypts secrets at rest. Label binds a ciphertext to its purpose
// ("access-key-secret", "private-key", "ca-key"), so a sealed value cannot be
// moved into a field of another kind.
type Sealer interface {
	Seal(plaintext []byte, label string) ([]byte, error)
	// Open returns EINTERNAL if the ciphertext was altered, sealed under
	// another key or with another label.
	Open(sealed []byte, label string) ([]byte, error)
}

// Seal labels.
const (
	LabelAccessKeySecret = "access-key-secret"
	LabelPrivateKey      = "private-key"
	LabelCAKey           = "ca-key"
)

// IssueRequest asks an Issuer for a leaf certificate.
type IssueRequest struct {
	// PublicKey is the key to certify (from the CSR, or generated).
	PublicKey crypto.PublicKey
	// Subject is the subject to write: CN for DV, CN plus O, L, ST, C for OV.
	Subject   pkix.Name
	DNSNames  []string
	NotBefore time.Time
	NotAfter  time.Time
}

// Issued is a certificate an Issuer produced.
type Issued struct {
	Certificate *x509.Certificate
	// CertificatePEM is the leaf; ChainPEM the issuing intermediates and the
	// root, leaf-up.
	CertificatePEM string
	ChainPEM       string
}

// Issuer issues leaf certificates.
type Issuer interface {
	Issue(ctx context.Context, req IssueRequest) (*Issued, error)
}

// Store keeps ncm's state. Every read and every write runs in one transaction:
// nothing partial is ever stored.
type Store interface {
	// Read runs fn in a read-only transaction.
	Read(ctx context.Context, fn func(tx Tx) error) error
	// Write runs fn in a read-write transaction, committed if fn returns nil
	// and rolled back otherwise.
	Write(ctx context.Context, fn func(tx Tx) error) error
	Close() error
}

// Tx is one transaction of a Store. Methods that take a memberNo only see
// that member's rows; another member's object is ENOTFOUND, exactly like a
// missing one.
type Tx interface {
	// Method sets added by later features live in their own files (and
	// their own sqlstore files), so they can grow independently.
	CertificateTx // certstore.go: intake, lists, delete, instances
	LifecycleTx   // lifecycle.go: DCV, orders, jobs, events, emulator state
	GatewayTx     // gateway.go: replay nonces and other gateway state

	// CountMembers returns the number of members.
	CountMembers(ctx context.Context) (int, error)
	// CreateMember stores m, assigning m.No when it is empty.
	CreateMember(ctx context.Context, m *Member) error
	// Member returns ENOTFOUND if there is no such member.
	Member(ctx context.Context, memberNo string) (*Member, error)

	// CreateAccessKey stores k. ECONFLICT if the ID exists.
	CreateAccessKey(ctx context.Context, k *AccessKey) error
	// AccessKey returns ENOTFOUND if there is no key with this ID.
	AccessKey(ctx context.Context, id string) (*AccessKey, error)

	// CreateOrganization stores o, assigning o.No.
	CreateOrganization(ctx context.Context, o *Organization) error
	// Organization returns ENOTFOUND if the member has no such organization.
	Organization(ctx context.Context, memberNo string, no int64) (*Organization, error)
	// ListOrganizations returns the member's organizations by number.
	ListOrganizations(ctx context.Context, memberNo string, f OrganizationFilter) ([]*Organization, error)

	// CreateOrder stores o, assigning o.ID from the order sequence.
	CreateOrder(ctx context.Context, o *Order) error
	// Order returns ENOTFOUND if the member has no such order.
	Order(ctx context.Context, memberNo string, id int64) (*Order, error)
	// UpdateOrder saves every mutable field of o. ENOTFOUND if absent.
	UpdateOrder(ctx context.Context, o *Order) error

	// CreateCertificate stores c, assigning c.No from the certificate
	// sequence. Returns ECONFLICT with CodeNameTaken if the member already
	// has a certificate of that name.
	CreateCertificate(ctx context.Context, c *Certificate) error
	// Certificate returns ENOTFOUND if the member has no such certificate.
	Certificate(ctx context.Context, memberNo string, no int64) (*Certificate, error)
	// CertificateByNo finds a certificate of any member. For operators and
	// background work only, never for API callers.
	CertificateByNo(ctx context.Context, no int64) (*Certificate, error)
	// UpdateCertificate saves every mutable field of c. ENOTFOUND if absent.
	UpdateCertificate(ctx context.Context, c *Certificate) error
	// ListAdvanced pages over the member's orders holding Advanced
	// certificates that match f, orders by ID, certificates by number.
	// Listed certificates carry metadata only: CSRPEM, CertificatePEM,
	// ChainPEM and PrivateKeySealed are left empty (read one certificate
	// for those).
	ListAdvanced(ctx context.Context, memberNo string, f AdvancedFilter) (*AdvancedPage, error)

	// AppendEvent stores e, assigning e.ID.
	AppendEvent(ctx context.Context, e *Event) error

	// CA returns the stored local CA, ENOTFOUND if none was created yet.
	CA(ctx context.Context) (*CAMaterial, error)
	// CreateCA stores the local CA. ECONFLICT if one exists already.
	CreateCA(ctx context.Context, m *CAMaterial) error
}
