package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

func TestKeyTypeBase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, wantBase catalog.KeyType
		wantArray    bool
	}{
		{in: catalog.String, wantBase: catalog.String},
		{in: catalog.ArrayOfString, wantBase: catalog.String, wantArray: true},
		{in: catalog.ARN, wantBase: catalog.ARN},
		{in: catalog.ArrayOfARN, wantBase: catalog.ARN, wantArray: true},
		{in: catalog.ArrayOfBool, wantBase: catalog.Bool, wantArray: true},
		{in: catalog.Date, wantBase: catalog.Date},
		{in: catalog.ArrayOfDate, wantBase: catalog.Date, wantArray: true},
		{in: catalog.ArrayOfNumeric, wantBase: catalog.Numeric, wantArray: true},
		{in: catalog.IPAddress, wantBase: catalog.IPAddress},
		{in: catalog.ArrayOfIPAddress, wantBase: catalog.IPAddress, wantArray: true},
		{in: catalog.ArrayOfBinary, wantBase: catalog.Binary, wantArray: true},
	}
	for _, tc := range tests {
		t.Run(string(tc.in), func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.wantBase, tc.in.Base(), "Base()")
			assert.Equal(t, tc.wantArray, tc.in.IsArray(), "IsArray()")
			assert.True(t, tc.in.Valid(), "Valid()")
		})
	}
	for _, bad := range []catalog.KeyType{"", "string", "Boolean", "ArrayOf", "ArrayOfArrayOfString"} {
		assert.False(t, bad.Valid(), "KeyType(%q).Valid()", bad)
	}
}

// TestKeyTypesInData pins the types the data uses (README: String,
// ArrayOfString, ARN, Bool, Date, Numeric, IPAddress) and the Multivalued flag.
func TestKeyTypesInData(t *testing.T) {
	t.Parallel()
	c := load(t)
	got := map[catalog.KeyType]int{}
	var keys []*catalog.ConditionKey
	keys = append(keys, c.GlobalConditionKeys()...)
	for _, s := range c.Services() {
		keys = append(keys, s.ConditionKeys...)
	}
	for _, k := range keys {
		got[k.Type]++
		assert.Equal(t, k.Type.IsArray(), k.Multivalued, "%s: Multivalued with type %s", k.Name, k.Type)
	}
	// Global: String 28, Bool 7, ArrayOfString 7, ARN 3, Date 3, IPAddress 3,
	// Numeric 1; each service adds two String families and aws:TagKeys.
	want := map[catalog.KeyType]int{
		catalog.String: 28 + 4, catalog.ArrayOfString: 7 + 2, catalog.Bool: 7, catalog.ARN: 3,
		catalog.Date: 3, catalog.IPAddress: 3, catalog.Numeric: 1,
	}
	assert.Equal(t, want, got, "keys of each type in the data")
}

