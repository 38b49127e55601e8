// Package ncm is the vocabulary of ncm, an open implementation of NAVER Cloud
// Platform's Certificate Manager API: members, access keys, orders,
// certificates, organizations and events, their status and type codes, the
// error type, and the interfaces (Store, Issuer, Sealer, Clock) that the
// adapters in the subpackages implement.
//
// This package imports only the standard library. Adapters are named after
// what they wrap (sqlstore, localca, masterkey, httpapi, client) and never
// import each other; only cmd/ncm wires them together.
package ncm

import (
	"strconv"
	"time"
)

// Member is an NCP account. Every stored row belongs to one member.
type Member struct {
	// No is the member number ("memberNo" on the wire), a decimal string.
	No        string
	Name      string
	CreatedAt time.Time
}

// KeyKind says whether an access key belongs to the main account or a sub
// account. NCP answers every API 2.0 call made with a sub-account key with an
// empty HTTP 403.
type KeyKind string

// Access key kinds.
const (
	KeyMain KeyKind = "main"
	KeySub  KeyKind = "sub"
)

// AccessKey is an API credential. The secret is kept sealed (encrypted under
// the master key) because the server must recompute the HMAC and so cannot
// store a hash.
type AccessKey struct {
	ID           string
	MemberNo     string
	Kind         KeyKind
	SecretSealed []byte
	Disabled     bool
	CreatedAt    time.Time
}

// Organization is a company whose details an OV certificate carries.
type Organization struct {
	No                       int64
	MemberNo                 string
	NameKor                  string
	NameEng                  string
	BusinessRegistrationNo   string
	Country                  string // ISO 3166 two-letter code, e.g. "KR"
	State                    string
	Locality                 string
	VerificationType         string // "BUSINESS_REGISTRATION"
	VerificationProgressCode int    // 7 = verification complete
	CreatedAt                time.Time
}

// OrganizationFilter narrows ListOrganizations. Empty fields match anything.
type OrganizationFilter struct {
	NameKor                  string
	NameEng                  string
	BusinessRegistrationNo   string
	VerificationProgressCode *int
}

// Order is the purchase of an Advanced certificate: a subscription that holds
// the original certificate and later reissues and renewals.
type Order struct {
	ID                int64 // "orderId" on the wire, as a decimal string
	MemberNo          string
	CertificateType   CertificateType
	OrganizationNo    int64 // 0 for DV
	SubscriptionYears int
	// SubscriptionStart and SubscriptionEnd are nil until the first
	// certificate of the order is issued.
	SubscriptionStart *time.Time
	SubscriptionEnd   *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// IDString is the order number as the wire carries it.
func (o *Order) IDString() string { return strconv.FormatInt(o.ID, 10) }

// Certificate is one certificate: imported, or requested and issued within an
// order. Metadata is extracted once when the PEM arrives, so listing never
// parses PEM again.
type Certificate struct {
	No             int64
	MemberNo       string
	OrderID        int64 // 0 when the certificate belongs to no order
	Name           string
	Type           CertificateType
	Status         Status
	IssueType      IssueType
	DomainCode     string // the server's zone: PUB, GOV or FIN
	OrganizationNo int64

	// What was requested (and, once issued, what the certificate says).
	CommonName       string
	DNSNames         []string // SAN DNS names in certificate order
	ValidationMethod string   // "D" or "PD" for requested certificates

	// Metadata of the issued or imported certificate; empty until issued.
	SubjectDN          string
	Issuer             string
	SerialNumber       string
	SignatureAlgorithm string
	PublicKeyInfo      string
	Fingerprint        string // lower-case hex SHA-256 of the leaf DER
	NotBefore          *time.Time
	NotAfter           *time.Time
	IssueDate          *time.Time
	RevokeDate         *time.Time

	RegistDate time.Time
	UpdateDate time.Time

	CSRPEM           string
	CertificatePEM   string
	ChainPEM         string // intermediates then root, leaf-up order
	PrivateKeySealed []byte // PKCS#8, sealed; nil when not registered

	RenewalEnabled  bool
	UsedInstanceNos []string
}

// EffectiveStatus is the status a caller sees at time now. An issued
// certificate past its notAfter is shown as expired at once, even before any
// background job has recorded the change.
func (c *Certificate) EffectiveStatus(now time.Time) Status {
	if c.NotAfter != nil && now.After(*c.NotAfter) {
		switch c.Status {
		case StatusNormal, StatusNormalNoKey, StatusNormalGlobalEdge:
			return StatusExpired
		}
	}
	return c.Status
}

// OrderCertificates is one order with the certificates of it that matched a
// listing filter, in certificate number order.
type OrderCertificates struct {
	Order        *Order
	Certificates []*Certificate
}

// AdvancedFilter narrows the Advanced certificate listing.
type AdvancedFilter struct {
	// CertificateName, when set, keeps only certificates with exactly this name.
	CertificateName string
	// Page is 1-based. PageSize 0 means every matching order.
	Page     int
	PageSize int
}

// AdvancedPage is one page of the Advanced certificate listing. Paging counts
// orders; Total is the number of matching orders over all pages.
type AdvancedPage struct {
	Total  int
	Orders []OrderCertificates
}

// Event records one state change of a certificate or order. Events feed
// recentChanges, audits and notifications.
type Event struct {
	ID            int64
	MemberNo      string
	OrderID       int64
	CertificateNo int64
	Kind          string // e.g. "requested", "validated", "issued", "key-registered"
	Status        Status // the certificate's status after the change
	At            time.Time
}

// Event kinds.
const (
	EventRequested     = "requested"
	EventValidated     = "validated"
	EventIssued        = "issued"
	EventKeyRegistered = "key-registered"
)

// CAMaterial is the local CA as stored: certificates in PEM, keys sealed.
type CAMaterial struct {
	RootPEM               string
	RootKeySealed         []byte
	IntermediatePEM       string
	IntermediateKeySealed []byte
	CreatedAt             time.Time
}
