package ncpsig_test

import (
	"testing"
	"time"

	"github.com/ncmhq/ncm/ncpsig"
)

// BenchmarkVerify measures the signature check of one seed request as the
// gateway does it: timestamp window, then both MACs (full target and bare
// path), compared in constant time.
func BenchmarkVerify(b *testing.B) {
	const (
		target = "/api/v2/certificate/getPaidCertificates?page=37&pageSize=20"
		ak     = "ncm_ZEWBMISG4H574SF7"
		sk     = "2QTT6BJ2TFSECDJ4VTSLDDK5CLV2FA7MBPPPTLGH"
	)
	now := time.Now()
	ts := ncpsig.Timestamp(now)
	c := ncpsig.Credentials{AccessKey: ak, Timestamp: ts, Signature: ncpsig.Sign("GET", target, ts, ak, sk)}
	var v ncpsig.Verifier
	for b.Loop() {
		if err := v.CheckTimestamp(c.Timestamp, now); err != nil {
			b.Fatal(err)
		}
		if err := v.Verify("GET", target, c, sk); err != nil {
			b.Fatal(err)
		}
	}
}
