package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// postSeeds are bodies every POST route is seeded with: valid-looking
// objects, every JSON kind at the top, wrong types, trailing data, deep
// nesting, huge numbers and broken encodings.
var postSeeds = []string{
	`{}`, `[]`, `null`, `1`, `"x"`, `true`, ``, ` `, `{`, `{}{}`, `{} x`, `{"a":1}garbage`,
	`{"certificateNo":1}`, `{"certificateNo":"1"}`, `{"certificateNo":1e400}`, `{"certificateNo":-1}`,
	`{"certificateNo":99999999999999999999999999}`, `{"certificateNo":1.5}`, `{"certificateNo":[1]}`,
	`{"certificateNo":{"a":1}}`, `{"certificateNo":null}`, `{"privateKey":1}`, `{"privateKey":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}`,
	`{"csr":"x","certificateType":"NCP_PAID_DV_01","certificateName":"n","commonName":"a.example.com","validationMethod":"D"}`,
	`{"dnsName":"a.example.com"}`, `{"dnsName":[1,2]}`, `{"organizationNo":"abc"}`, `{"organizationNo":1e30}`,
	strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000),
	strings.Repeat(`[`, 100000),
	"{\"certificateName\":\"\xff\xfe\"}", "\xef\xbb\xbf{}", `{"certificateName":"\ud800"}`,
}

// FuzzPostRoutes feeds arbitrary bodies to the handler of every POST route
// of the API (taken from the route table, so new routes are fuzzed too),
// through the whole gateway with a valid signature, and wants: no panic,
// never HTTP 500, and always a JSON object answer (the NCP result or the
// gateway error envelope). Seeds are in testdata/fuzz/FuzzPostRoutes.
func FuzzPostRoutes(f *testing.F) {
	e := newEnv(f)
	var routes []string
	for _, r := range e.api.Routes() {
		if method, path, _ := strings.Cut(r, " "); method == http.MethodPost {
			routes = append(routes, path)
		}
	}
	if len(routes) == 0 {
		f.Fatal("no POST route in the route table")
	}
	for i := range routes {
		for _, s := range postSeeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := routes[int(route)%len(routes)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		sign(req, path, e.a, time.Now())
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: status %d: %s", path, body, rec.Code, rec.Body.Bytes())
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("POST %s %q: status %d, answer is not a JSON object (%v): %q", path, body, rec.Code, err, rec.Body.Bytes())
		}
		if _, ok := v["returnCode"]; !ok {
			if _, ok := v["error"]; !ok {
				t.Fatalf("POST %s %q: answer has neither returnCode nor error: %s", path, body, rec.Body.Bytes())
			}
		}
		if rec.Code == http.StatusBadRequest {
			if msg, _ := v["returnMessage"].(string); msg == "" {
				t.Fatalf("POST %s %q: 400 without a returnMessage: %s", path, body, rec.Body.Bytes())
			}
		}
	})
}
