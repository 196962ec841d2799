package catalog_test

import (
	"testing"

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
			if got := tc.in.Base(); got != tc.wantBase {
				t.Errorf("Base() = %q, want %q", got, tc.wantBase)
			}
			if got := tc.in.IsArray(); got != tc.wantArray {
				t.Errorf("IsArray() = %t, want %t", got, tc.wantArray)
			}
			if !tc.in.Valid() {
				t.Errorf("Valid() = false, want true")
			}
		})
	}
	for _, bad := range []catalog.KeyType{"", "string", "Boolean", "ArrayOf", "ArrayOfArrayOfString"} {
		if bad.Valid() {
			t.Errorf("KeyType(%q).Valid() = true, want false", bad)
		}
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
		if k.Multivalued != k.Type.IsArray() {
			t.Errorf("%s: Multivalued = %t with type %s", k.Name, k.Multivalued, k.Type)
		}
	}
	// Global: String 28, Bool 7, ArrayOfString 7, ARN 3, Date 3, IPAddress 3,
	// Numeric 1; each service adds two String families and aws:TagKeys.
	want := map[catalog.KeyType]int{
		catalog.String: 28 + 4, catalog.ArrayOfString: 7 + 2, catalog.Bool: 7, catalog.ARN: 3,
		catalog.Date: 3, catalog.IPAddress: 3, catalog.Numeric: 1,
	}
	if len(got) != len(want) {
		t.Errorf("types in data = %v, want %v", got, want)
	}
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("keys of type %s = %d, want %d", typ, got[typ], n)
		}
	}
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
			if !ok {
				if tc.wantName != "" {
					t.Fatalf("ConditionKey(%q) not found, want %q", tc.in, tc.wantName)
				}
				return
			}
			if tc.wantName == "" {
				t.Fatalf("ConditionKey(%q) = %q, want not found", tc.in, k.Name)
			}
			if k.Name != tc.wantName || k.Type != tc.wantType || k.Global != tc.wantGlobal ||
				k.Prefix != tc.wantPrefix || k.Category != tc.wantCategory {
				t.Errorf("ConditionKey(%q) = %+v, want name %q type %s global %t prefix %q category %q",
					tc.in, *k, tc.wantName, tc.wantType, tc.wantGlobal, tc.wantPrefix, tc.wantCategory)
			}
			if k.Global == (k.Service != "") {
				t.Errorf("ConditionKey(%q): Global %t with Service %q", tc.in, k.Global, k.Service)
			}
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
				if k.Global || k.Service != tc.prefix {
					t.Errorf("ConditionKey(%q) = %+v, want a key of %s", tc.in, *k, tc.prefix)
				}
			}
			if got != tc.wantName {
				t.Errorf("%s.ConditionKey(%q) = %q, want %q", tc.prefix, tc.in, got, tc.wantName)
			}
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
			if _, ok := c.ConditionKey(n); !ok {
				t.Errorf("%s: ConditionKey(%q) not found", where, n)
			}
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
		if n := testing.AllocsPerRun(100, func() { c.ConditionKey(in) }); n != 0 {
			t.Errorf("ConditionKey(%q) allocates %v times, want 0", in, n)
		}
	}
}
