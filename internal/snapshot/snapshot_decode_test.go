package snapshot

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

const decodeARN = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/campaigns/c1"

var decodeKey = store.Key{Kind: store.KindResource, ID: decodeARN}

const (
	userARN = "arn:aws:iam::111122223333:user/alice"
	roleARN = "arn:aws:iam::111122223333:role/service/deploy"
	inline  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*"}]}`
)

var (
	userKey = store.Key{Kind: store.KindUser, ID: userARN}
	roleKey = store.Key{Kind: store.KindRole, ID: roleARN}
)

// entityDocs are documents of users and roles in the shape a writer
// stores and in shapes near it, with whether the fast decoder reads them.
var entityDocs = []struct {
	name     string
	k        store.Key
	doc      string
	wantFast bool
}{
	{"user", userKey, `{"arn":"` + userARN + `","groups":["group0","group1"],"managed_policies":["Policy001","Policy002"],` +
		`"inline_policies":{"Journeys":` + inline + `},"permissions_boundary":"Boundary1","tags":{"team":"growth"}}`, true},
	{"user without lists", userKey, `{"arn":"` + userARN + `"}`, true},
	{"user with empty lists", userKey, `{"arn":"` + userARN + `","groups":[],"managed_policies":[],"inline_policies":{},"tags":{}}`, true},
	{"user with null lists", userKey, `{"arn":"` + userARN + `","groups":null,"managed_policies":null,"inline_policies":null,"tags":null}`, true},
	{"inline policies of all kinds", userKey, `{"arn":"` + userARN + `","inline_policies":{"a":` + inline + `,"b": [1, {"x":"]}\"\\"}] ,` +
		`"c":"text","d":null,"e":-1.5e3,"f":true}}`, true},
	{"role", roleKey, `{"arn":"` + roleARN + `","managed_policies":["Policy003"],"inline_policies":{"Deploy":` + inline +
		`},"permissions_boundary":"Boundary0","tags":{"team":"platform"}}`, true},
	{"role with groups", roleKey, `{"arn":"` + roleARN + `","groups":["group0"]}`, false},
	{"invalid inline policy", userKey, `{"arn":"` + userARN + `","inline_policies":{"a":{"Version":}}}`, false},
	{"inline policy left open", userKey, `{"arn":"` + userARN + `","inline_policies":{"a":{"Version":"x"}`, false},
	{"inline literal misspelt", userKey, `{"arn":"` + userARN + `","inline_policies":{"a":nul}}`, false},
	{"duplicate inline policy", userKey, `{"arn":"` + userARN + `","inline_policies":{"a":{},"a":{}}}`, false},
	{"null boundary", userKey, `{"arn":"` + userARN + `","permissions_boundary":null}`, false},
	{"null group", userKey, `{"arn":"` + userARN + `","groups":["a",null]}`, false},
	{"escaped policy name", userKey, `{"arn":"` + userARN + `","managed_policies":["Polic\u0079"]}`, true},
	{"escaped key", userKey, `{"\u0061rn":"` + userARN + `","groups":["a"]}`, true},
	{"unpaired surrogate in a group", userKey, `{"arn":"` + userARN + `","groups":["a\ud800"]}`, false},
	{"inline policy nested deeper than the fast limit", userKey, `{"arn":"` + userARN + `","inline_policies":{"a":` +
		strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}}`, false},
	{"duplicate key inside an inline policy", userKey, `{"arn":"` + userARN + `","inline_policies":{"a":{"x":1,"x":2}}}`, false},
	{"duplicate groups", userKey, `{"arn":"` + userARN + `","groups":["a"],"groups":["b"]}`, false},
	{"other user", userKey, `{"arn":"arn:aws:iam::111122223333:user/bob"}`, false},
	{"account", store.Key{Kind: store.KindAccount, ID: "111122223333"}, `{"id":"111122223333"}`, false},
}

// resourceDocs are resource documents in the shape a writer stores and in
// shapes near it, with whether the fast decoder reads them.
var resourceDocs = []struct {
	name     string
	doc      string
	wantFast bool
}{
	{"tags", `{"arn":"` + decodeARN + `","tags":{"env":"prod","team":"growth"}}`, true},
	{"tags as written, keys unsorted", `{"arn":"` + decodeARN + `","tags":{"team":"growth","env":"prod","a":""}}`, true},
	{"tag with a quote", `{"arn":"` + decodeARN + `","tags":{"a":"x\"y"}}`, true},
	{"tags as written, then white space", `{"arn":"` + decodeARN + `","tags":{"env":"prod"}} `, true},
	{"tags as written, one left open", `{"arn":"` + decodeARN + `","tags":{"env":"prod}}`, false},
	{"tags as written, a key twice", `{"arn":"` + decodeARN + `","tags":{"b":"1","a":"2","b":"3"}}`, false},
	{"tags as written, no colon", `{"arn":"` + decodeARN + `","tags":{"env","prod"}}`, false},
	{"ARN cut short", `{"arn":"` + decodeARN[:20] + `"}`, false},
	{"no tags", `{"arn":"` + decodeARN + `"}`, true},
	{"tags unsorted", `{"tags":{"team":"growth","env":"prod"},"arn":"` + decodeARN + `"}`, true},
	{"white space", " {\n\t\"arn\" : \"" + decodeARN + "\" ,\r\n \"tags\" : { \"env\" : \"prod\" } } \n", true},
	{"null tags", `{"arn":"` + decodeARN + `","tags":null}`, true},
	{"empty tags", `{"arn":"` + decodeARN + `","tags":{}}`, true},
	{"unicode tag", `{"arn":"` + decodeARN + `","tags":{"owner":"Zoë"}}`, true},
	{"policy", `{"arn":"` + decodeARN + `","policy":{"Version":"2012-10-17","Statement":[]}}`, false},
	{"null policy", `{"arn":"` + decodeARN + `","policy":null}`, false},
	{"escape in a tag", `{"arn":"` + decodeARN + `","tags":{"a":"x\u0041"}}`, true},
	{"escaped slash in the ARN", `{"arn":"arn:aws:mobiletargeting:us-east-1:111122223333:apps\/a1\/campaigns\/c1"}`, true},
	{"byte order mark", "\xEF\xBB\xBF{\"arn\":\"" + decodeARN + "\"}", false},
	{"too many tags", `{"arn":"` + decodeARN + `","tags":{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8",` +
		`"i":"9","j":"10","k":"11","l":"12","m":"13","n":"14","o":"15","p":"16","q":"17"}}`, false},
	{"key in upper case", `{"ARN":"` + decodeARN + `"}`, false},
	{"duplicate arn", `{"arn":"x","arn":"` + decodeARN + `"}`, false},
	{"duplicate tags", `{"arn":"` + decodeARN + `","tags":{"a":"1"},"tags":{"b":"2"}}`, false},
	{"duplicate tag key", `{"arn":"` + decodeARN + `","tags":{"a":"1","a":"2"}}`, false},
	{"unknown field", `{"arn":"` + decodeARN + `","owner":"x"}`, false},
	{"other ARN", `{"arn":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/a2"}`, false},
	{"no ARN", `{"tags":{"a":"1"}}`, false},
	{"number tag", `{"arn":"` + decodeARN + `","tags":{"a":1}}`, false},
	{"trailing data", `{"arn":"` + decodeARN + `"} {}`, false},
	{"trailing brace", `{"arn":"` + decodeARN + `"}}`, false},
	{"trailing comma", `{"arn":"` + decodeARN + `",}`, false},
	{"invalid UTF-8", "{\"arn\":\"" + decodeARN + "\",\"tags\":{\"a\":\"\xff\"}}", false},
	{"control character", "{\"arn\":\"" + decodeARN + "\",\"tags\":{\"a\":\"x\ty\"}}", false},
	{"not an object", `["arn"]`, false},
	{"empty", ``, false},
}

// TestFastEntity checks that the fast decoder reads the documents it
// should, and that the follower decodes every document as decodeOne does.
func TestFastEntity(t *testing.T) {
	t.Parallel()
	type docCase struct {
		name     string
		k        store.Key
		doc      string
		wantFast bool
	}
	cases := []docCase{}
	for _, tc := range resourceDocs {
		cases = append(cases, docCase{"resource " + tc.name, decodeKey, tc.doc, tc.wantFast})
	}
	for _, tc := range entityDocs {
		cases = append(cases, docCase(tc))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFollowState()
			_, fast := fastEntity(tc.k, []byte(tc.doc), f.pool)
			assert.Equal(t, tc.wantFast, fast, "fast decoder reads it")
			got, gotErr := f.decode(tc.k, []byte(tc.doc))
			want, wantErr := decodeOne(tc.k, []byte(tc.doc))
			require.Equal(t, wantErr == nil, gotErr == nil, "error %v, want %v", gotErr, wantErr)
			assert.Equal(t, want, got, "decoded")
		})
	}
}

