package engine

import (
	"slices"
	"testing"
)

// TestContextReset checks that a reset context holds no key, and that keys
// set after a reset are read back as set.
func TestContextReset(t *testing.T) {
	t.Parallel()
	c := NewContext(4)
	c.Set("aws:SourceIp", "203.0.113.7")
	c.SetMulti("aws:TagKeys", []string{"team"})
	c.Reset()
	if n := c.Len(); n != 0 {
		t.Fatalf("Len after Reset = %d, want 0", n)
	}
	if _, _, ok := c.Get("aws:sourceip"); ok {
		t.Errorf("aws:SourceIp is present after Reset")
	}
	c.Set("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice")
	got, multi, ok := c.Get("AWS:PRINCIPALARN")
	if !ok || multi || !slices.Equal(got, []string{"arn:aws:iam::111122223333:user/alice"}) {
		t.Errorf("Get after Reset and Set = %q, multi %v, present %v; want the value set", got, multi, ok)
	}
	if n := c.Len(); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
}
