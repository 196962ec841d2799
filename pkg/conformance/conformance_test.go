package conformance_test

import (
	"bufio"
	"os"
	"testing"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/conformance"
)

// TestPublicCorpus decides every case of the public corpus and requires the
// expected decision.
func TestPublicCorpus(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../engine/testdata/public.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		c, err := conformance.Decode(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
		t.Run(c.ID, func(t *testing.T) {
			got, err := c.Evaluate(cat)
			if err != nil {
				t.Fatalf("evaluate: %v (features %v)", err, c.Features)
			}
			if got.String() != c.Expect {
				t.Errorf("decision %s, want %s (features %v)", got, c.Expect, c.Features)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 721 {
		t.Errorf("read %d cases, want 721", n)
	}
}
