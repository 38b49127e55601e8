package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ncmhq/ncm/ncpapi"
	"github.com/ncmhq/ncm/service"
)

// objects are what member A owns, by kind, as the strings a request names
// them by. missing holds, per kind, a reference to nothing at all.
type objects map[string]string

var missing = objects{
	"certificate":     "999999991",
	"order":           "999999992",
	"organization":    "999999993",
	"certificateName": "no-such-cert-name",
	"privateKey":      "", // filled in by the test: A's real key
	// lifecycle.go
	"domain":        "999999994",
	"domainAddress": "nothing.example.net",
	"eabAccount":    "999999995",
}

// probe is one way a request can name another member's object: ref is the
// kind of object (a key of objects), build the request naming it.
type probe struct {
	ref   string
	build func(ref string, o objects) (target string, body any)
}

// isolationProbes has, for EVERY route of the API, the requests that name
// an object by number or name. TestIsolationEveryRoute fails for a route
// missing here: a new route must say how it is kept to its member.
var isolationProbes = map[string][]probe{
	// lifecycle.go: orders, validation, reissue, revoke, renewal, domains,
	// organizations, EAB. Routes that name nothing of another member list
	// only the caller's own objects and have no probe.
	"GET /api/v2/certificate/orders": {},
	"GET /api/v2/certificate/orders/{orderId}": {
		{"order", func(ref string, _ objects) (string, any) { return "/api/v2/certificate/orders/" + ref, nil }},
	},
	"POST /api/v2/certificate/subscription/extend": {
		{"order", func(ref string, _ objects) (string, any) {
			return "/api/v2/certificate/subscription/extend", map[string]any{"orderId": ref, "subscriptionPeriod": "1Y"}
		}},
	},
	"GET /api/v2/certificate/getVerificationInfo/{certificateNo}": {
		{"certificate", func(ref string, _ objects) (string, any) {
			return "/api/v2/certificate/getVerificationInfo/" + ref, nil
		}},
	},
	"GET /api/v2/certificate/recentChanges": {},
	"POST /api/v2/certificate/{certificateNo}/{action}": {
		{"certificate", func(ref string, o objects) (string, any) {
			return "/api/v2/certificate/" + ref + "/reissue", map[string]any{
				"csr": o["csr"], "certificateName": "b-probe", "commonName": "a.example.com", "validationMethod": "D"}
		}},
	},
	"POST /api/v2/certificate/revoke": {
		{"order", func(ref string, _ objects) (string, any) {
			return "/api/v2/certificate/revoke", map[string]any{"orderId": ref, "certificateNo": 0, "revokeType": "superseded"}
		}},
	},
	"POST /api/v2/certificate/setCertificateRenewal": {
		{"certificate", func(ref string, _ objects) (string, any) {
			return "/api/v2/certificate/setCertificateRenewal", map[string]any{"certificateNo": ref, "renewalYn": "Y"}
		}},
	},
	"POST /api/v2/certificate/requestCertificateIssuance":    {},
	"POST /api/v2/certificate/requestGedCertificateIssuance": {},
	"GET /api/v2/domain/domains": {
		{"domainAddress", func(ref string, _ objects) (string, any) { return "/api/v2/domain/domains?domainAddress=" + ref, nil }},
	},
	"POST /api/v2/domain/domains": {
		{"organization", func(ref string, _ objects) (string, any) {
			return "/api/v2/domain/domains", map[string]any{"dmnAddr": "b.example.com", "dcvType": "PTXT", "issueType": "CONSOLE", "orgNo": ref}
		}},
	},
	"DELETE /api/v2/domain/domains/{dmnId}": {
		{"domain", func(ref string, _ objects) (string, any) { return "/api/v2/domain/domains/" + ref, nil }},
	},
	"POST /api/v2/organization/getOrganizationInfoList": {},
	"GET /api/v2/acme/accounts":                         {},
	"POST /api/v2/acme/account": {
		{"organization", func(ref string, _ objects) (string, any) {
			return "/api/v2/acme/account", map[string]any{"validationMode": "PRE", "certificateTypeCode": "NPO_01",
				"validityDays": 90, "alias": "b-probe", "organizationNo": ref}
		}},
	},
	"POST /api/v2/acme/account/{accountId}/deactivate": {
		{"eabAccount", func(ref string, _ objects) (string, any) { return "/api/v2/acme/account/" + ref + "/deactivate", nil }},
	},
	"GET /api/v2/certificate/getPaidCertificates": {
		{"certificateName", func(ref string, _ objects) (string, any) {
			return "/api/v2/certificate/getPaidCertificates?certificateName=" + url.QueryEscape(ref), nil
		}},
	},
	"POST /api/v2/certificate/requestPaidCertificateIssuance": {
		{"organization", func(ref string, o objects) (string, any) {
			return "/api/v2/certificate/requestPaidCertificateIssuance", map[string]any{
				"csr": o["csr"], "certificateType": "NCP_PAID_OV_01", "certificateName": "b-probe",
				"commonName": "probe.example.com", "validationMethod": "D", "organizationNo": ref,
			}
		}},
	},
	"POST /api/v2/certificate/registPrivateKey": {
		{"certificate", func(ref string, o objects) (string, any) {
			return "/api/v2/certificate/registPrivateKey", map[string]any{"certificateNo": ref, "privateKey": o["keyPEM"]}
		}},
	},
}

