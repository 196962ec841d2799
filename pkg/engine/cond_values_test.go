package engine

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

// typedSeeds are request values of every shape parseForm tells apart.
var typedSeeds = []string{
	"", "growth", "203.0.113.7", "10.0.0.1", "::1", "2001:db8::1", "fe80::1%eth0", "::ffff:10.0.0.1",
	"1.2.3", "1.2.3.4.5", "abc:def", "cafe", "1700000000", "1700000000.5", "-12", "+3", "1e3", "1E-3", ".5",
	"5.", "-", ".", "1e", "0x10", "1_000", "NaN", "inf", "+Inf", "infinity", "1.2.3",
	"2026-11-23T21:00:00Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z",
	"2024-01-01T23:59:60Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z", "0000-01-01T00:00:00Z",
	"2024-01-01t00:00:00z", "2024-01-01", "2024-01-01T10:00", "2024-01-01T10:00:00+02:00",
	"2024-01-01T10:00:00.123Z", "-123-01-02", "+123-01-02", "2024-1-01", "111122223333",
	"2024-06", "2024-13", "2024-00", "2024-6", "2024-06-", "2024", "2024-06Z", "2024-06T10:00Z",
	"arn:aws:iam::111122223333:user/alice", "true", "FALSE",
	"0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.4.",
	"1000.1.1.1", "1.2.3.4%eth0", "00.1.2.3",
}

// TestParseForm checks that the forms a decision parses once and remembers
// are exactly what the operators would parse from the text.
func TestParseForm(t *testing.T) {
	t.Parallel()
	for _, s := range typedSeeds {
		checkTyped(t, s)
	}
}

func FuzzParseForm(f *testing.F) {
	for _, s := range typedSeeds {
		f.Add(s)
	}
	f.Fuzz(checkTyped)
}

func checkTyped(t *testing.T, s string) {
	var tv typedValue
	for _, f := range []typedForm{formIP, formNum, formDate} {
		tv.parseForm(s, f)
	}
	a, err := netip.ParseAddr(s)
	got, ok, parsed := tv.ipAddr()
	assert.True(t, parsed, "parseForm(%q): ip parsed", s)
	assert.Equal(t, err == nil, ok, "parseForm(%q): ip ok", s)
	if ok {
		assert.Equal(t, a, got, "parseForm(%q): ip", s)
	}
	n, nok := parseNumber(s)
	gotN, ok, parsed := tv.number()
	assert.True(t, parsed, "parseForm(%q): number parsed", s)
	assert.Equal(t, nok, ok, "parseForm(%q): number ok", s)
	if ok {
		assert.Equal(t, n, gotN, "parseForm(%q): number", s)
	}
	d, dok := parseDateLayouts(s)
	gotD, ok, parsed := tv.dateNanos()
	assert.True(t, parsed, "parseForm(%q): date parsed", s)
	assert.Equal(t, dok, ok, "parseForm(%q): date ok", s)
	if ok {
		assert.Equal(t, d, gotD, "parseForm(%q): date", s)
	}
	gotD, ok = parseDate(s)
	assert.Equal(t, dok, ok, "parseDate(%q) ok", s)
	if ok {
		assert.Equal(t, d, gotD, "parseDate(%q)", s)
	}
}
