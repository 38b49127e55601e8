package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ncmhq/ncm/pki"
)

// TestStrictJSON: every malformed body is a 400 whose message names the
// field at fault (or "body" when the body as a whole is wrong) and the rule.
func TestStrictJSON(t *testing.T) {
	e := newEnv(t)
	const target = "/api/v2/certificate/registPrivateKey"
	for _, tc := range []struct {
		name, body string
		want       []string // parts of returnMessage
	}{
		{"trailing data", `{"certificateNo":1} x`, []string{"body", "exactly one JSON object"}},
		{"a second object", `{"certificateNo":1}{}`, []string{"body", "exactly one JSON object"}},
		{"wrong type, string field", `{"certificateNo":1,"privateKey":5}`, []string{"privateKey", "string"}},
		{"wrong type, number field", `{"certificateNo":true}`, []string{"certificateNo", "integer"}},
		{"number too large for 64 bits", `{"certificateNo":99999999999999999999999}`, []string{"certificateNo", "integer"}},
		{"number beyond float64", `{"certificateNo":1e400}`, []string{"certificateNo", "integer"}},
		{"fraction", `{"certificateNo":1.5}`, []string{"certificateNo", "integer"}},
		{"digits with junk", `{"certificateNo":"12x"}`, []string{"certificateNo", "integer"}},
		{"deep nesting", strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000), []string{"body", "depth"}},
		{"deep nesting in a field", `{"certificateNo":` + strings.Repeat(`[`, 20000), []string{"body", "depth"}},
		{"not an object", `[1,2]`, []string{"body", "object"}},
		{"empty", ``, []string{"body", "required"}},
		{"cut short", `{"certificateNo":`, []string{"body", "ends early"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, b := e.do(e.signed(e.a, http.MethodPost, target, []byte(tc.body)))
			var r struct{ ReturnCode, ReturnMessage string }
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatalf("status %d, answer not JSON: %s", st, b)
			}
			if st != http.StatusBadRequest || r.ReturnCode != "2000" {
				t.Fatalf("status %d returnCode %q, want 400 and 2000: %s", st, r.ReturnCode, b)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.ReturnMessage, w) {
					t.Errorf("returnMessage %q does not mention %q", r.ReturnMessage, w)
				}
			}
		})
	}
}

// TestPEMBlockLimitAtTheAPI: a certificate import whose chain holds more
// than pki.MaxPEMBlocks blocks is a 400 naming the field and the limit,
// and stores nothing.
func TestPEMBlockLimitAtTheAPI(t *testing.T) {
	e := newEnv(t)
	const target = "/api/v2/certificate/withExternal"
	kp := keyPEM(t, testKey(t))
	leaf := selfSignedPEM(kp)
	for _, tc := range []struct {
		field string
		body  map[string]any
	}{
		{"certificateChain", map[string]any{"certificateName": "many", "privateKey": kp, "certificateBody": leaf,
			"certificateChain": strings.Repeat(leaf, pki.MaxPEMBlocks+1)}},
		{"certificateBody", map[string]any{"certificateName": "many", "privateKey": kp,
			"certificateBody": strings.Repeat(leaf, pki.MaxPEMBlocks+1)}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			raw, _ := json.Marshal(tc.body)
			st, _, b := e.do(e.signed(e.a, http.MethodPost, target, raw))
			var r struct{ ReturnCode, ReturnMessage string }
			_ = json.Unmarshal(b, &r)
			if st != http.StatusBadRequest || !strings.HasPrefix(r.ReturnMessage, tc.field) ||
				!strings.Contains(r.ReturnMessage, strconv.Itoa(pki.MaxPEMBlocks)) {
				t.Fatalf("status %d %s; want 400 naming %s and the limit %d", st, b, tc.field, pki.MaxPEMBlocks)
			}
		})
	}
	st, _, b := e.do(e.signed(e.a, http.MethodGet, "/api/v2/certificate/certificates", nil))
	if st != http.StatusOK || !strings.Contains(string(b), `"totalCount":0`) && !strings.Contains(string(b), `"totalRows":0`) {
		t.Errorf("after the refused imports the list is %d %s; want it empty", st, b)
	}
}
