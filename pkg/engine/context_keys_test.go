package engine

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContextKeyHandles checks that SetKey, SetMultiKey, SetTag and SetTags
// set what Set and SetMulti set with the key's name, found without regard
// to case and named as given.
func TestContextKeyHandles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		set     func(c *Context)
		get     string
		want    []string
		multi   bool
		keyName string
	}{
		{"SetKey", func(c *Context) { c.SetKey(KeySourceIP, "203.0.113.7") }, "AWS:SOURCEIP", []string{"203.0.113.7"}, false, "aws:SourceIp"},
		{"NewKey", func(c *Context) { c.SetKey(NewKey("aws:PrincipalTag/Cost-Center"), "42") }, "aws:principaltag/cost-center", []string{"42"}, false, "aws:PrincipalTag/Cost-Center"},
		{"SetMultiKey", func(c *Context) { c.SetMultiKey(KeyTagKeys, []string{"a", "b"}) }, "aws:TagKeys", []string{"a", "b"}, true, "aws:TagKeys"},
		{"SetTag principal", func(c *Context) { c.SetTag(PrincipalTag, "Team", "growth") }, "aws:principaltag/team", []string{"growth"}, false, "aws:PrincipalTag/Team"},
		{"SetTag resource", func(c *Context) { c.SetTag(ResourceTag, "env", "prod") }, "AWS:ResourceTag/ENV", []string{"prod"}, false, "aws:ResourceTag/env"},
		{"SetTags request", func(c *Context) { c.SetTags(RequestTag, []Tag{{"a", "1"}, {"b", "2"}}) }, "aws:RequestTag/b", []string{"2"}, false, "aws:RequestTag/b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Fresh, and reused after a Reset, when names are remembered.
			for _, reused := range []bool{false, true} {
				c := NewContext(2)
				if reused {
					tc.set(c)
					c.Reset()
				}
				tc.set(c)
				got, multi, ok := c.Get(tc.get)
				require.True(t, ok, "reused %v: %s is absent", reused, tc.get)
				assert.Equal(t, tc.want, got, "reused %v", reused)
				assert.Equal(t, tc.multi, multi, "reused %v", reused)
				assert.Contains(t, slices.Collect(c.Keys()), tc.keyName, "reused %v", reused)
			}
		})
	}
}

// TestContextSetTagUnknownKind checks that a tag of no family sets nothing.
func TestContextSetTagUnknownKind(t *testing.T) {
	t.Parallel()
	c := NewContext(2)
	c.SetTag(TagKind(99), "team", "growth")
	assert.Equal(t, 0, c.Len())
}

// TestContextReusedAllocatesNothing checks that a context reused the way
// the package example reuses it allocates nothing once it has seen its
// keys, through handles, tags or names that lower-casing would copy.
func TestContextReusedAllocatesNothing(t *testing.T) {
	c := NewContext(8)
	principalTags := []Tag{{"team", "growth"}, {"Cost-Center", "42"}}
	build := func() {
		c.Reset()
		c.SetKey(KeyPrincipalArn, "arn:aws:iam::111122223333:user/alice")
		c.SetKey(KeySourceIP, "203.0.113.7")
		c.SetTags(PrincipalTag, principalTags)
		c.SetTag(ResourceTag, "team", "growth")
		c.Set("aws:RequestTag/Owner", "alice")
	}
	build()
	assert.Zero(t, testing.AllocsPerRun(100, build))
	got, _, ok := c.Get("aws:requesttag/owner")
	require.True(t, ok)
	assert.Equal(t, []string{"alice"}, got)
}

// TestContextDeleteKey checks that DeleteKey removes the key Delete would,
// whatever the case of the name it was set with, and leaves the others.
func TestContextDeleteKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  string
		del  Key
	}{
		{"global key", "aws:SourceIp", KeySourceIP},
		{"lower case", "aws:principaltag/team", NewKey("aws:principaltag/team")},
		{"set upper, deleted lower", "AWS:ResourceTag/ENV", NewKey("aws:resourcetag/env")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := NewContext(4)
			c.Set(tc.set, "v")
			c.SetKey(KeyPrincipalArn, "arn:aws:iam::111122223333:user/alice")
			c.DeleteKey(tc.del)
			_, _, ok := c.Get(tc.set)
			assert.False(t, ok, "%s is still present", tc.set)
			assert.Equal(t, 1, c.Len())
			_, _, ok = c.Get("aws:PrincipalArn")
			assert.True(t, ok, "DeleteKey removed aws:PrincipalArn too")
		})
	}
	var empty *Context
	empty.DeleteKey(KeySourceIP) // a nil context holds nothing to delete
	c := NewContext(1)
	c.DeleteKey(KeySourceIP)
	assert.Zero(t, c.Len())
}
