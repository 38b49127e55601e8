package ncpapi

import (
	"fmt"
	"strings"
	"time"
)

// DateLayout is the layout of certificate dates on the wire, e.g.
// "2026-03-01 10:15:30(UTC+09:00)" (the seed document's form).
const DateLayout = "2006-01-02 15:04:05(UTC-07:00)"

// SubscriptionLayout is the layout of order subscription dates, which carry
// no zone; they are in the server's display zone.
const SubscriptionLayout = "2006-01-02 15:04:05"

// FormatDate renders t in loc in DateLayout. This is the one place where
// stored UTC instants become wire dates.
func FormatDate(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(DateLayout)
}

// FormatDatePtr is FormatDate for optional dates: nil stays nil (JSON null).
func FormatDatePtr(t *time.Time, loc *time.Location) *string {
	if t == nil {
		return nil
	}
	s := FormatDate(*t, loc)
	return &s
}

// ParseDate reads a wire date leniently: DateLayout (any offset, including
// "UTC+00:00"), "UTC" alone, RFC 3339, and the zone-less forms
// "2006-01-02 15:04:05" and "2006-01-02T15:04:05", which are read in loc
// (the display zone). It never guesses beyond that.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.Parse(DateLayout, s); err == nil {
		return t, nil
	}
	if strings.HasSuffix(s, "(UTC)") {
		if t, err := time.ParseInLocation(SubscriptionLayout, strings.TrimSuffix(s, "(UTC)"), time.UTC); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{SubscriptionLayout, "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised date %q (want e.g. 2026-03-01 10:15:30(UTC+09:00))", s)
}
