package ncpapi

import "encoding/json"

// ListAdvancedCertificatesResponse is the answer of
// GET /api/v2/certificate/getPaidCertificates (the seed operation).
type ListAdvancedCertificatesResponse struct {
	Result
	TotalCount int             `json:"totalCount"`
	Orders     []AdvancedOrder `json:"orders"`
}

// AdvancedOrder is one order of ListAdvancedCertificatesResponse.
type AdvancedOrder struct {
	OrderID      string                `json:"orderId"`
	Certificates []AdvancedCertificate `json:"certificates"`
}

// UnmarshalJSON also accepts the legacy key orderID.
func (o *AdvancedOrder) UnmarshalJSON(b []byte) error {
	type plain AdvancedOrder
	var v struct {
		plain
		Legacy string `json:"orderID"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = AdvancedOrder(v.plain)
	if o.OrderID == "" {
		o.OrderID = v.Legacy
	}
	return nil
}

// AdvancedCertificate is one certificate of an order, exactly the keys of the
// seed's response example plus the 2026-09-17 additions. Every key is always
// present; dates that do not exist yet (notAfter while Ongoing) are null.
type AdvancedCertificate struct {
	CertificateNo      int64   `json:"certificateNo"`
	CertificateName    string  `json:"certificateName"`
	MemberNo           string  `json:"memberNo"`
	CommonName         string  `json:"commonName"`
	DNSName            string  `json:"dnsName"`
	StatusCode         string  `json:"statusCode"`
	StatusName         string  `json:"statusName"`
	CertificateType    string  `json:"certificateType"`
	DomainCode         string  `json:"domainCode"`
	UpdateDate         string  `json:"updateDate"`
	OrderID            string  `json:"orderId"`
	IssueType          string  `json:"issueType"`
	SubjectDN          string  `json:"subjectDN"`
	RegistDate         string  `json:"registDate"`
	NotAfter           *string `json:"notAfter"`
	CertPublicKeyInfo  string  `json:"certPublicKeyInfo"`
	Issuer             string  `json:"issuer"`
	SerialNumber       string  `json:"serialNumber"`
	SignatureAlgorithm string  `json:"signatureAlgorithm"`
	IssueDate          *string `json:"issueDate"`
	NotBefore          *string `json:"notBefore"`
	RevokeDate         *string `json:"revokeDate"`
	UsedInstanceNoList string  `json:"usedInstanceNoList"`

	// Legacy names from the seed's field table, emitted beside the current
	// ones only with the server's --legacy-field-names option.
	LegacyOrderID             string `json:"orderID,omitempty"`
	LegacyCertificateTypeCode string `json:"certificateTypeCode,omitempty"`
}

// UnmarshalJSON accepts statusCode as a string or number and the legacy
// names orderID and certificateTypeCode.
func (c *AdvancedCertificate) UnmarshalJSON(b []byte) error {
	type plain AdvancedCertificate
	var v struct {
		plain
		StatusCode FlexString `json:"statusCode"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = AdvancedCertificate(v.plain)
	c.StatusCode = string(v.StatusCode)
	if c.OrderID == "" {
		c.OrderID = c.LegacyOrderID
	}
	if c.CertificateType == "" {
		c.CertificateType = c.LegacyCertificateTypeCode
	}
	return nil
}

// AdvancedCertificateRequest is the body of
// POST /api/v2/certificate/requestPaidCertificateIssuance.
type AdvancedCertificateRequest struct {
	CSR              string   `json:"csr"`
	CertificateType  string   `json:"certificateType"`
	CertificateName  string   `json:"certificateName"`
	CommonName       string   `json:"commonName"`
	DNSName          []string `json:"dnsName,omitempty"`
	ValidationMethod string   `json:"validationMethod"`
	OrganizationNo   FlexInt  `json:"organizationNo,omitempty"`
	// Documented since 2026-09-17 without a definition; accepted, see
	// docs/compat.md.
	KeyAlgorithm       string `json:"keyAlgorithm,omitempty"`
	RequestToken       string `json:"requestToken,omitempty"`
	SubscriptionPeriod string `json:"subscriptionPeriod,omitempty"`
}

// AdvancedCertificateResponse answers an Advanced certificate request.
type AdvancedCertificateResponse struct {
	RowsResult
	PaidCertificate *PaidCertificate `json:"paidCertificate"`
}

// PaidCertificate is the request result inside AdvancedCertificateResponse.
type PaidCertificate struct {
	CertificateNo    int64      `json:"certificateNo"`
	CertificateName  string     `json:"certificateName"`
	OrderID          string     `json:"orderId"`
	CertificateType  string     `json:"certificateType"`
	CommonName       string     `json:"commonName"`
	DNSName          string     `json:"dnsName"`
	ValidationMethod string     `json:"validationMethod"`
	StatusCode       FlexString `json:"statusCode"`
	StatusName       string     `json:"statusName"`
	RegistDate       string     `json:"registDate"`
}

// RegisterPrivateKeyRequest is the body of
// POST /api/v2/certificate/registPrivateKey.
type RegisterPrivateKeyRequest struct {
	CertificateNo FlexInt `json:"certificateNo"`
	PrivateKey    string  `json:"privateKey"`
}
