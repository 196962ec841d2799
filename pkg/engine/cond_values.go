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
// seconds: those of the W3C profile the condition operators page names
// (https://www.w3.org/TR/NOTE-datetime), from "YYYY-MM" to a time with a
// decimal fraction of a second, and a few near forms. The profile's bare
// "YYYY" is not among them: four digits are epoch seconds.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
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
// with a four-digit year, '-' and a two-digit month). Otherwise the layouts
// decide.
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
	if len(s) < len("2006-01") || s[4] != '-' || !allDigits(s[:4]) {
		return 0, false, true // every layout starts with a four-digit year and a month
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

// typedValue holds the parsed forms of one request value. A form whose bit
// is clear in known is parsed when a condition needs it.
type typedValue struct {
	known, ok typedForm
	ip        netip.Addr
	num       float64
	date      int64 // Unix nanoseconds
}

// typedForm is a set of the forms a typedValue may hold.
type typedForm uint8

const (
	formIP typedForm = 1 << iota
	formNum
	formDate
)

// has reports whether the value is known to have form f (parsed is true)
// or known not to (parsed true, valid false); parsed is false when the
// value must be parsed on use.
func (t *typedValue) has(f typedForm) (valid, parsed bool) {
	if t == nil || t.known&f == 0 {
		return false, false
	}
	return t.ok&f != 0, true
}

// ipAddr returns the value as an IP address; see has.
func (t *typedValue) ipAddr() (a netip.Addr, valid, parsed bool) {
	if valid, parsed = t.has(formIP); valid {
		a = t.ip
	}
	return a, valid, parsed
}

// number returns the value as a Numeric value; see has.
func (t *typedValue) number() (n float64, valid, parsed bool) {
	if valid, parsed = t.has(formNum); valid {
		n = t.num
	}
	return n, valid, parsed
}

// dateNanos returns the value as a Date value; see has.
func (t *typedValue) dateNanos() (d int64, valid, parsed bool) {
	if valid, parsed = t.has(formDate); valid {
		d = t.date
	}
	return d, valid, parsed
}

// parseForm parses s into form f, once: afterwards t knows whether s has
// that form. The shape tests are necessary conditions of the parsers, so a
// value they turn away is known not to parse without calling them, and most
// values (names, tags, ARNs) are turned away by their first byte.
func (t *typedValue) parseForm(s string, f typedForm) {
	if t.known&f != 0 {
		return
	}
	t.known |= f
	if len(s) == 0 || !mayBeTyped(s[0]) {
		return // no IP address, number or date starts so
	}
	switch f {
	case formIP:
		if a, ok := parseIPv4(s); ok {
			t.ip, t.ok = a, t.ok|formIP
			return
		}
		if !ipShaped(s) {
			return
		}
		if a, err := netip.ParseAddr(s); err == nil {
			t.ip, t.ok = a, t.ok|formIP
		}
	case formNum:
		if !decimalShaped(s) {
			return
		}
		if n, ok := parseNumber(s); ok {
			t.num, t.ok = n, t.ok|formNum
		}
	case formDate:
		if d, ok := parseDate(s); ok {
			t.date, t.ok = d, t.ok|formDate
		}
	}
}

// parseIPv4 reads the dotted-quad form servers give aws:SourceIp in, with
// netip.ParseAddr's rules: four decimal fields of at most 255 without
// leading zeros. ok is false for anything else, which netip.ParseAddr then
// reads or rejects.
func parseIPv4(s string) (a netip.Addr, ok bool) {
	var fields [4]byte
	field, val, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			if digits == 1 && val == 0 {
				return a, false // a leading zero
			}
			val, digits = val*10+int(c-'0'), digits+1
			if val > 255 {
				return a, false
			}
		case c == '.' && digits > 0 && field < 3:
			fields[field], field, val, digits = byte(val), field+1, 0, 0
		default:
			return a, false
		}
	}
	if field != 3 || digits == 0 {
		return a, false
	}
	fields[3] = byte(val)
	return netip.AddrFrom4(fields), true
}

// mayBeTyped reports whether a value starting with c may be an IP address
// (a hex digit, '.' or ':'), a number (a digit, a sign or '.') or a date
// (a digit, or '-' for negative epoch seconds).
func mayBeTyped(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '.' || c == ':' || c == '+' || c == '-'
}

// ipShaped reports whether s could be an IP address: hex digits, dots and
// colons, with at least one dot or colon, before any "%zone".
func ipShaped(s string) bool {
	sep := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' || c == ':':
			sep = true
		case c == '%':
			return sep
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return sep
}

// decimalShaped reports whether s has the syntax of a decimal number as
// strconv.ParseFloat reads it: [+-] digits [. digits] [e [+-] digits],
// with at least one digit before the exponent.
func decimalShaped(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
