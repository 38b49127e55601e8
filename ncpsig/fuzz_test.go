package ncpsig_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/ncpsig"
)

// FuzzVerify drives the whole server-side check with arbitrary headers and
// request targets. It must never panic, every failure must be an
// *ncpsig.Error, and a request signed with Sign must always verify.
func FuzzVerify(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzVerify.
	f.Add("GET", "/api/v1/certificates", exampleTS, exampleKey, "Jz/0GGyPbDarabxQP45HCysth76FE4WHmt1HZ5UHfYo=", exampleSecret)
	f.Add("DELETE", "/api/v1/certificate/30728?certificateName=zero-certi", "1700000000", exampleKey, "", exampleSecret)
	f.Fuzz(func(t *testing.T, method, target, ts, key, sig, secret string) {
		now := exampleNow
		h := http.Header{}
		h.Set(ncpapi.HeaderTimestamp, ts)
		h.Set(ncpapi.HeaderAccessKey, key)
		h.Set(ncpapi.HeaderSignatureV1, sig)
		for _, strict := range []bool{false, true} {
			v := ncpsig.Verifier{Strict: strict}
			c, err := ncpsig.ParseHeaders(h)
			if err == nil {
				err = v.CheckTimestamp(c.Timestamp, now)
			}
			if err == nil {
				err = v.Verify(method, target, c, secret)
			}
			var e *ncpsig.Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("error %T %v, want *ncpsig.Error", err, err)
			}

			good := ncpsig.Credentials{AccessKey: key, Timestamp: ts, Signature: ncpsig.Sign(method, target, ts, key, secret)}
			if err := v.Verify(method, target, good, secret); err != nil {
				t.Fatalf("Verify of Sign(%q, %q, %q, %q) failed: %v", method, target, ts, key, err)
			}
		}
		_ = (ncpsig.Verifier{}).CheckTimestamp(ts, time.UnixMilli(0))
	})
}
