package ncpapi

// Wire types of the Advanced certificate lifecycle (api-reference
// §2.2.5-§2.8): orders, domain validation, reissue, revoke, renewal,
// subscription, Cloud Basic and Global Edge requests, domains,
// organizations and ACME EAB credentials.

// Order is an order of ListOrders and the body of GetOrder: the fields of
// api-reference §2.5 and its certificates, each exactly a
// getPaidCertificates item. Subscription dates are SubscriptionLayout in
// the display zone; they, remainingDays and extendableYears are null
// until the first certificate of the order is issued (extendableYears is
// then 0).
type Order struct {
	OrderID             string                `json:"orderId"`
	SubscriptionStartDt *string               `json:"subscriptionStartDt"`
	SubscriptionEndDt   *string               `json:"subscriptionEndDt"`
	SubscriptionYears   int                   `json:"subscriptionYears"`
	RemainingDays       *int                  `json:"remainingDays"`
	ExtendableYears     int                   `json:"extendableYears"`
	Certificates        []AdvancedCertificate `json:"certificates"`
}

// ListOrdersResponse answers GET /api/v2/certificate/orders.
type ListOrdersResponse struct {
	Result
	TotalCount int     `json:"totalCount"`
	Orders     []Order `json:"orders"`
}

// GetOrderResponse answers GET /api/v2/certificate/orders/{orderId};
// totalCount is the number of certificates.
type GetOrderResponse struct {
	Result
	TotalCount int `json:"totalCount"`
	Order
}

// SubscriptionExtendRequest is the body of
// POST /api/v2/certificate/subscription/extend.
type SubscriptionExtendRequest struct {
	OrderID            FlexString `json:"orderId"`
	SubscriptionPeriod string     `json:"subscriptionPeriod"`
}

// DCVStatusesResponse answers
// GET /api/v2/certificate/getVerificationInfo/{certificateNo}.
type DCVStatusesResponse struct {
	RowsResult
	DNSVerificationCount   int               `json:"dnsVerificationCount"`
	DNSVerificationList    []DNSVerification `json:"dnsVerificationList"`
	EmailVerificationCount int               `json:"emailVerificationCount"`
	EmailVerificationList  []any             `json:"emailVerificationList"`
}

// DNSVerification is one domain's DNS validation. txtValue,
// domainAddress, validationMethod and the dates are ncm's additions (NCP's
// page is cut after txtName).
type DNSVerification struct {
	ValidSn          int64   `json:"validSn"`
	RequestSn        string  `json:"requestSn"`
	ValidStatusCode  string  `json:"validStatusCode"`
	TxtName          string  `json:"txtName"`
	TxtValue         string  `json:"txtValue"`
	DomainAddress    string  `json:"domainAddress"`
	ValidationMethod string  `json:"validationMethod"`
	LastCheckDate    *string `json:"lastCheckDate"`
	ExpireDate       string  `json:"expireDate"`
}

// RecentChangesResponse answers GET /api/v2/certificate/recentChanges.
type RecentChangesResponse struct {
	Result
	TotalCount int            `json:"totalCount"`
	Orders     []RecentChange `json:"orders"`
}

// RecentChange is one certificate whose status changed. Note the name
// certificateId (NCP's page), not certificateNo; status is a display label
// ("Normal", "Ongoing", "Validation timed out", ...).
type RecentChange struct {
	OrderID       string `json:"orderId"`
	CertificateID int64  `json:"certificateId"`
	Status        string `json:"status"`
}

// ReissueRequest is the body of POST /api/v2/certificate/{no}/reissue.
type ReissueRequest struct {
	CSR              string   `json:"csr"`
	CertificateName  string   `json:"certificateName"`
	CommonName       string   `json:"commonName"`
	DNSName          []string `json:"dnsName,omitempty"`
	ValidationMethod string   `json:"validationMethod"`
}

// RevokeRequest is the body of POST /api/v2/certificate/revoke.
type RevokeRequest struct {
	OrderID       FlexString `json:"orderId"`
	CertificateNo FlexInt    `json:"certificateNo"`
	RevokeType    string     `json:"revokeType"`
}

// SetRenewalRequest is the body of
// POST /api/v2/certificate/setCertificateRenewal.
type SetRenewalRequest struct {
	CertificateNo FlexInt `json:"certificateNo"`
	RenewalYn     string  `json:"renewalYn"`
}

// CloudBasicRequest is the body of
// POST /api/v2/certificate/requestCertificateIssuance.
type CloudBasicRequest struct {
	CertificateName  string   `json:"certificateName"`
	CommonName       string   `json:"commonName"`
	DNSName          []string `json:"dnsName,omitempty"`
	ValidationMethod string   `json:"validationMethod"`
}

// CloudBasicResponse answers a Cloud Basic request: flat, as NCP documents
// it; certificateNo, statusCode and statusName are ncm's additions.
type CloudBasicResponse struct {
	RowsResult
	CertificateNo    int64  `json:"certificateNo"`
	CertificateName  string `json:"certificateName"`
	CommonName       string `json:"commonName"`
	DNSName          string `json:"dnsName"`
	ValidationMethod string `json:"validationMethod"`
	RequestSn        string `json:"requestSn"`
	StatusCode       string `json:"statusCode"`
	StatusName       string `json:"statusName"`
}

// GlobalEdgeRequest is the body of
// POST /api/v2/certificate/requestGedCertificateIssuance.
type GlobalEdgeRequest struct {
	CertificateName string   `json:"certificateName"`
	CommonName      string   `json:"commonName"`
	DNSName         []string `json:"dnsName,omitempty"`
}

