package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/ncmhq/ncm/ncpapi"
)

// The seed response is ncm's largest and most frequent answer: a page of 20
// orders is about 78 KB, of 100 about 390 KB. encoding/json spent more time
// on it (reflection over 25 fields per certificate) than the floor server
// of `ncm bench load` spent on a whole request (docs/PERFORMANCE.md), so it
// is written by hand here. The output is byte for byte what writeOK's
// json.Encoder (HTML escaping off) writes for the same value, trailing
// newline included; TestEncodeListAdvancedMatchesEncodingJSON holds it to
// that. Keep the key order that of the ncpapi struct fields.

var listBuffers = sync.Pool{New: func() any { return new([]byte) }}

// writeListAdvanced answers v with origin ENDPOINT, as writeOK would.
func writeListAdvanced(w http.ResponseWriter, v *ncpapi.ListAdvancedCertificatesResponse) {
	bp := listBuffers.Get().(*[]byte)
	b := appendListAdvanced((*bp)[:0], v)
	w.Header().Set(ncpapi.HeaderOrigin, ncpapi.OriginEndpoint)
	w.Header().Set("Content-Type", ncpapi.ContentTypeJSON)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // the client went away; nothing left to tell it
	if cap(b) <= 4<<20 {
		*bp = b
		listBuffers.Put(bp)
	}
}

// appendListAdvanced appends v as encoding/json's Encoder (SetEscapeHTML
// false) writes it, newline included.
func appendListAdvanced(b []byte, v *ncpapi.ListAdvancedCertificatesResponse) []byte {
	b = append(b, `{"returnCode":`...)
	b = appendString(b, v.ReturnCode)
	b = append(b, `,"returnMessage":`...)
	b = appendString(b, v.ReturnMessage)
	b = append(b, `,"totalCount":`...)
	b = strconv.AppendInt(b, int64(v.TotalCount), 10)
	b = append(b, `,"orders":`...)
	if v.Orders == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range v.Orders {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOrder(b, &v.Orders[i])
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

func appendOrder(b []byte, o *ncpapi.AdvancedOrder) []byte {
	b = append(b, `{"orderId":`...)
	b = appendString(b, o.OrderID)
	b = append(b, `,"certificates":`...)
	if o.Certificates == nil {
		return append(b, "null}"...)
	}
	b = append(b, '[')
	for i := range o.Certificates {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCertificate(b, &o.Certificates[i])
	}
	return append(b, "]}"...)
}

func appendCertificate(b []byte, c *ncpapi.AdvancedCertificate) []byte {
	b = append(b, `{"certificateNo":`...)
	b = strconv.AppendInt(b, c.CertificateNo, 10)
	for _, f := range [...]struct {
		key string
		val string
	}{
		{`,"certificateName":`, c.CertificateName},
		{`,"memberNo":`, c.MemberNo},
		{`,"commonName":`, c.CommonName},
		{`,"dnsName":`, c.DNSName},
		{`,"statusCode":`, c.StatusCode},
		{`,"statusName":`, c.StatusName},
		{`,"certificateType":`, c.CertificateType},
		{`,"domainCode":`, c.DomainCode},
		{`,"updateDate":`, c.UpdateDate},
		{`,"orderId":`, c.OrderID},
		{`,"issueType":`, c.IssueType},
		{`,"subjectDN":`, c.SubjectDN},
		{`,"registDate":`, c.RegistDate},
	} {
		b = append(b, f.key...)
		b = appendString(b, f.val)
	}
	b = append(b, `,"notAfter":`...)
	b = appendStringPtr(b, c.NotAfter)
	for _, f := range [...]struct {
		key string
		val string
	}{
		{`,"certPublicKeyInfo":`, c.CertPublicKeyInfo},
		{`,"issuer":`, c.Issuer},
		{`,"serialNumber":`, c.SerialNumber},
		{`,"signatureAlgorithm":`, c.SignatureAlgorithm},
	} {
		b = append(b, f.key...)
		b = appendString(b, f.val)
	}
	b = append(b, `,"issueDate":`...)
	b = appendStringPtr(b, c.IssueDate)
	b = append(b, `,"notBefore":`...)
	b = appendStringPtr(b, c.NotBefore)
	b = append(b, `,"revokeDate":`...)
	b = appendStringPtr(b, c.RevokeDate)
	b = append(b, `,"usedInstanceNoList":`...)
	b = appendString(b, c.UsedInstanceNoList)
	if c.LegacyOrderID != "" { // omitempty
		b = append(b, `,"orderID":`...)
		b = appendString(b, c.LegacyOrderID)
	}
	if c.LegacyCertificateTypeCode != "" { // omitempty
		b = append(b, `,"certificateTypeCode":`...)
		b = appendString(b, c.LegacyCertificateTypeCode)
	}
	return append(b, '}')
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendString appends s as a JSON string. Printable ASCII other than the
// quote and backslash is copied as it is, which is what encoding/json does
// too; anything else (control characters, non-ASCII, invalid UTF-8, U+2028)
// goes through encoding/json itself, so the rare cases cannot differ.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return appendStringSlow(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendStringSlow(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
