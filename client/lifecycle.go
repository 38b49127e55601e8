package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
)

// API paths of the lifecycle operations (spec/api-reference.md §2.2-§2.8).
const (
	pathOrders             = "/api/v2/certificate/orders"
	pathSubscriptionExtend = "/api/v2/certificate/subscription/extend"
	pathVerificationInfo   = "/api/v2/certificate/getVerificationInfo/"
	pathRecentChanges      = "/api/v2/certificate/recentChanges"
	pathRevoke             = "/api/v2/certificate/revoke"
	pathSetRenewal         = "/api/v2/certificate/setCertificateRenewal"
	pathCloudBasic         = "/api/v2/certificate/requestCertificateIssuance"
	pathGlobalEdge         = "/api/v2/certificate/requestGedCertificateIssuance"
	pathDomains            = "/api/v2/domain/domains"
	pathOrganizations      = "/api/v2/organization/getOrganizationInfoList"
	pathEabAccounts        = "/api/v2/acme/accounts"
	pathEabAccount         = "/api/v2/acme/account"
)

// ListOrders returns one page of orders with their subscription and
// certificates: GET /api/v2/certificate/orders. pageSize 0 asks for all.
func (c *Client) ListOrders(ctx context.Context, page, pageSize int) (*ncpapi.ListOrdersResponse, error) {
	q := url.Values{}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if pageSize > 0 {
		q.Set("pageSize", strconv.Itoa(pageSize))
	}
	var out ncpapi.ListOrdersResponse
	if err := c.Do(ctx, http.MethodGet, pathOrders, q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetOrder returns one order and its certificates:
// GET /api/v2/certificate/orders/{orderId}.
func (c *Client) GetOrder(ctx context.Context, orderID string) (*ncpapi.GetOrderResponse, error) {
	var out ncpapi.GetOrderResponse
	if err := c.Do(ctx, http.MethodGet, pathOrders+"/"+url.PathEscape(orderID), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SubscriptionExtend extends an order's subscription by "1Y", "2Y" or
// "3Y": POST /api/v2/certificate/subscription/extend.
func (c *Client) SubscriptionExtend(ctx context.Context, orderID, period string) error {
	body := ncpapi.SubscriptionExtendRequest{OrderID: ncpapi.FlexString(orderID), SubscriptionPeriod: period}
	return c.Do(ctx, http.MethodPost, pathSubscriptionExtend, nil, body, nil)
}

// ListDcvStatuses returns the TXT records to publish for a certificate's
// domains and how validation stands: GET
// /api/v2/certificate/getVerificationInfo/{no}. domain "" means every
// domain (ncm; NCP requires one).
func (c *Client) ListDcvStatuses(ctx context.Context, certificateNo int64, domain string) (*ncpapi.DCVStatusesResponse, error) {
	q := url.Values{}
	if domain != "" {
		q.Set("domainAddress", domain)
	}
	var out ncpapi.DCVStatusesResponse
	if err := c.Do(ctx, http.MethodGet, pathVerificationInfo+strconv.FormatInt(certificateNo, 10), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangeWindow selects ListRecentCertChanges' window: set exactly one of
// Minutes, Seconds, or Start with End.
type ChangeWindow struct {
	Minutes, Seconds int
	Start, End       time.Time
}

// ListRecentCertChanges returns the certificates whose status changed in
// the window: GET /api/v2/certificate/recentChanges. Times are sent in the
// client's display zone.
func (c *Client) ListRecentCertChanges(ctx context.Context, w ChangeWindow) (*ncpapi.RecentChangesResponse, error) {
	q := url.Values{}
	if w.Minutes != 0 {
		q.Set("minutes", strconv.Itoa(w.Minutes))
	}
	if w.Seconds != 0 {
		q.Set("seconds", strconv.Itoa(w.Seconds))
	}
	if !w.Start.IsZero() {
		q.Set("startDateTime", w.Start.In(c.zone).Format(ncpapi.SubscriptionLayout))
	}
	if !w.End.IsZero() {
		q.Set("endDateTime", w.End.In(c.zone).Format(ncpapi.SubscriptionLayout))
	}
	var out ncpapi.RecentChangesResponse
	if err := c.Do(ctx, http.MethodGet, pathRecentChanges, q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReissueCertificate reissues an Advanced certificate with a new CSR: POST
// /api/v2/certificate/{no}/reissue. It returns the new certificate when the
// server reports it (ncm does; NCP's documented answer has only the
// envelope, so it may be nil there).
func (c *Client) ReissueCertificate(ctx context.Context, certificateNo int64, req ncpapi.ReissueRequest) (*ncpapi.PaidCertificate, error) {
	var out ncpapi.AdvancedCertificateResponse
	if err := c.Do(ctx, http.MethodPost, fmt.Sprintf("/api/v2/certificate/%d/reissue", certificateNo), nil, req, &out); err != nil {
		return nil, err
	}
	return out.PaidCertificate, nil
}

// RevokeCertificate revokes one certificate of an order, or every one for
// certificateNo 0, and returns how many were revoked: POST
// /api/v2/certificate/revoke. revokeType is affiliationChanged, superseded,
// cessationOfOperation or unspecified.
func (c *Client) RevokeCertificate(ctx context.Context, orderID string, certificateNo int64, revokeType string) (int, error) {
	var out ncpapi.RowsResult
	body := ncpapi.RevokeRequest{OrderID: ncpapi.FlexString(orderID), CertificateNo: ncpapi.FlexInt(certificateNo), RevokeType: revokeType}
	if err := c.Do(ctx, http.MethodPost, pathRevoke, nil, body, &out); err != nil {
		return 0, err
	}
	return out.TotalRows, nil
}

// SetRenewalStatus turns automatic renewal of a certificate on or off:
// POST /api/v2/certificate/setCertificateRenewal.
func (c *Client) SetRenewalStatus(ctx context.Context, certificateNo int64, renew bool) error {
	yn := "N"
	if renew {
		yn = "Y"
	}
	return c.Do(ctx, http.MethodPost, pathSetRenewal, nil, ncpapi.SetRenewalRequest{CertificateNo: ncpapi.FlexInt(certificateNo), RenewalYn: yn}, nil)
}

// RequestCloudBasicCertificate requests a free Cloud Basic certificate:
// POST /api/v2/certificate/requestCertificateIssuance.
func (c *Client) RequestCloudBasicCertificate(ctx context.Context, req ncpapi.CloudBasicRequest) (*ncpapi.CloudBasicResponse, error) {
	var out ncpapi.CloudBasicResponse
	if err := c.Do(ctx, http.MethodPost, pathCloudBasic, nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RequestGlobalEdgeCertificate requests a Global Edge dedicated
// certificate: POST /api/v2/certificate/requestGedCertificateIssuance. A
// success without the certificate object is an error (field case C51).
func (c *Client) RequestGlobalEdgeCertificate(ctx context.Context, req ncpapi.GlobalEdgeRequest) (*ncpapi.GlobalEdgeCertificate, error) {
	var out ncpapi.GlobalEdgeResponse
	if err := c.Do(ctx, http.MethodPost, pathGlobalEdge, nil, req, &out); err != nil {
		return nil, err
	}
	if out.Certificate == nil {
		return nil, &ncm.Error{Kind: ncm.EINTERNAL, Field: "certificate",
			Message: fmt.Sprintf("POST %s answered returnCode \"0\" without certificate; list certificates named %q before retrying", pathGlobalEdge, req.CertificateName)}
	}
	return out.Certificate, nil
}

// DomainFilter narrows ListDomainValidations. Zero fields are left out.
type DomainFilter struct {
	Page, PageSize int
	DomainAddress  string
	DcvType        string // PTXT or TXT
	OrgNo          int64
	ValidState     string // PENDING, VALID or INVALID
}

// ListDomainValidations lists registered domains: GET /api/v2/domain/domains
// (the server's default page is 1 of 10).
func (c *Client) ListDomainValidations(ctx context.Context, f DomainFilter) (*ncpapi.ListDomainsResponse, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" && v != "0" {
			q.Set(k, v)
		}
	}
	set("page", strconv.Itoa(f.Page))
	set("pageSize", strconv.Itoa(f.PageSize))
	set("domainAddress", f.DomainAddress)
	set("dcvType", f.DcvType)
	set("orgNo", strconv.FormatInt(f.OrgNo, 10))
	set("validState", f.ValidState)
	var out ncpapi.ListDomainsResponse
	if err := c.Do(ctx, http.MethodGet, pathDomains, q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RegisterDomain registers a domain for pre-validation: POST
// /api/v2/domain/domains. The answer (ncm's; NCP's is undocumented) holds
// the TXT record to publish.
func (c *Client) RegisterDomain(ctx context.Context, req ncpapi.RegisterDomainRequest) (*ncpapi.Domain, error) {
	var out ncpapi.RegisterDomainResponse
	if err := c.Do(ctx, http.MethodPost, pathDomains, nil, req, &out); err != nil {
		return nil, err
	}
	return out.Domain, nil
}

// DeleteDomain removes a registered domain: DELETE
// /api/v2/domain/domains/{dmnId}.
func (c *Client) DeleteDomain(ctx context.Context, dmnID int64) error {
	return c.Do(ctx, http.MethodDelete, pathDomains+"/"+strconv.FormatInt(dmnID, 10), nil, nil, nil)
}

// ListOrganizations lists organizations (for OV certificates): POST
// /api/v2/organization/getOrganizationInfoList with the filters as body.
func (c *Client) ListOrganizations(ctx context.Context, f ncpapi.ListOrganizationsRequest) (*ncpapi.ListOrganizationsResponse, error) {
	var out ncpapi.ListOrganizationsResponse
	if err := c.Do(ctx, http.MethodPost, pathOrganizations, nil, f, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListEabCredentials lists ACME EAB credentials, HMAC keys masked: GET
// /api/v2/acme/accounts.
func (c *Client) ListEabCredentials(ctx context.Context) (*ncpapi.ListEabResponse, error) {
	var out ncpapi.ListEabResponse
	if err := c.Do(ctx, http.MethodGet, pathEabAccounts, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateEabCredential creates an EAB credential: POST /api/v2/acme/account.
// The answer holds the HMAC key, shown only this once.
func (c *Client) CreateEabCredential(ctx context.Context, req ncpapi.CreateEabRequest) (*ncpapi.CreateEabResponse, error) {
	var out ncpapi.CreateEabResponse
	if err := c.Do(ctx, http.MethodPost, pathEabAccount, nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeactivateEabCredential deactivates an EAB credential for good: POST
// /api/v2/acme/account/{accountId}/deactivate.
func (c *Client) DeactivateEabCredential(ctx context.Context, accountID int64) error {
	return c.Do(ctx, http.MethodPost, fmt.Sprintf("%s/%d/deactivate", pathEabAccount, accountID), nil, nil, nil)
}