// GlobalEdgeResponse answers a Global Edge request, nested under
// certificate.
type GlobalEdgeResponse struct {
	RowsResult
	Certificate *GlobalEdgeCertificate `json:"certificate"`
}

// GlobalEdgeCertificate is the request result of GlobalEdgeResponse.
// statusCode is an integer here, as NCP's page types it.
type GlobalEdgeCertificate struct {
	CertificateNo   int64  `json:"certificateNo"`
	CertificateName string `json:"certificateName"`
	StatusCode      int    `json:"statusCode"`
	StatusName      string `json:"statusName"`
	CommonName      string `json:"commonName"`
	DNSName         string `json:"dnsName"`
	RequestSn       string `json:"requestSn"`
}

// Domain is one item of ListDomainValidations (domainVldList[]) and the
// answer of RegisterDomain. Fields after dcvType are ncm's (NCP's page is
// cut there); dates use DateLayout.
type Domain struct {
	DmnID         int64   `json:"dmnId"`
	MemberNo      string  `json:"memberNo"`
	DomainAddress string  `json:"domainAddress"`
	DcvType       string  `json:"dcvType"`
	IssueType     string  `json:"issueType"`
	OrgNo         *int64  `json:"orgNo"`
	ValidState    string  `json:"validState"`
	TxtName       string  `json:"txtName"`
	TxtValue      string  `json:"txtValue"`
	ValidDate     *string `json:"validDate"`
	ExpireDate    *string `json:"expireDate"`
	RegDate       string  `json:"regDate"`
}

// ListDomainsResponse answers GET /api/v2/domain/domains. totalRows is
// the number of matching domains over all pages.
type ListDomainsResponse struct {
	RowsResult
	DomainVldList []Domain `json:"domainVldList"`
}

// RegisterDomainRequest is the body of POST /api/v2/domain/domains.
type RegisterDomainRequest struct {
	DmnAddr   string  `json:"dmnAddr"`
	DcvType   string  `json:"dcvType"`
	IssueType string  `json:"issueType"`
	OrgNo     FlexInt `json:"orgNo,omitempty"`
}

// RegisterDomainResponse answers RegisterDomain (NCP's page was not found;
// ncm answers the stored domain).
type RegisterDomainResponse struct {
	RowsResult
	Domain *Domain `json:"domain"`
}

// ListOrganizationsRequest is the body of
// POST /api/v2/organization/getOrganizationInfoList; every filter is
// optional.
type ListOrganizationsRequest struct {
	OrganizationNameKor      string   `json:"organizationNameKor,omitempty"`
	OrganizationNameEng      string   `json:"organizationNameEng,omitempty"`
	BusinessRegistrationNo   string   `json:"businessRegistrationNo,omitempty"`
	VerificationProgressCode *FlexInt `json:"verificationProgressCode,omitempty"`
}

// ListOrganizationsResponse answers ListOrganizations. NCP's page shows no
// wrapper; ncm names the array organizationInfoList after the operation.
type ListOrganizationsResponse struct {
	RowsResult
	OrganizationInfoList []Organization `json:"organizationInfoList"`
}

// Organization is one organization. verificationProgressCode is a string
// in answers, as NCP's page types it.
type Organization struct {
	OrganizationNo           int64  `json:"organizationNo"`
	MemberNo                 string `json:"memberNo"`
	OrganizationNameKor      string `json:"organizationNameKor"`
	OrganizationNameEng      string `json:"organizationNameEng"`
	BusinessRegistrationNo   string `json:"businessRegistrationNo"`
	VerificationType         string `json:"verificationType"`
	VerificationProgressCode string `json:"verificationProgressCode"`
	Country                  string `json:"country"`
	State                    string `json:"state"`
	Locality                 string `json:"locality"`
}

// CreateEabRequest is the body of POST /api/v2/acme/account.
type CreateEabRequest struct {
	ValidationMode      string  `json:"validationMode"`
	CertificateTypeCode string  `json:"certificateTypeCode"`
	ValidityDays        FlexInt `json:"validityDays"`
	Alias               string  `json:"alias"`
	OrganizationNo      FlexInt `json:"organizationNo,omitempty"`
	ContactEmail        string  `json:"contactEmail,omitempty"`
}

// CreateEabResponse answers CreateEabCredential; eabHmacKey is the only
// time the key is shown.
type CreateEabResponse struct {
	RowsResult
	Success    bool   `json:"success"`
	Message    string `json:"message"`
	AccountID  int64  `json:"accountId"`
	Status     string `json:"status"`
	EabKid     string `json:"eabKid"`
	EabHmacKey string `json:"eabHmacKey"`
}

// ListEabResponse answers GET /api/v2/acme/accounts (totalRows always 0,
// as NCP documents).
type ListEabResponse struct {
	RowsResult
	Success    bool         `json:"success"`
	Message    *string      `json:"message"`
	TotalCount int          `json:"totalCount"`
	Accounts   []EabAccount `json:"accounts"`
}

// EabAccount is one item of ListEabResponse; eabHmacKey is masked.
type EabAccount struct {
	AccountID           int64  `json:"accountId"`
	Status              string `json:"status"`
	MemberNo            string `json:"memberNo"`
	ContactEmail        string `json:"contactEmail"`
	Alias               string `json:"alias"`
	CertificateTypeName string `json:"certificateTypeName"`
	ValidityDays        int    `json:"validityDays"`
	OrganizationName    string `json:"organizationName"`
	CreatedAt           string `json:"createdAt"`
	UpdatedAt           string `json:"updatedAt"`
	EabKid              string `json:"eabKid"`
	EabHmacKey          string `json:"eabHmacKey"`
	EabUsed             bool   `json:"eabUsed"`
	EabActive           bool   `json:"eabActive"`
	ValidationMode      string `json:"validationMode"`
}
