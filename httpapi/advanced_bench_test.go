package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ncmhq/ncm/ncpapi"
)

// BenchmarkEncodeSeedPage measures the JSON encoding of one seed response
// page: 20 orders of 5 certificates (pageSize=20) and 100 orders
// (pageSize=100), with the field values ncm bench populate stores, by
// encoding/json as writeOK does it (HTML escaping off) and by the
// hand-written appendListAdvanced the handler uses (same bytes). The bytes
// per op are the answer's size.
func BenchmarkEncodeSeedPage(b *testing.B) {
	kst := time.FixedZone("KST", 9*3600)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	date := func(d time.Duration) *string { s := ncpapi.FormatDate(now.Add(d), kst); return &s }
	for _, orders := range []int{20, 100} {
		b.Run(fmt.Sprintf("orders=%d", orders), func(b *testing.B) {
			res := ncpapi.ListAdvancedCertificatesResponse{
				Result:     ncpapi.Result{ReturnCode: ncpapi.SuccessCode, ReturnMessage: ncpapi.SuccessMessage},
				TotalCount: 20000,
			}
			for i := range orders {
				o := ncpapi.AdvancedOrder{OrderID: fmt.Sprint(900001 + i)}
				for j := range 5 {
					cn := fmt.Sprintf("site%d.example.com", i)
					o.Certificates = append(o.Certificates, ncpapi.AdvancedCertificate{
						CertificateNo: int64(100001 + 5*i + j), CertificateName: fmt.Sprintf("b%d-%d", i, j),
						MemberNo: "2000001", CommonName: cn, DNSName: cn + ",www." + cn + ",api." + cn,
						StatusCode: "1", StatusName: "Normal", CertificateType: "NCP_PAID_DV_01", DomainCode: "PUB",
						UpdateDate: *date(-time.Hour), OrderID: o.OrderID, IssueType: "ORIGINAL",
						SubjectDN: "cn=" + cn, RegistDate: *date(-time.Hour), NotAfter: date(365 * 24 * time.Hour),
						CertPublicKeyInfo: "EC P-256", Issuer: "cn=ncm Local Intermediate CA,o=ncm",
						SerialNumber: "5F2A9C1D3B7E8A6F4C2D1E0B9A8F7C6D", SignatureAlgorithm: "SHA256withECDSA",
						IssueDate: date(-time.Hour), NotBefore: date(-time.Hour),
					})
				}
				res.Orders = append(res.Orders, o)
			}
			b.Run("EncodingJSON", func(b *testing.B) {
				size := 0
				for b.Loop() {
					cw := &countingWriter{}
					enc := json.NewEncoder(cw)
					enc.SetEscapeHTML(false)
					if err := enc.Encode(res); err != nil {
						b.Fatal(err)
					}
					size = cw.n
				}
				b.SetBytes(int64(size))
			})
			b.Run("Hand", func(b *testing.B) {
				var buf []byte
				for b.Loop() {
					buf = appendListAdvanced(buf[:0], &res)
				}
				b.SetBytes(int64(len(buf)))
			})
		})
	}
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
