package ncm

import (
	"context"
	"time"
)

// LifecycleTx is the part of Tx for the Advanced certificate lifecycle:
// domain validation records, orders, leased background jobs, events and the
// emulator's shared state (clock, faults).
type LifecycleTx interface {
	// OrderByID finds an order of any member. For background work only.
	OrderByID(ctx context.Context, id int64) (*Order, error)
	// ListOrders pages over the member's orders by ID. PageSize 0 returns
	// every order; Total counts all of them.
	ListOrders(ctx context.Context, memberNo string, page, pageSize int) (*OrderPage, error)
	// OrderCertificates returns the certificates of one order of the member
	// that are not deleted, by number.
	OrderCertificates(ctx context.Context, memberNo string, orderID int64) ([]*Certificate, error)

	// CreateDCV stores d, assigning d.ID ("validSn").
	CreateDCV(ctx context.Context, d *DCV) error
	// DCVs returns the validation records of a certificate by ID.
	DCVs(ctx context.Context, certificateNo int64) ([]*DCV, error)
	// UpdateDCV saves the mutable fields of d. ENOTFOUND if absent.
	UpdateDCV(ctx context.Context, d *DCV) error

	// CreateDomain stores d, assigning d.ID ("dmnId"). ECONFLICT if the
	// member has a domain of that address and dcvType already.
	CreateDomain(ctx context.Context, d *Domain) error
	// Domain returns ENOTFOUND (CodeNothingFound) if the member has no such
	// domain.
	Domain(ctx context.Context, memberNo string, id int64) (*Domain, error)
	// DomainByID finds a domain of any member. For background work only.
	DomainByID(ctx context.Context, id int64) (*Domain, error)
	// DomainByAddress returns the member's domain of that address and
	// dcvType, ENOTFOUND if there is none.
	DomainByAddress(ctx context.Context, memberNo, address, dcvType string) (*Domain, error)
	// ListDomains pages over the member's domains matching f, by ID.
	ListDomains(ctx context.Context, memberNo string, f DomainFilter) ([]*Domain, int, error)
	// UpdateDomain saves the mutable fields of d. ENOTFOUND if absent.
	UpdateDomain(ctx context.Context, d *Domain) error
	// DeleteDomain removes the member's domain. ENOTFOUND if absent.
	DeleteDomain(ctx context.Context, memberNo string, id int64) error

	// CreateEabAccount stores a, assigning a.ID.
	CreateEabAccount(ctx context.Context, a *EabAccount) error
	// EabAccount returns ENOTFOUND if the member has no such account.
	EabAccount(ctx context.Context, memberNo string, id int64) (*EabAccount, error)
	// ListEabAccounts returns the member's EAB accounts by ID.
	ListEabAccounts(ctx context.Context, memberNo string) ([]*EabAccount, error)
	// UpdateEabAccount saves the mutable fields of a. ENOTFOUND if absent.
	UpdateEabAccount(ctx context.Context, a *EabAccount) error

	// RecentEvents returns the member's events with from < At <= to, by ID.
	RecentEvents(ctx context.Context, memberNo string, from, to time.Time) ([]*Event, error)

	// EnqueueJob schedules j. If an unfinished job of the same kind and
	// subject exists, it is moved to j.DueAt instead (and j.ID set to it),
	// so a job is never queued twice.
	EnqueueJob(ctx context.Context, j *Job) error
	// ClaimJobs leases up to limit unfinished jobs that are due at now and
	// not leased (or whose lease ended before now) to owner until
	// leaseUntil, counting an attempt on each. On PostgreSQL rows another
	// node is claiming are skipped, never waited for.
	ClaimJobs(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*Job, error)
	// CompleteJob marks a job done at now. ECONFLICT if owner no longer
	// holds its lease (another node took it over) or it is done already:
	// the caller must then roll back the job's effect.
	CompleteJob(ctx context.Context, id int64, owner string, now time.Time) error
	// RetryJob gives the lease up and schedules the job again at dueAt,
	// recording why it failed. ECONFLICT like CompleteJob.
	RetryJob(ctx context.Context, id int64, owner string, dueAt time.Time, lastError string) error
	// Jobs returns the jobs of a subject, by ID (operators and tests).
	Jobs(ctx context.Context, kind string, subject int64) ([]*Job, error)

	// Emulator state (package emulator, ncm serve --emulator).

	// EmulatorState returns the emulator's shared state (the zero state on
	// a database that never ran the emulator).
	EmulatorState(ctx context.Context) (*EmulatorState, error)
	// LockEmulatorState is EmulatorState for a read-modify-write: on
	// PostgreSQL it locks the state until the transaction ends, so
	// concurrent changes of the clock queue instead of losing one.
	LockEmulatorState(ctx context.Context) (*EmulatorState, error)
	// SaveEmulatorState replaces the emulator's shared state with s.
	SaveEmulatorState(ctx context.Context, s *EmulatorState) error
	// AddFault stores f, assigning f.ID.
	AddFault(ctx context.Context, f *Fault) error
	// Faults returns the faults with requests left, oldest first.
	Faults(ctx context.Context) ([]*Fault, error)
	// TakeFault consumes one request of the oldest fault with requests left
	// for route or for every route (FaultAnyRoute), and returns it with
	// Remaining already decremented; nil when there is none. One request
	// consumes exactly one: concurrent takers never share a count.
	TakeFault(ctx context.Context, route string) (*Fault, error)
	// ClearFaults deletes every fault and returns how many had requests
	// left.
	ClearFaults(ctx context.Context) (int, error)
	// ResetEmulator empties the database for the control plane's reset:
	// every member's certificates, orders, organizations, events, jobs,
	// domains, faults and all else, and every member but the first (the
	// main account created at bootstrap) with its access keys. The CA, the
	// number counters, the schema version and the emulator state are kept.
	// Returns the member number kept ("" when there was no member).
	ResetEmulator(ctx context.Context) (string, error)
}