// TestSharePool checks that entities with the same tags share one map,
// whichever way they were decoded, and that those with other tags do not.
func TestSharePool(t *testing.T) {
	t.Parallel()
	f := newFollowState()
	decode := func(k store.Key, doc string) map[string]string {
		t.Helper()
		e, err := f.decode(k, []byte(doc))
		require.NoError(t, err, "%s", k)
		switch e := e.(type) {
		case *entity.Resource:
			return e.Tags
		case *entity.User:
			return e.Tags
		}
		require.FailNow(t, "decoded as another type", "%s decoded as %T", k, e)
		return nil
	}
	user := store.Key{Kind: store.KindUser, ID: "arn:aws:iam::111122223333:user/alice"}
	fast := decode(decodeKey, `{"arn":"`+decodeARN+`","tags":{"env":"prod","team":"growth"}}`)
	strict := decode(user, `{"arn":"`+user.ID+`","tags":{"team":"growth","env":"prod"}}`)
	other := decode(decodeKey, `{"arn":"`+decodeARN+`","tags":{"env":"prod","team":"search"}}`)
	same := func(a, b map[string]string) bool { return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer() }
	assert.True(t, same(fast, strict), "a resource and a user with the same tags hold two maps")
	assert.False(t, same(fast, other), "other tags %v shared with %v", other, fast)
	assert.Equal(t, "search", other["team"], "other tags")
	assert.Nil(t, decode(decodeKey, `{"arn":"`+decodeARN+`"}`), "no tags")
}

