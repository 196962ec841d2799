package jsonpos

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
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
		require.Equal(t, first, bits.TrailingZeros64(bad)/8, "notPlain(%q) = %#x: first byte", b, bad)
		require.Equal(t, first == 8, bad == 0, "notPlain(%q) = %#x: no byte flagged", b, bad)
		require.Equal(t, nspace, bits.OnesCount64(spaces(x)), "spaces(%q) = %#x: bits", b, spaces(x))
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
