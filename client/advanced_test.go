package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ncmhq/ncm/client"
	"github.com/ncmhq/ncm/ncpapi"
)

// PagingHandler serves getPaidCertificates over orders the way
// spec/compat.md describes: page is 1-based, pageSize counts orders (absent
// = all), totalCount is the number of matching orders.
func PagingHandler(tb testing.TB, orders []ncpapi.AdvancedOrder) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		page, size := 1, len(orders)
		if v := q.Get("page"); v != "" {
			page, _ = strconv.Atoi(v)
		}
		if v := q.Get("pageSize"); v != "" {
			size, _ = strconv.Atoi(v)
		}
		lo := min((page-1)*size, len(orders))
		hi := min(lo+size, len(orders))
		WriteJSON(w, 200, ncpapi.ListAdvancedCertificatesResponse{Result: OK, TotalCount: len(orders), Orders: orders[lo:hi]})
	}
}

// MustOrders returns n orders of one certificate each, named cert-001 ...
func MustOrders(tb testing.TB, n int) []ncpapi.AdvancedOrder {
	tb.Helper()
	orders := make([]ncpapi.AdvancedOrder, n)
	for i := range orders {
		id := strconv.Itoa(900001 + i)
		orders[i] = ncpapi.AdvancedOrder{OrderID: id, Certificates: []ncpapi.AdvancedCertificate{{
			CertificateNo: int64(100001 + i), CertificateName: fmt.Sprintf("cert-%03d", i+1), OrderID: id, StatusCode: "1",
		}}}
	}
	return orders
}

func TestFieldC47_AllAdvancedCertificates(t *testing.T) {
	t.Run("OK/150-orders-page-size-7", func(t *testing.T) {
		f := MustFake(t, PagingHandler(t, MustOrders(t, 150)))
		c := f.MustClient(t)
		count, found := 0, false
		for o, err := range c.AllAdvancedCertificates(context.Background(), client.ListAdvancedOptions{PageSize: 7}) {
			if err != nil {
				t.Fatal(err)
			}
			count++
			for _, cert := range o.Certificates {
				found = found || cert.CertificateName == "cert-150"
			}
		}
		if count != 150 {
			t.Fatalf("orders=%d, want 150", count)
		}
		if !found {
			t.Fatal("cert-150 (on the last page) not found")
		}
		if n := len(f.Requests()); n != 22 {
			t.Fatalf("%d requests, want 22 (ceil(150/7))", n)
		}
	})
	t.Run("OK/default-page-size", func(t *testing.T) {
		f := MustFake(t, PagingHandler(t, MustOrders(t, 150)))
		count := 0
		for _, err := range f.MustClient(t).AllAdvancedCertificates(context.Background(), client.ListAdvancedOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			count++
		}
		reqs := f.Requests()
		if count != 150 || len(reqs) != 2 {
			t.Fatalf("orders=%d requests=%d, want 150 and 2", count, len(reqs))
		}
		if got := reqs[1].URL.Query().Get("pageSize"); got != "100" {
			t.Fatalf("pageSize=%q, want 100", got)
		}
	})
	t.Run("OK/stops-at-total-count", func(t *testing.T) {
		f := MustFake(t, PagingHandler(t, MustOrders(t, 14)))
		count := 0
		for _, err := range f.MustClient(t).AllAdvancedCertificates(context.Background(), client.ListAdvancedOptions{PageSize: 7}) {
			if err != nil {
				t.Fatal(err)
			}
			count++
		}
		if n := len(f.Requests()); count != 14 || n != 2 {
			t.Fatalf("orders=%d requests=%d, want 14 and 2 (no request for an empty third page)", count, n)
		}
	})
	t.Run("OK/break-stops-fetching", func(t *testing.T) {
		f := MustFake(t, PagingHandler(t, MustOrders(t, 150)))
		for range f.MustClient(t).AllAdvancedCertificates(context.Background(), client.ListAdvancedOptions{PageSize: 7}) {
			break
		}
		if n := len(f.Requests()); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
	})
	t.Run("ErrYieldedOnce", func(t *testing.T) {
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, 200, ncpapi.Result{ReturnCode: "2200", ReturnMessage: "No certificate was found."})
		})
		var errs int
		for _, err := range f.MustClient(t).AllAdvancedCertificates(context.Background(), client.ListAdvancedOptions{}) {
			if err != nil {
				errs++
			}
		}
		if errs != 1 {
			t.Fatalf("errors yielded=%d, want 1", errs)
		}
	})
}