// TestIsolationEveryRoute sends member B's valid key, on every route, at
// each of member A's objects and at a reference to nothing, and wants the
// two answers identical (so B learns nothing, not even existence) and A's
// view unchanged (so B changed nothing).
func TestIsolationEveryRoute(t *testing.T) {
	e := newEnv(t)
	a := setupMemberA(t, e)

	before := e.viewOf(t, e.a, a)
	for _, route := range e.api.Routes() {
		probes, ok := isolationProbes[route]
		if !ok {
			t.Errorf("route %q has no isolation probe: add its requests naming another member's objects to isolationProbes (isolation_test.go)", route)
			continue
		}
		method, _, _ := strings.Cut(route, " ")
		for _, p := range probes {
			t.Run(route+" by "+p.ref, func(t *testing.T) {
				got := e.answer(t, e.b, method, p, a[p.ref], a)
				want := e.answer(t, e.b, method, p, missing[p.ref], a)
				got = strings.ReplaceAll(got, a[p.ref], "<ref>")
				want = strings.ReplaceAll(want, missing[p.ref], "<ref>")
				if got != want {
					t.Errorf("member B on member A's %s %q answered\n  %s\nbut on one that does not exist\n  %s", p.ref, a[p.ref], got, want)
				}
			})
		}
	}
	if after := e.viewOf(t, e.a, a); after != before {
		t.Errorf("member A's view changed after member B's requests:\nbefore %s\nafter  %s", before, after)
	}
}

// setupMemberA gives member A one of each object and returns them.
func setupMemberA(t *testing.T, e *env) objects {
	t.Helper()
	ctx := context.Background()
	org, err := e.svc.CreateOrganization(ctx, e.a.MemberNo, service.NewOrganization{
		NameEng: "A Corp", Country: "KR", State: "Seoul", Locality: "Seoul"})
	if err != nil {
		t.Fatal(err)
	}
	key := testKey(t)
	o := objects{
		"organization":    strconv.FormatInt(org.No, 10),
		"certificateName": "a-cert",
		"csr":             csrPEM(t, key, "a.example.com"),
		"keyPEM":          keyPEM(t, key),
	}
	body, _ := json.Marshal(map[string]any{
		"csr": o["csr"], "certificateType": "NCP_PAID_OV_01", "certificateName": o["certificateName"],
		"commonName": "a.example.com", "validationMethod": "D", "organizationNo": org.No,
	})
	st, _, b := e.do(e.signed(e.a, "POST", "/api/v2/certificate/requestPaidCertificateIssuance", body))
	var resp ncpapi.AdvancedCertificateResponse
	if err := json.Unmarshal(b, &resp); st != http.StatusOK || err != nil || resp.PaidCertificate == nil {
		t.Fatalf("member A's request: status %d: %s", st, b)
	}
	o["certificate"] = strconv.FormatInt(resp.PaidCertificate.CertificateNo, 10)
	o["order"] = resp.PaidCertificate.OrderID
	// lifecycle.go: a registered domain and an EAB credential.
	pa := &service.Principal{MemberNo: e.a.MemberNo, KeyKind: e.a.Kind}
	dom, err := e.svc.RegisterDomain(ctx, pa, "a-domain.example.com", "PTXT", "CONSOLE", 0)
	if err != nil {
		t.Fatal(err)
	}
	o["domain"], o["domainAddress"] = strconv.FormatInt(dom.ID, 10), dom.Address
	eab, err := e.svc.CreateEab(ctx, pa, service.NewEab{ValidationMode: "PRE", CertificateTypeCode: "NPD_01", ValidityDays: 90, Alias: "a"})
	if err != nil {
		t.Fatal(err)
	}
	o["eabAccount"] = strconv.FormatInt(eab.Account.ID, 10)
	return o
}

var volatile = regexp.MustCompile(`"(traceId|requestId)":"[^"]*"`)

// answer sends p naming ref with c's key and returns status and body.
func (e *env) answer(t *testing.T, c *service.Credentials, method string, p probe, ref string, o objects) string {
	t.Helper()
	target, body := p.build(ref, o)
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	st, h, b := e.do(e.signed(c, method, target, raw))
	return fmt.Sprintf("%d origin=%s %s", st, h.Get("x-ncp-apigw-response-origin"), volatile.ReplaceAll(bytes.TrimSpace(b), nil))
}

// viewOf is what member c sees of its objects through every GET probe.
func (e *env) viewOf(t *testing.T, c *service.Credentials, o objects) string {
	t.Helper()
	var sb strings.Builder
	for _, route := range e.api.Routes() {
		method, _, _ := strings.Cut(route, " ")
		if method != http.MethodGet {
			continue
		}
		for _, p := range isolationProbes[route] {
			sb.WriteString(e.answer(t, c, method, p, o[p.ref], o))
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}