// OrderPage is one page of ListOrders.
type OrderPage struct {
	Total  int
	Orders []*Order
}

// DCVOutcome is how the control plane (or an operator) settles a domain
// validation without DNS.
type DCVOutcome string

// Domain validation outcomes.
const (
	DCVPass    DCVOutcome = "pass"
	DCVFail    DCVOutcome = "fail"
	DCVTimeout DCVOutcome = "timeout"
)

// DCVStatus is a validation record's status ("validStatusCode").
type DCVStatus string

// Validation statuses of ListDcvStatuses; DCVFailed is ncm's own, for a
// validation an operator failed.
const (
	DCVPending  DCVStatus = "VALID_STATUS_REG"
	DCVSuccess  DCVStatus = "VALID_STATUS_SUCCESS"
	DCVTimedOut DCVStatus = "VALID_STATUS_TIMEOUT"
	DCVFailed   DCVStatus = "VALID_STATUS_FAIL"
)

// DCV is the domain validation of one domain of one certificate request:
// the TXT record to publish and how far checking it has come.
type DCV struct {
	ID            int64 // "validSn"
	MemberNo      string
	CertificateNo int64
	Domain        string // as requested, e.g. "*.example.com"
	Method        string // ValidationDNS or ValidationPersistentDNS
	RecordName    string // e.g. "_dnsauth.example.com"
	RecordValue   string
	Status        DCVStatus
	Reused        bool // passed from an earlier validation, without a new check
	Attempts      int
	LastCheck     *time.Time
	Deadline      time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Domain is a domain of a member with its validation (the domains API): a
// pre-validated domain registered through RegisterDomain, or one validated
// by a certificate request. A VALID domain that has not expired validates
// later requests without a new check.
type Domain struct {
	ID             int64 // "dmnId"
	MemberNo       string
	Address        string
	DCVType        string // DomainPTXT or DomainTXT
	IssueType      string // "CONSOLE" or "ACME"
	OrganizationNo int64
	RecordName     string
	RecordValue    string
	ValidState     string // DomainPending, DomainValid, DomainInvalid
	ValidatedAt    *time.Time
	ExpiresAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Domain validation types and states (api-reference §3.5).
const (
	DomainPTXT    = "PTXT"
	DomainTXT     = "TXT"
	DomainPending = "PENDING"
	DomainValid   = "VALID"
	DomainInvalid = "INVALID"
)

// DomainFilter narrows ListDomains. Empty fields match anything; Page is
// 1-based and PageSize 0 means all.
type DomainFilter struct {
	Address        string
	DCVType        string
	OrganizationNo int64
	ValidState     string
	Page, PageSize int
}

// EabAccount is an ACME account's External Account Binding credential.
type EabAccount struct {
	ID                  int64
	MemberNo            string
	Status              string // "pending", "valid", "deactivated"
	ValidationMode      string // "PRE" or "DNS01"
	CertificateTypeCode string // "NPD_01" or "NPO_01"
	ValidityDays        int
	Alias               string
	ContactEmail        string
	OrganizationNo      int64
	KeyID               string // "eabKid"
	HMACKeySealed       []byte // sealed with LabelEabHMACKey
	Used                bool
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// LabelEabHMACKey is the seal label of EAB HMAC keys.
const LabelEabHMACKey = "eab-hmac-key"

// Job is a unit of background work, leased so that many nodes can share
// the queue without doing anything twice.
type Job struct {
	ID         int64
	Kind       string
	Subject    int64 // certificate number, order ID or domain ID, by Kind
	DueAt      time.Time
	LeaseOwner string
	LeaseUntil *time.Time
	Attempts   int
	LastError  string
	DoneAt     *time.Time
	CreatedAt  time.Time
}

// Job kinds.
const (
	JobDCVCheck        = "dcv-check"        // check the TXT records of a certificate request
	JobDomainCheck     = "domain-check"     // check the TXT record of a registered domain
	JobExpire          = "expire"           // record a certificate's expiry at notAfter
	JobRenew           = "renew"            // renew a certificate inside its renewal window
	JobSubscriptionEnd = "subscription-end" // record the end of an order's subscription
)

// Event kinds beyond those of ncm.go.
const (
	EventValidationFailed   = "validation-failed"
	EventValidationTimedOut = "validation-timed-out"
	EventExpired            = "expired"
	EventRevoked            = "revoked"
	EventReissueRequested   = "reissue-requested"
	EventRenewalRequested   = "renewal-requested"
	EventRenewalOn          = "renewal-on"
	EventRenewalOff         = "renewal-off"
	EventSubscriptionExtend = "subscription-extended"
	EventSubscriptionEnded  = "subscription-ended"
)

// Result codes of the lifecycle operations (ncm's own, see docs/compat.md).
const (
	CodeNotExtendable = "26160" // the subscription cannot be extended (now, or by that much)
	CodeDomainTaken   = "26170" // the domain is registered already with that dcvType
	CodeEabState      = "26180" // the EAB credential's status forbids the action
)

// EmulatorState is the control plane's state shared by every node and by
// `ncm admin` on the same database (ncm serve --emulator).
type EmulatorState struct {
	// Enabled says the database is served in emulator mode, so operator
	// commands read the emulated clock too.
	Enabled bool
	// ClockOffset is added to the real time while the clock runs.
	ClockOffset time.Duration
	// ClockFrozenAt, when set, is the time the clock shows, standing still.
	ClockFrozenAt *time.Time
	// AdminTokenHash is the SHA-256 of the control plane's admin token.
	AdminTokenHash []byte
	UpdatedAt      time.Time
}

// Fault makes the next Remaining requests to Route fail or slow down
// (control plane, POST /_ncm/v1/faults).
type Fault struct {
	ID int64
	// Route is a route pattern of the API ("GET /api/v2/certificate/
	// getPaidCertificates") or FaultAnyRoute.
	Route     string
	Remaining int
	// Status is the HTTP status to answer; 0 with a ReturnCode answers a
	// business error with HTTP 200; 0 without one only adds Latency.
	Status     int
	ReturnCode string
	Message    string
	// Latency is waited before answering (or before passing the request
	// on).
	Latency   time.Duration
	CreatedAt time.Time
}

// FaultAnyRoute is the Route of a fault that applies to every API route.
const FaultAnyRoute = "*"