func TestFieldC51_RequestAdvancedCertificate(t *testing.T) {
	req := ncpapi.AdvancedCertificateRequest{CSR: "-----BEGIN CERTIFICATE REQUEST-----\n...", CertificateType: "NCP_PAID_DV_01",
		CertificateName: "web", CommonName: "example.com", DNSName: []string{"www.example.com"}, ValidationMethod: "D"}

	t.Run("OK", func(t *testing.T) {
		want := ncpapi.PaidCertificate{CertificateNo: 100001, CertificateName: "web", OrderID: "900001", StatusCode: "0"}
		var got ncpapi.AdvancedCertificateRequest
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.URL.Path != "/api/v2/certificate/requestPaidCertificateIssuance" {
				t.Errorf("request %s %s, want POST .../requestPaidCertificateIssuance", r.Method, r.URL.Path)
			}
			_ = json.NewDecoder(r.Body).Decode(&got)
			WriteJSON(w, 200, ncpapi.AdvancedCertificateResponse{RowsResult: ncpapi.RowsResult{Result: OK, TotalRows: 1}, PaidCertificate: &want})
		})
		pc, err := f.MustClient(t).RequestAdvancedCertificate(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, *pc); diff != "" {
			t.Fatalf("PaidCertificate (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(req, got); diff != "" {
			t.Fatalf("body the server received (-want +got):\n%s", diff)
		}
	})
	t.Run("ErrSuccessWithoutPaidCertificate", func(t *testing.T) {
		f := MustFake(t, func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, 200, ncpapi.RowsResult{Result: OK})
		})
		pc, err := f.MustClient(t).RequestAdvancedCertificate(context.Background(), req)
		if err == nil {
			t.Fatalf("got %+v, want an error", pc)
		}
	})
}

func TestRegisterPrivateKey(t *testing.T) {
	var got map[string]any
	f := MustFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v2/certificate/registPrivateKey" {
			t.Errorf("request %s %s, want POST /api/v2/certificate/registPrivateKey", r.Method, r.URL.Path)
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		WriteJSON(w, 200, ncpapi.RowsResult{Result: OK})
	})
	if err := f.MustClient(t).RegisterPrivateKey(context.Background(), 1234, "-----BEGIN PRIVATE KEY-----\n"); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"certificateNo": float64(1234), "privateKey": "-----BEGIN PRIVATE KEY-----\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("body (-want +got):\n%s", diff)
	}
}

func TestFieldC39_DateProblems(t *testing.T) {
	ptr := func(s string) *string { return &s }
	const body = `{"returnCode":"0","returnMessage":"Success","totalCount":1,"orders":[{"orderId":"900001","certificates":[
		{"certificateNo":1,"certificateName":"ncp","registDate":"2026-03-01 10:15:30(UTC+09:00)","notAfter":"2027-03-01 10:15:30(UTC+09:00)"},
		{"certificateNo":2,"certificateName":"utc","registDate":"2026-03-01 01:15:30(UTC+00:00)","notAfter":"2027-03-01 01:15:30(UTC+00:00)"},
		{"certificateNo":3,"certificateName":"nozone","registDate":"2026-03-01 10:15:30","notAfter":"2027-03-01 10:15:30"},
		{"certificateNo":4,"certificateName":"broken","registDate":"2026-03-01 10:15:30(UTC+09:00)","notAfter":"2027-02-30 25:61"}]}]}`
	f := MustFake(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) })
	c := f.MustClient(t)
	list, err := c.ListAdvancedCertificates(context.Background(), client.ListAdvancedOptions{})
	if err != nil {
		t.Fatalf("one malformed date must not fail the list: %v", err)
	}
	certs := list.Orders[0].Certificates
	if len(certs) != 4 {
		t.Fatalf("certificates=%d, want 4", len(certs))
	}

	problems := c.DateProblems(list.Orders)
	if len(problems) != 1 {
		t.Fatalf("problems=%v, want exactly one", problems)
	}
	p := problems[0]
	if p.CertificateNo != 4 || p.Field != "notAfter" || p.Value != "2027-02-30 25:61" || p.OrderID != "900001" {
		t.Fatalf("problem=%+v, want certificate 4 notAfter %q", p, "2027-02-30 25:61")
	}

	want := time.Date(2027, 3, 1, 1, 15, 30, 0, time.UTC) // every good notAfter is this instant
	for _, cert := range certs[:3] {
		d, probs := c.CertificateDates("900001", cert)
		if len(probs) != 0 || !d.NotAfter.Equal(want) {
			t.Errorf("%s: notAfter=%s problems=%v, want %s", cert.CertificateName, d.NotAfter, probs, want)
		}
	}
	d, _ := c.CertificateDates("900001", certs[3])
	if !d.NotAfter.IsZero() || !d.Regist.Equal(want.AddDate(-1, 0, 0)) {
		t.Fatalf("broken certificate dates=%+v, want zero notAfter and a parsed registDate", d)
	}
	if _, probs := c.CertificateDates("", ncpapi.AdvancedCertificate{NotAfter: nil, IssueDate: ptr("")}); len(probs) != 0 {
		t.Fatalf("absent dates reported as problems: %v", probs)
	}
}

func TestParseDate(t *testing.T) {
	f := MustFake(t, nil)
	utc := f.MustClient(t, func(cfg *client.Config) { cfg.DisplayZone = time.UTC })
	got, err := utc.ParseDate("2026-03-01 10:15:30")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 1, 10, 15, 30, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("ParseDate in UTC display zone=%s, want %s", got, want)
	}
	if _, err := utc.ParseDate("yesterday"); err == nil {
		t.Fatal("ParseDate(yesterday) succeeded, want an error")
	}
}
