package jsonpos

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestWordTests checks the eight-byte tests of strings against one-byte
// ones: every byte value at every position among plain bytes, and random
// words.
func TestWordTests(t *testing.T) {
	t.Parallel()
	check := func(b [8]byte) {
		first, nspace := 8, 0
		for i, c := range b {
			if !plainByte[c] && first == 8 {
				first = i
			}
			if c == ' ' {
				nspace++
			}
		}
		x := binary.LittleEndian.Uint64(b[:])
		bad := notPlain(x)
		if got := bits.TrailingZeros64(bad) / 8; got != first || (bad == 0) != (first == 8) {
			t.Fatalf("notPlain(%q) = %#x: first byte %d, want %d", b, bad, got, first)
		}
		if got := bits.OnesCount64(spaces(x)); got != nspace {
			t.Fatalf("spaces(%q) = %#x, %d bits, want %d", b, spaces(x), got, nspace)
		}
	}
	for pos := range 8 {
		for c := range 256 {
			b := [8]byte{'a', 'b', ' ', '~', '!', ' ', '[', ']'}
			b[pos] = byte(c)
			check(b)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], r.Uint64())
		for i := range b {
			if r.IntN(4) > 0 { // mostly plain, so that one bad byte is the usual case
				b[i] = byte(0x20 + r.IntN(0x60))
			}
		}
		check(b)
	}
}
