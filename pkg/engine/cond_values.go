package engine

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// parseNumber reads a Numeric value: an integer or a decimal number.
// Hexadecimal, underscores, NaN and infinities, which strconv.ParseFloat
// also reads, are not numbers here.
func parseNumber(s string) (float64, bool) {
	// Up to 15 digits is an integer below 2^53, which a float64 holds
	// exactly: the value strconv.ParseFloat would return.
	if s != "" && len(s) <= 15 && allDigits(s) {
		return float64(atoi(s)), true
	}
	if s == "" || strings.ContainsAny(s, "xXpP_") || strings.EqualFold(s, "nan") || containsInf(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// containsInf reports whether s holds "inf" in any case of ASCII letters;
// strconv.ParseFloat reads only ASCII, so other letters do not matter.
func containsInf(s string) bool {
	for i := 0; i+3 <= len(s); i++ {
		if lowerASCII(s[i]) == 'i' && lowerASCII(s[i+1]) == 'n' && lowerASCII(s[i+2]) == 'f' {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
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
	if d, ok, sure := parseDateFast(s); sure {
		return d, ok
	}
	return parseDateLayouts(s)
}

// parseDateLayouts reads a Date value by trying each form in turn.
func parseDateLayouts(s string) (int64, bool) {
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

// parseDateFast reads the common forms of a Date value without the layout
// search of parseDateLayouts, and with the same result: epoch seconds, and
// the UTC form "2006-01-02T15:04:05Z" that servers write for
// aws:CurrentTime. sure is true when the answer is final: the value was
// read, or it cannot be a date at all (neither epoch-shaped nor starting
// with a four-digit year and '-'). Otherwise the layouts decide.
func parseDateFast(s string) (d int64, ok, sure bool) {
	if isEpoch(s) {
		if strings.Count(s, ".") > 1 {
			return 0, false, true // strconv.ParseFloat reads one point at most
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false, true
		}
		return int64(f * 1e9), true, true
	}
	if len(s) < len("2006-01-02") || s[4] != '-' || !allDigits(s[:4]) {
		return 0, false, true // every layout starts with a four-digit year
	}
	if len(s) != len("2006-01-02T15:04:05Z") || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' ||
		!allDigits(s[5:7]) || !allDigits(s[8:10]) || !allDigits(s[11:13]) || !allDigits(s[14:16]) || !allDigits(s[17:19]) {
		return 0, false, false
	}
	year, month, day := atoi(s[:4]), atoi(s[5:7]), atoi(s[8:10])
	hour, minute, sec := atoi(s[11:13]), atoi(s[14:16]), atoi(s[17:19])
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false, false // out of range: the layouts report it
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).UnixNano(), true, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoi reads a short run of ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
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
// the range; an IPv4-mapped IPv6 address counts as IPv6. tv, when not nil,
// may hold s already parsed.
func (r ipRange) contains(s string, tv *typedValue) (in, valid bool) {
	a, ok, parsed := tv.ipAddr()
	if !parsed {
		var err error
		a, err = netip.ParseAddr(s)
		ok = err == nil
	}
	if !ok {
		return false, false
	}
	return r.prefix.Contains(a), true
}
