package ncm

import (
	"context"
	"time"
)

// CertificateTx is the part of Tx for certificate intake and the
// certificate API (register, list, chain, download, delete, instances).
//
// Deleting is soft: the row stays with status StatusDeleted (so events,
// audits and the number stay meaningful), its sealed private key is wiped,
// and it leaves every listing and look-up of this interface. Its name is
// freed at once: names are unique among the member's certificates that are
// not deleted. Numbers come from a counter and are never reused.
type CertificateTx interface {
	// ListCertificates pages over the member's certificates that are not
	// deleted and match f, by certificate number. Total counts every
	// matching certificate over all pages. Page < 1 is page 1; PageSize 0
	// returns every match. EINVALID for a negative PageSize.
	ListCertificates(ctx context.Context, memberNo string, f CertificateFilter) (*CertificatePage, error)
	// CertificateByFingerprint returns the member's certificate, not
	// deleted, whose leaf has this SHA-256 fingerprint (lower-case hex);
	// ENOTFOUND (CodeNoCertificate) if there is none.
	CertificateByFingerprint(ctx context.Context, memberNo, fingerprint string) (*Certificate, error)
	// DeleteCertificate marks the member's certificate deleted at time at,
	// wipes its sealed private key and frees its name. ENOTFOUND
	// (CodeNoCertificate) if the member has no such certificate or it is
	// deleted already.
	DeleteCertificate(ctx context.Context, memberNo string, no int64, at time.Time) error
}

// CertificateFilter narrows ListCertificates. Zero fields match anything.
type CertificateFilter struct {
	// Name keeps only the certificate of exactly this name.
	Name string
	// No keeps only the certificate of this number.
	No int64
	// InstanceNo keeps only certificates used by this instance (a load
	// balancer or CDN instance, see Certificate.UsedInstanceNos).
	InstanceNo string
	// Types keeps only certificates of these types.
	Types []CertificateType
	// Page is 1-based. PageSize 0 means every match.
	Page     int
	PageSize int
}

// CertificatePage is one page of ListCertificates.
type CertificatePage struct {
	// Total is the number of matching certificates over all pages.
	Total        int
	Certificates []*Certificate
}

// CodeDuplicateCertificate is the result code of an upload of a certificate
// the member already has (same leaf DER, whatever the line endings); NCP's
// documents only say "no duplicates".
const CodeDuplicateCertificate = "26121"

// Event kinds of certificate intake.
const (
	EventImported = "imported"
	EventRenewed  = "renewal-registered"
	EventDeleted  = "deleted"
	EventAttached = "instance-attached"
	EventDetached = "instance-detached"
)