func TestConditionKey(t *testing.T) {
	t.Parallel()
	c := load(t)
	tests := []struct {
		name, in     string
		wantName     string // "" means not found
		wantType     catalog.KeyType
		wantGlobal   bool
		wantPrefix   string
		wantCategory string
	}{
		{name: "global exact", in: "aws:SourceIp", wantName: "aws:SourceIp", wantType: catalog.IPAddress, wantGlobal: true, wantCategory: "network"},
		{name: "global folded", in: "AWS:SOURCEIP", wantName: "aws:SourceIp", wantType: catalog.IPAddress, wantGlobal: true, wantCategory: "network"},
		{name: "lower-case name in data", in: "aws:Username", wantName: "aws:username", wantType: catalog.String, wantGlobal: true, wantCategory: "principal"},
		{name: "multivalued", in: "aws:PrincipalOrgPaths", wantName: "aws:PrincipalOrgPaths", wantType: catalog.ArrayOfString, wantGlobal: true, wantCategory: "principal"},
		{name: "global wins over service key", in: "aws:TagKeys", wantName: "aws:TagKeys", wantType: catalog.ArrayOfString, wantGlobal: true, wantCategory: "request"},
		{
			name: "resource tag family", in: "aws:ResourceTag/team", wantName: "aws:ResourceTag/tag-key",
			wantType: catalog.String, wantGlobal: true, wantPrefix: "aws:ResourceTag/", wantCategory: "resource",
		},
		{
			name: "family folded", in: "AWS:resourcetag/Team", wantName: "aws:ResourceTag/tag-key",
			wantType: catalog.String, wantGlobal: true, wantPrefix: "aws:ResourceTag/", wantCategory: "resource",
		},
		{
			name: "request tag family", in: "aws:RequestTag/cost-center", wantName: "aws:RequestTag/tag-key",
			wantType: catalog.String, wantGlobal: true, wantPrefix: "aws:RequestTag/", wantCategory: "request",
		},
		{
			name: "principal tag family", in: "aws:PrincipalTag/dept", wantName: "aws:PrincipalTag/tag-key",
			wantType: catalog.String, wantGlobal: true, wantPrefix: "aws:PrincipalTag/", wantCategory: "principal",
		},
		{
			name: "family member with slash", in: "aws:PrincipalTag/a/b", wantName: "aws:PrincipalTag/tag-key",
			wantType: catalog.String, wantGlobal: true, wantPrefix: "aws:PrincipalTag/", wantCategory: "principal",
		},
		{
			name: "service template name", in: "aws:ResourceTag/${TagKey}", wantName: "aws:ResourceTag/${TagKey}",
			wantType: catalog.String, wantPrefix: "aws:ResourceTag/",
		},
		{name: "family needs a rest", in: "aws:ResourceTag/"},
		{name: "family needs the slash", in: "aws:ResourceTag"},
		{name: "unknown", in: "aws:SourceIpz"},
		{name: "service key of another product", in: "ec2:SourceInstanceArn"},
		{name: "empty", in: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, ok := c.ConditionKey(tc.in)
			require.Equal(t, tc.wantName != "", ok, "ConditionKey(%q) found a key", tc.in)
			if !ok {
				return
			}
			assert.Equal(t, tc.wantName, k.Name, "ConditionKey(%q).Name", tc.in)
			assert.Equal(t, tc.wantType, k.Type, "ConditionKey(%q).Type", tc.in)
			assert.Equal(t, tc.wantGlobal, k.Global, "ConditionKey(%q).Global", tc.in)
			assert.Equal(t, tc.wantPrefix, k.Prefix, "ConditionKey(%q).Prefix", tc.in)
			assert.Equal(t, tc.wantCategory, k.Category, "ConditionKey(%q).Category", tc.in)
			assert.NotEqual(t, k.Global, k.Service != "", "ConditionKey(%q): Global %t with Service %q", tc.in, k.Global, k.Service)
		})
	}
}

func TestServiceConditionKey(t *testing.T) {
	t.Parallel()
	c := load(t)
	tests := []struct {
		name, prefix, in string
		wantName         string
	}{
		{name: "family", prefix: "sms-voice", in: "aws:ResourceTag/team", wantName: "aws:ResourceTag/${TagKey}"},
		{name: "exact", prefix: "mobiletargeting", in: "aws:tagkeys", wantName: "aws:TagKeys"},
		{name: "global only", prefix: "mobiletargeting", in: "aws:SourceIp"},
		{name: "principal tag is global only", prefix: "sms-voice", in: "aws:PrincipalTag/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := c.Service(tc.prefix)
			got := ""
			if k, ok := s.ConditionKey(tc.in); ok {
				got = k.Name
				assert.False(t, k.Global, "ConditionKey(%q) = %+v, want a key of %s", tc.in, *k, tc.prefix)
				assert.Equal(t, tc.prefix, k.Service, "ConditionKey(%q).Service", tc.in)
			}
			assert.Equal(t, tc.wantName, got, "%s.ConditionKey(%q)", tc.prefix, tc.in)
		})
	}
}

// TestConditionKeyReferencesResolve checks that every key an action or a
// resource type names is found by ConditionKey.
func TestConditionKeyReferencesResolve(t *testing.T) {
	t.Parallel()
	c := load(t)
	check := func(where string, names []string) {
		for _, n := range names {
			_, ok := c.ConditionKey(n)
			assert.True(t, ok, "%s: ConditionKey(%q) not found", where, n)
		}
	}
	for _, a := range c.Actions() {
		check(a.FullName, a.ConditionKeys)
		for _, ar := range a.ResourceTypes {
			check(a.FullName+" "+ar.Type.Name, ar.ConditionKeys)
		}
	}
	for _, rt := range c.ResourceTypes() {
		check(rt.Name, rt.ConditionKeys)
	}
}

func TestConditionKeyDoesNotAllocate(t *testing.T) {
	c := load(t)
	for _, in := range []string{"aws:SourceIp", "AWS:SOURCEIP", "aws:ResourceTag/team", "aws:nope"} {
		assert.Zero(t, testing.AllocsPerRun(100, func() { c.ConditionKey(in) }), "allocations of ConditionKey(%q)", in)
	}
}