// FuzzFastEntity checks that whatever the fast decoder reads, decodeOne
// reads the same way.
func FuzzFastEntity(f *testing.F) {
	kinds := []store.Key{decodeKey, userKey, roleKey}
	for _, tc := range resourceDocs {
		f.Add(uint8(0), tc.doc)
	}
	for _, tc := range entityDocs {
		if i := slices.Index(kinds, tc.k); i >= 0 {
			f.Add(uint8(i), tc.doc)
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, doc string) {
		k := kinds[int(kind)%len(kinds)]
		got, ok := fastEntity(k, []byte(doc), newSharePool())
		if !ok {
			return
		}
		want, err := decodeOne(k, []byte(doc))
		require.NoError(t, err, "fast decoder reads %q, decodeOne fails", doc)
		require.Equal(t, want, got, "%q: what the fast decoder reads", doc)
	})
}

// BenchmarkDecodeEntity decodes the documents a writer stores for a
// resource, a user and a role, as a follower does on a full read.
func BenchmarkDecodeEntity(b *testing.B) {
	docs := []struct {
		name string
		k    store.Key
		doc  string
	}{
		{"resource", decodeKey, resourceDocs[0].doc},
		{"user", userKey, entityDocs[0].doc},
		{"role", roleKey, entityDocs[5].doc},
	}
	for _, tc := range docs {
		b.Run(tc.name, func(b *testing.B) {
			f := newFollowState()
			doc := []byte(tc.doc)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.decode(tc.k, doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
