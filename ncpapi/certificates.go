package ncpapi

import "encoding/json"

// V1Certificate is one sslCertificateList item of API 1.0
// (getCertificateList, createExternalCertificate), with the fields of
// api-reference §2.1.1. Every key is always present; dates that do not exist
// (disuseDate of a live certificate) are null.
type V1Certificate struct {
	CertificateNo   int64  `json:"certificateNo"`
	CertificateType string `json:"certificateType"`
	CertificateName string `json:"certificateName"`
	MemberNo        string `json:"memberNo"`
	// DNInfo is the subject DN, in the subjectDN form.
	DNInfo        string `json:"dnInfo"`
	DomainAddress string `json:"domainAddress"`
	// SubDomainAddress is the SAN DNS names joined by ",".
	SubDomainAddress      string  `json:"subDomainAddress"`
	RegDate               string  `json:"regDate"`
	UpdateDate            string  `json:"updateDate"`
	IssueDate             *string `json:"issueDate"`
	ValidStartDate        *string `json:"validStartDate"`
	ValidEndDate          *string `json:"validEndDate"`
	DisuseDate            *string `json:"disuseDate"`
	DisuseMsg             string  `json:"disuseMsg"`
	RequestID             string  `json:"requestId"`
	StatusCode            string  `json:"statusCode"`
	StatusName            string  `json:"statusName"`
	ExternalYn            string  `json:"externalYn"`
	DomainCode            string  `json:"domainCode"`
	CAInfo                string  `json:"caInfo"`
	CertSerialNumber      string  `json:"certSerialNumber"`
	CertPublicKeyInfo     string  `json:"certPublicKeyInfo"`
	CertSignAlgorithmName string  `json:"certSignAlgorithmName"`
	UsedInstanceNoList    string  `json:"usedInstanceNoList"`
}

// UnmarshalJSON accepts certificateNo and statusCode as strings or numbers,
// as the third-party clients of the live API model them differently.
func (c *V1Certificate) UnmarshalJSON(b []byte) error {
	type plain V1Certificate
	var v struct {
		plain
		CertificateNo FlexInt    `json:"certificateNo"`
		StatusCode    FlexString `json:"statusCode"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = V1Certificate(v.plain)
	c.CertificateNo = int64(v.CertificateNo)
	c.StatusCode = string(v.StatusCode)
	return nil
}

// V1CertificateListResponse answers GET /api/v1/certificates and, with the
// new certificate as its only item, POST /api/v1/certificate/withExternal.
type V1CertificateListResponse struct {
	RowsResult
	SSLCertificateList []V1Certificate `json:"sslCertificateList"`
	// IntakeNotes is ncm's: what intake repaired or warns about on a
	// registration (e.g. "certificateChain was reordered leaf-up"). Absent
	// when empty and on lists.
	IntakeNotes []string `json:"intakeNotes,omitempty"`
}

// CreateExternalCertificateRequest is the body of
// POST /api/v1/certificate/withExternal.
type CreateExternalCertificateRequest struct {
	CertificateName      string `json:"certificateName"`
	PrivateKey           string `json:"privateKey"`
	PublicKeyCertificate string `json:"publicKeyCertificate"`
	CertificateChain     string `json:"certificateChain,omitempty"`
}

// RegisterExternalCertificateRequest is the body of
// POST /api/v2/certificate/withExternal. With CertificateNo it is a renewal
// registration. The server also accepts publicKeyCertificate (the API 1.0
// name) when certificateBody is absent.
type RegisterExternalCertificateRequest struct {
	CertificateName      string  `json:"certificateName"`
	CertificateNo        FlexInt `json:"certificateNo,omitempty"`
	PrivateKey           string  `json:"privateKey"`
	CertificateBody      string  `json:"certificateBody"`
	PublicKeyCertificate string  `json:"publicKeyCertificate,omitempty"`
	CertificateChain     string  `json:"certificateChain,omitempty"`
}

// CertificateListResponse answers ListCertificates
// (GET /api/v2/certificate/certificates) and ListCloudCertificates
// (GET /api/v2/certificate/getCertificates). Its items have the keys of
// ListAdvancedCertificates' certificates, which are the documented
// ListCertificates keys plus registDate.
type CertificateListResponse struct {
	Result
	TotalCount         int                   `json:"totalCount"`
	SSLCertificateList []AdvancedCertificate `json:"sslCertificateList"`
}

// RegisterExternalCertificateResponse answers
// POST /api/v2/certificate/withExternal: totalRows 1 and the new (or
// renewed) certificate as the one sslCertificateList item.
type RegisterExternalCertificateResponse struct {
	RowsResult
	SSLCertificateList []AdvancedCertificate `json:"sslCertificateList"`
	// IntakeNotes: see V1CertificateListResponse.
	IntakeNotes []string `json:"intakeNotes,omitempty"`
}

// CertificateType is one item of ListCertificateTypes.
type CertificateType struct {
	Name                string `json:"name"`
	PricingPlan         string `json:"pricingPlan"`
	ValidationLevel     string `json:"validationLevel"`
	Validity            int    `json:"validity"`
	CA                  string `json:"ca"`
	CSRRequired         string `json:"csrRequired"`
	CertificateTypeCode string `json:"certificateTypeCode"`
}

// ListCertificateTypesResponse answers
// GET /api/v2/certificate/certificateTypes. The list's key is
// "certificatetype", all lower case, as NCP documents it.
type ListCertificateTypesResponse struct {
	Result
	TotalCount      int               `json:"totalCount"`
	CertificateType []CertificateType `json:"certificatetype"`
}

// CertificateChainResponse answers
// GET /api/v2/certificate/exportCertificate/{certificateNo}/chain. PEM has LF
// line endings (docs/compat.md); subCaCertificate holds every intermediate,
// leaf-up; rootCaCertificate is "" when no root was stored.
type CertificateChainResponse struct {
	RowsResult
	SubjectCommonName string `json:"subjectCommonName"`
	Certificate       string `json:"certificate"`
	SubCACertificate  string `json:"subCaCertificate"`
	RootCACertificate string `json:"rootCaCertificate"`
}

// DownloadCertificateRequest is the body of
// POST /api/v2/certificate/exportCertificate/{certificateNo}. Type is PEM
// (NCP's, the default) or ncm's PFX and JKS, which need Passwd. PFXEncoding
// is ncm's: "Modern2023" (default) or "LegacyDES".
type DownloadCertificateRequest struct {
	CertificateNo FlexInt `json:"certificateNo,omitempty"`
	Type          string  `json:"type,omitempty"`
	Passwd        string  `json:"passwd,omitempty"`
	PFXEncoding   string  `json:"pfxEncoding,omitempty"`
}

// Headers of a download answer, set by ncm: the format written and, for
// PFX, the encoding used (field case C32).
const (
	HeaderExportFormat = "x-ncm-export-format"
	HeaderPFXEncoding  = "x-ncm-pfx-encoding"
)
