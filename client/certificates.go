package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ncmhq/ncm"
	"github.com/ncmhq/ncm/ncpapi"
)

// API paths of the certificate operations (spec/api-reference.md §2).
const (
	pathV1Certificates       = "/api/v1/certificates"
	pathV1CreateExternal     = "/api/v1/certificate/withExternal"
	pathV1Delete             = "/api/v1/certificate/"
	pathRegisterExternal     = "/api/v2/certificate/withExternal"
	pathListCertificates     = "/api/v2/certificate/certificates"
	pathListCloud            = "/api/v2/certificate/getCertificates"
	pathListCertificateTypes = "/api/v2/certificate/certificateTypes"
	pathExport               = "/api/v2/certificate/exportCertificate/"
	pathDelete               = "/api/v2/certificate/deleteCertificate/"
)

// V1ListOptions are the filters of getCertificateList. Zero fields are not
// sent.
type V1ListOptions struct {
	CertificateName string
	CertificateNo   int64
	InstanceNo      string
}

// V1ListCertificates lists certificates through API 1.0:
// GET /api/v1/certificates. API 1.0 has no paging; every match comes back.
func (c *Client) V1ListCertificates(ctx context.Context, opts V1ListOptions) (*ncpapi.V1CertificateListResponse, error) {
	q := url.Values{}
	if opts.CertificateName != "" {
		q.Set("certificateName", opts.CertificateName)
	}
	if opts.CertificateNo != 0 {
		q.Set("certificateNo", strconv.FormatInt(opts.CertificateNo, 10))
	}
	if opts.InstanceNo != "" {
		q.Set("instanceNo", opts.InstanceNo)
	}
	var out ncpapi.V1CertificateListResponse
	if err := c.Do(ctx, http.MethodGet, pathV1Certificates, q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// V1CreateExternalCertificate registers an external certificate through
// API 1.0: POST /api/v1/certificate/withExternal. It returns the new
// certificate, found by name in sslCertificateList; a success answer without
// it is an error, never an index out of range (field case C51).
func (c *Client) V1CreateExternalCertificate(ctx context.Context, req ncpapi.CreateExternalCertificateRequest) (*ncpapi.V1Certificate, []string, error) {
	var out ncpapi.V1CertificateListResponse
	if err := c.Do(ctx, http.MethodPost, pathV1CreateExternal, nil, req, &out); err != nil {
		return nil, nil, err
	}
	for i := range out.SSLCertificateList {
		if out.SSLCertificateList[i].CertificateName == req.CertificateName {
			return &out.SSLCertificateList[i], out.IntakeNotes, nil
		}
	}
	return nil, nil, noCertificateInAnswer(pathV1CreateExternal, req.CertificateName)
}

// noCertificateInAnswer is the C51 error: success without the certificate.
func noCertificateInAnswer(path, name string) error {
	return &ncm.Error{Kind: ncm.EINTERNAL, Field: "sslCertificateList",
		Message: fmt.Sprintf("POST %s answered returnCode \"0\" without a certificate named %q in sslCertificateList; "+
			"list certificates by that name before retrying", path, name)}
}

// RegisterExternalCertificate registers an external certificate through API
// 2.0: POST /api/v2/certificate/withExternal (with CertificateNo set, a
// renewal registration). It returns the certificate and the server's intake
// notes (ncm only; NCP sends none).
func (c *Client) RegisterExternalCertificate(ctx context.Context, req ncpapi.RegisterExternalCertificateRequest) (*ncpapi.AdvancedCertificate, []string, error) {
	var out ncpapi.RegisterExternalCertificateResponse
	if err := c.Do(ctx, http.MethodPost, pathRegisterExternal, nil, req, &out); err != nil {
		return nil, nil, err
	}
	for i := range out.SSLCertificateList {
		if out.SSLCertificateList[i].CertificateName == req.CertificateName {
			return &out.SSLCertificateList[i], out.IntakeNotes, nil
		}
	}
	return nil, nil, noCertificateInAnswer(pathRegisterExternal, req.CertificateName)
}

// ListOptions narrows ListCertificates and ListCloudCertificates.
type ListOptions struct {
	// Page is 1-based; zero leaves it to the server (first page).
	Page int
	// PageSize zero leaves it to the server, which then returns all.
	PageSize int
	// CertificateName keeps only the certificate of that exact name.
	CertificateName string
}

func (o ListOptions) query() url.Values {
	return ListAdvancedOptions(o).query()
}

// ListCertificates returns one page of every certificate held, by number:
// GET /api/v2/certificate/certificates.
func (c *Client) ListCertificates(ctx context.Context, opts ListOptions) (*ncpapi.CertificateListResponse, error) {
	return c.listCertificates(ctx, pathListCertificates, opts)
}

// ListCloudCertificates returns one page of the Cloud Basic and Global Edge
// certificates: GET /api/v2/certificate/getCertificates.
func (c *Client) ListCloudCertificates(ctx context.Context, opts ListOptions) (*ncpapi.CertificateListResponse, error) {
	return c.listCertificates(ctx, pathListCloud, opts)
}

func (c *Client) listCertificates(ctx context.Context, path string, opts ListOptions) (*ncpapi.CertificateListResponse, error) {
	var out ncpapi.CertificateListResponse
	if err := c.Do(ctx, http.MethodGet, path, opts.query(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllCertificates yields every certificate ListCertificates has, following
// the pages to the end (field case C47), like AllAdvancedCertificates. With
// cloud set it lists ListCloudCertificates instead. An error is yielded
// once, last.
func (c *Client) AllCertificates(ctx context.Context, opts ListOptions, cloud bool) iter.Seq2[ncpapi.AdvancedCertificate, error] {
	path := pathListCertificates
	if cloud {
		path = pathListCloud
	}
	return func(yield func(ncpapi.AdvancedCertificate, error) bool) {
		if opts.Page <= 0 {
			opts.Page = 1
		}
		if opts.PageSize <= 0 {
			opts.PageSize = DefaultPageSize
		}
		seen := (opts.Page - 1) * opts.PageSize
		for {
			page, err := c.listCertificates(ctx, path, opts)
			if err != nil {
				yield(ncpapi.AdvancedCertificate{}, err)
				return
			}
			for _, cert := range page.SSLCertificateList {
				if !yield(cert, nil) {
					return
				}
			}
			seen += len(page.SSLCertificateList)
			if len(page.SSLCertificateList) < opts.PageSize || seen >= page.TotalCount {
				return
			}
			opts.Page++
		}
	}
}

// ListCertificateTypes lists the certificate types:
// GET /api/v2/certificate/certificateTypes.
func (c *Client) ListCertificateTypes(ctx context.Context) (*ncpapi.ListCertificateTypesResponse, error) {
	var out ncpapi.ListCertificateTypesResponse
	if err := c.Do(ctx, http.MethodGet, pathListCertificateTypes, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetCertificateChain returns a certificate with its chain as PEM:
// GET /api/v2/certificate/exportCertificate/{certificateNo}/chain.
func (c *Client) GetCertificateChain(ctx context.Context, certificateNo int64) (*ncpapi.CertificateChainResponse, error) {
	var out ncpapi.CertificateChainResponse
	path := pathExport + strconv.FormatInt(certificateNo, 10) + "/chain"
	if err := c.Do(ctx, http.MethodGet, path, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Downloaded is a DownloadCertificate answer.
type Downloaded struct {
	// Zip is the ZIP file as received.
	Zip []byte
	// Format and PFXEncoding are what the server says it wrote (ncm's
	// x-ncm-* headers; empty from NCP).
	Format, PFXEncoding string
}

// DownloadCertificate downloads a certificate as a ZIP:
// POST /api/v2/certificate/exportCertificate/{certificateNo}. req may be
// the zero value (PEM). A JSON answer is an error envelope and becomes an
// *APIError.
func (c *Client) DownloadCertificate(ctx context.Context, certificateNo int64, req ncpapi.DownloadCertificateRequest) (*Downloaded, error) {
	path := pathExport + strconv.FormatInt(certificateNo, 10)
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: encoding the request body: %w", path, err)
	}
	resp, err := c.Raw(ctx, http.MethodPost, path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("POST %s: reading the answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return nil, c.apiError(http.MethodPost, path, resp, raw)
	}
	return &Downloaded{Zip: raw, Format: resp.Header.Get(ncpapi.HeaderExportFormat),
		PFXEncoding: resp.Header.Get(ncpapi.HeaderPFXEncoding)}, nil
}

// DeleteCertificate deletes a certificate whose number and name must match:
// DELETE /api/v2/certificate/deleteCertificate/{no}?certificateName=. NCP's
// refusals (1004 in use or mismatch, 1006 missing) arrive with HTTP 200 and
// are errors here all the same.
func (c *Client) DeleteCertificate(ctx context.Context, certificateNo int64, certificateName string) error {
	return c.deleteCertificate(ctx, pathDelete, certificateNo, certificateName)
}

// V1DeleteCertificate is DeleteCertificate through API 1.0:
// DELETE /api/v1/certificate/{no}?certificateName=.
func (c *Client) V1DeleteCertificate(ctx context.Context, certificateNo int64, certificateName string) error {
	return c.deleteCertificate(ctx, pathV1Delete, certificateNo, certificateName)
}

func (c *Client) deleteCertificate(ctx context.Context, prefix string, no int64, name string) error {
	return c.Do(ctx, http.MethodDelete, prefix+strconv.FormatInt(no, 10), url.Values{"certificateName": {name}}, nil, nil)
}
