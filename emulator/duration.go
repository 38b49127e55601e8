package emulator

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// ParseDuration reads a duration as time.ParseDuration does, plus the unit
// "d" for days of 24 hours, which is how certificate lifetimes are talked
// about: "60d", "1d12h", "1.5d", "-2h", "90m".
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration; want e.g. 60d, 36h or 90m")
	}
	rest := in
	sign := 1.0
	if rest[0] == '-' || rest[0] == '+' {
		if rest[0] == '-' {
			sign = -1
		}
		rest = rest[1:]
	}
	if rest == "0" {
		return 0, nil
	}
	var total float64 // nanoseconds, checked against overflow at the end
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		num := rest[:i]
		rest = rest[i:]
		j := 0
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		if num == "" || unit == "" {
			return 0, fmt.Errorf("duration %q: each number needs a unit (d, h, m, s, ms, us, ns), e.g. 60d or 1d12h", in)
		}
		if unit == "d" {
			// time.ParseDuration knows hours; a day here is 24 of them.
			d, err := time.ParseDuration(num + "h")
			if err != nil {
				return 0, fmt.Errorf("duration %q: %q is not a number of days", in, num)
			}
			total += float64(d) * 24
			continue
		}
		d, err := time.ParseDuration(num + unit)
		if err != nil {
			return 0, fmt.Errorf("duration %q: unknown unit %q or bad number %q (units: d, h, m, s, ms, us, ns)", in, unit, num)
		}
		total += float64(d)
	}
	if total > math.MaxInt64 {
		return 0, fmt.Errorf("duration %q is too long (at most about 106751d)", in)
	}
	return time.Duration(sign * total), nil
}

// FormatDuration writes d with days, the way ParseDuration reads it back:
// "60d", "1d12h0m0s", "-2h0m0s".
func FormatDuration(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	days := d / (24 * time.Hour)
	rest := d % (24 * time.Hour)
	switch {
	case days == 0:
		return sign + rest.String()
	case rest == 0:
		return fmt.Sprintf("%s%dd", sign, days)
	}
	return fmt.Sprintf("%s%dd%s", sign, days, rest)
}
