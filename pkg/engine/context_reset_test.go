package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContextReset checks that a reset context holds no key, and that keys
// set after a reset are read back as set.
func TestContextReset(t *testing.T) {
	t.Parallel()
	c := NewContext(4)
	c.Set("aws:SourceIp", "203.0.113.7")
	c.SetMulti("aws:TagKeys", []string{"team"})
	c.Reset()
	require.Zero(t, c.Len(), "Len after Reset")
	_, _, ok := c.Get("aws:sourceip")
	assert.False(t, ok, "aws:SourceIp is present after Reset")
	c.Set("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice")
	got, multi, ok := c.Get("AWS:PRINCIPALARN")
	assert.True(t, ok, "Get after Reset and Set: present")
	assert.False(t, multi, "Get after Reset and Set: multi")
	assert.Equal(t, []string{"arn:aws:iam::111122223333:user/alice"}, got, "Get after Reset and Set")
	assert.Equal(t, 1, c.Len(), "Len")
}
