package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ncmhq/ncm/ncpapi"
)

// TestEncodeListAdvancedMatchesEncodingJSON holds the hand-written encoder
// of the seed response to the bytes writeOK's json.Encoder writes, over
// values that exercise every key, null dates, the legacy keys, empty and
// missing lists, and strings that need escaping (quotes, backslashes,
// control characters, HTML characters, non-ASCII, U+2028, invalid UTF-8).
func TestEncodeListAdvancedMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", "example.com,www.example.com", `a"quote`, `back\slash`, "tab\there",
		"new\nline", "\x00\x01\x1f\x7f", "<b>&amp;</b>", "예제 주식회사", "line\u2028sep\u2029", "bad\xffutf8\xc3",
		"cn=example.com,o=Example Corporation,c=KR", "2026-12-03T18:00:00+0900", "emoji 🎉"}
	rng := rand.New(rand.NewPCG(1, 2))
	str := func() string { return strs[rng.IntN(len(strs))] }
	ptr := func() *string {
		if rng.IntN(3) == 0 {
			return nil
		}
		s := str()
		return &s
	}
	cases := map[string]ncpapi.ListAdvancedCertificatesResponse{
		"no orders":  {Result: ncpapi.Result{ReturnCode: "0", ReturnMessage: "success"}, Orders: []ncpapi.AdvancedOrder{}},
		"nil orders": {Result: ncpapi.Result{ReturnCode: "0", ReturnMessage: "success"}, TotalCount: 3},
		"nil certificates": {Result: ncpapi.Result{ReturnCode: "0", ReturnMessage: "success"}, TotalCount: 1,
			Orders: []ncpapi.AdvancedOrder{{OrderID: "900001"}, {OrderID: "900002", Certificates: []ncpapi.AdvancedCertificate{}}}},
	}
	for n := range 20 {
		v := ncpapi.ListAdvancedCertificatesResponse{Result: ncpapi.Result{ReturnCode: str(), ReturnMessage: str()},
			TotalCount: rng.IntN(1 << 20), Orders: []ncpapi.AdvancedOrder{}}
		for range rng.IntN(5) {
			o := ncpapi.AdvancedOrder{OrderID: str(), Certificates: []ncpapi.AdvancedCertificate{}}
			for range rng.IntN(4) {
				c := ncpapi.AdvancedCertificate{
					CertificateNo: rng.Int64() - rng.Int64(), CertificateName: str(), MemberNo: str(), CommonName: str(),
					DNSName: str(), StatusCode: str(), StatusName: str(), CertificateType: str(), DomainCode: str(),
					UpdateDate: str(), OrderID: str(), IssueType: str(), SubjectDN: str(), RegistDate: str(),
					NotAfter: ptr(), CertPublicKeyInfo: str(), Issuer: str(), SerialNumber: str(),
					SignatureAlgorithm: str(), IssueDate: ptr(), NotBefore: ptr(), RevokeDate: ptr(),
					UsedInstanceNoList: str(),
				}
				if rng.IntN(2) == 0 {
					c.LegacyOrderID, c.LegacyCertificateTypeCode = str(), str()
				}
				o.Certificates = append(o.Certificates, c)
			}
			v.Orders = append(v.Orders, o)
		}
		cases[fmt.Sprintf("random %d", n)] = v
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			if got := appendListAdvanced(nil, &v); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("appendListAdvanced differs from encoding/json:\n got: %s\nwant: %s", got, want.Bytes())
			}
		})
	}
}
