package client

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
)

// API paths of the operations below (spec/api-reference.md §2).
const (
	pathListAdvanced       = "/api/v2/certificate/getPaidCertificates"
	pathRequestAdvanced    = "/api/v2/certificate/requestPaidCertificateIssuance"
	pathRegisterPrivateKey = "/api/v2/certificate/registPrivateKey"
)

// DefaultPageSize is the page size AllAdvancedCertificates asks for when
// the options leave it zero.
const DefaultPageSize = 100

// ListAdvancedOptions narrows ListAdvancedCertificates.
type ListAdvancedOptions struct {
	// Page is the 1-based page. Zero leaves it to the server (first page).
	Page int
	// PageSize is the number of orders per page. Zero leaves it to the
	// server, which then returns everything.
	PageSize int
	// CertificateName, when set, keeps only certificates of that exact name.
	CertificateName string
}

func (o ListAdvancedOptions) query() url.Values {
	q := url.Values{}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PageSize > 0 {
		q.Set("pageSize", strconv.Itoa(o.PageSize))
	}
	if o.CertificateName != "" {
		q.Set("certificateName", o.CertificateName)
	}
	return q
}

// ListAdvancedCertificates returns one page of Advanced (paid DV/OV)
// certificates grouped by order: GET /api/v2/certificate/getPaidCertificates.
// Paging counts orders; TotalCount is the number of matching orders.
func (c *Client) ListAdvancedCertificates(ctx context.Context, opts ListAdvancedOptions) (*ncpapi.ListAdvancedCertificatesResponse, error) {
	var out ncpapi.ListAdvancedCertificatesResponse
	if err := c.Do(ctx, http.MethodGet, pathListAdvanced, opts.query(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllAdvancedCertificates yields every matching order, following the pages
// to the end (field case C47: a single call misses everything after the
// first page). It starts at opts.Page (default 1) with opts.PageSize
// (default DefaultPageSize) and stops after a short or empty page or when
// the orders seen reach totalCount. An error is yielded once, last.
func (c *Client) AllAdvancedCertificates(ctx context.Context, opts ListAdvancedOptions) iter.Seq2[ncpapi.AdvancedOrder, error] {
	return func(yield func(ncpapi.AdvancedOrder, error) bool) {
		if opts.Page <= 0 {
			opts.Page = 1
		}
		if opts.PageSize <= 0 {
			opts.PageSize = DefaultPageSize
		}
		seen := (opts.Page - 1) * opts.PageSize // orders on the pages skipped
		for {
			page, err := c.ListAdvancedCertificates(ctx, opts)
			if err != nil {
				yield(ncpapi.AdvancedOrder{}, err)
				return
			}
			for _, o := range page.Orders {
				if !yield(o, nil) {
					return
				}
			}
			seen += len(page.Orders)
			if len(page.Orders) < opts.PageSize || seen >= page.TotalCount {
				return
			}
			opts.Page++
		}
	}
}

// RequestAdvancedCertificate requests an Advanced DV or OV certificate for a
// CSR: POST /api/v2/certificate/requestPaidCertificateIssuance. It returns
// the new certificate as the server describes it. A success answer without
// paidCertificate is an error, never a nil result (field case C51).
func (c *Client) RequestAdvancedCertificate(ctx context.Context, req ncpapi.AdvancedCertificateRequest) (*ncpapi.PaidCertificate, error) {
	var out ncpapi.AdvancedCertificateResponse
	if err := c.Do(ctx, http.MethodPost, pathRequestAdvanced, nil, req, &out); err != nil {
		return nil, err
	}
	if out.PaidCertificate == nil {
		// The order may exist now: say so, so nobody blindly retries and
		// pays twice.
		return nil, &ncm.Error{Kind: ncm.EINTERNAL, Field: "paidCertificate",
			Message: fmt.Sprintf("POST %s answered returnCode \"0\" without paidCertificate; "+
				"list certificates named %q (ListAdvancedCertificates) before retrying", pathRequestAdvanced, req.CertificateName)}
	}
	return out.PaidCertificate, nil
}

// RegisterPrivateKey attaches the PEM private key of a certificate issued
// from the caller's CSR: POST /api/v2/certificate/registPrivateKey.
func (c *Client) RegisterPrivateKey(ctx context.Context, certificateNo int64, privateKeyPEM string) error {
	body := ncpapi.RegisterPrivateKeyRequest{CertificateNo: ncpapi.FlexInt(certificateNo), PrivateKey: privateKeyPEM}
	return c.Do(ctx, http.MethodPost, pathRegisterPrivateKey, nil, body, nil)
}
