package client

import (
	"maps"
	"net/url"
	"slices"
	"strings"
)

// EncodeQuery encodes q like url.Values.Encode (keys sorted, values in
// order) but writes a space as %20 and a literal '+' as %2B. The result is
// signed and sent byte for byte, so whichever way a server decodes '+', the
// value arrives intact (field case C27).
func EncodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(escape(k))
			b.WriteByte('=')
			b.WriteString(escape(v))
		}
	}
	return b.String()
}

// escape is url.QueryEscape with spaces as %20: QueryEscape already turns a
// literal '+' into %2B, so every '+' left in its output stands for a space.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
