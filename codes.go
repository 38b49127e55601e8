package ncm

import "strconv"

// Status is a certificate's status code ("statusCode" on the wire).
type Status int

// Certificate status codes, from the ListCertificates page of the NCP API.
const (
	StatusOngoing            Status = 0
	StatusNormal             Status = 1
	StatusNormalNoKey        Status = 2 // issued; private key not registered
	StatusNormalGlobalEdge   Status = 3
	StatusFailed             Status = -1
	StatusExpired            Status = -2
	StatusValidationFailed   Status = -3
	StatusValidationTimedOut Status = -4
	StatusRevoked            Status = -5
	StatusDeleted            Status = -6
	StatusRevokeRequested    Status = -7
	StatusFailedLint         Status = -11
	StatusFailedCT           Status = -12
	StatusFailedOther        Status = -20
)

// Code is the status as the wire carries it in list items: a decimal string.
func (s Status) Code() string { return strconv.Itoa(int(s)) }

// Name is the display label ("statusName"). The labels follow the seed
// document ("Ongoing") and recentChanges ("Normal", "Validation timed out");
// see docs/compat.md. Clients must key on the code.
func (s Status) Name() string {
	switch s {
	case StatusOngoing:
		return "Ongoing"
	case StatusNormal:
		return "Normal"
	case StatusNormalNoKey:
		return "Normal (private key not registered)"
	case StatusNormalGlobalEdge:
		return "Normal (Global Edge dedicated)"
	case StatusFailed, StatusFailedOther:
		return "Failed"
	case StatusExpired:
		return "Expired"
	case StatusValidationFailed:
		return "Validation failed"
	case StatusValidationTimedOut:
		return "Validation timed out"
	case StatusRevoked:
		return "Revoked"
	case StatusDeleted:
		return "Deleted"
	case StatusRevokeRequested:
		return "Revocation requested"
	case StatusFailedLint:
		return "Failed (lint)"
	case StatusFailedCT:
		return "Failed (CT)"
	}
	return "Unknown"
}

// CertificateType is a certificate type code.
type CertificateType string

// Certificate type codes (api-reference §3.2).
const (
	TypeFreeDV     CertificateType = "NCP_FREE_DV_01"
	TypePaidDV     CertificateType = "NCP_PAID_DV_01"
	TypePaidOV     CertificateType = "NCP_PAID_OV_01"
	TypeGlobalEdge CertificateType = "NCP_GLOBAL_EDGE_DEDICATED"
	TypeExternal   CertificateType = "EXTERNAL"
)

// IsAdvanced reports whether t is a paid (Advanced DV or OV) type.
func (t CertificateType) IsAdvanced() bool { return t == TypePaidDV || t == TypePaidOV }

// IssueType says how a certificate came to be.
type IssueType string

// Issue types.
const (
	IssueOriginal IssueType = "ORIGINAL"
	IssueReissue  IssueType = "REISSUE"
	IssueRenewal  IssueType = "RENEWAL"
	IssueExternal IssueType = "EXTERNAL"
)

// Validation methods of a certificate request.
const (
	ValidationDNS           = "D"  // one-time random TXT value
	ValidationPersistentDNS = "PD" // persistent TXT value, reused later
)

// Zones ("domainCode").
const (
	ZonePublic     = "PUB"
	ZoneGovernment = "GOV"
	ZoneFinancial  = "FIN"
)
