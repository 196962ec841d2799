package engine

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// parseNumber reads a Numeric value: an integer or a decimal number.
func parseNumber(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "xXpP_") || strings.EqualFold(s, "nan") ||
		strings.Contains(strings.ToLower(s), "inf") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// dateLayouts are the ISO 8601 forms a Date value may take besides epoch
// seconds.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseDate reads a Date value, ISO 8601 or epoch seconds, as Unix
// nanoseconds. Dates may be written either way in policies and requests.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
func parseDate(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if isEpoch(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		return int64(f * 1e9), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

func isEpoch(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || (c == '-' && i == 0):
		default:
			return false
		}
	}
	return digits > 0
}

// parseBool reads "true" or "false" without regard to case.
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// ipRange is an IpAddress value: a CIDR block, or one address taken as /32
// or /128.
type ipRange struct{ prefix netip.Prefix }

func parseIPRange(s string) (ipRange, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return ipRange{}, false
		}
		return ipRange{prefix: p.Masked()}, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ipRange{}, false
	}
	return ipRange{prefix: netip.PrefixFrom(a, a.BitLen())}, true
}

// contains reports whether the request address s is in the range, and
// whether s is an address at all. An address of the other family is not in
// the range; an IPv4-mapped IPv6 address counts as IPv6.
func (r ipRange) contains(s string) (in, valid bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false, false
	}
	return r.prefix.Contains(a), true
}
