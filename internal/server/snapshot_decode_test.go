package server

import (
	"reflect"
	"testing"

	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

const decodeARN = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/campaigns/c1"

var decodeKey = store.Key{Kind: store.KindResource, ID: decodeARN}

// resourceDocs are resource documents in the shape a writer stores and in
// shapes near it, with whether the fast decoder reads them.
var resourceDocs = []struct {
	name     string
	doc      string
	wantFast bool
}{
	{"tags", `{"arn":"` + decodeARN + `","tags":{"env":"prod","team":"growth"}}`, true},
	{"no tags", `{"arn":"` + decodeARN + `"}`, true},
	{"tags unsorted", `{"tags":{"team":"growth","env":"prod"},"arn":"` + decodeARN + `"}`, true},
	{"white space", " {\n\t\"arn\" : \"" + decodeARN + "\" ,\r\n \"tags\" : { \"env\" : \"prod\" } } \n", true},
	{"null tags", `{"arn":"` + decodeARN + `","tags":null}`, true},
	{"empty tags", `{"arn":"` + decodeARN + `","tags":{}}`, true},
	{"unicode tag", `{"arn":"` + decodeARN + `","tags":{"owner":"Zoë"}}`, true},
	{"policy", `{"arn":"` + decodeARN + `","policy":{"Version":"2012-10-17","Statement":[]}}`, false},
	{"null policy", `{"arn":"` + decodeARN + `","policy":null}`, false},
	{"escape in a tag", `{"arn":"` + decodeARN + `","tags":{"a":"x\u0041"}}`, false},
	{"escaped slash in the ARN", `{"arn":"arn:aws:mobiletargeting:us-east-1:111122223333:apps\/a1\/campaigns\/c1"}`, false},
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

// TestFastResource checks that the fast decoder reads the documents it
// should, and that the follower decodes every document as decodeOne does.
func TestFastResource(t *testing.T) {
	t.Parallel()
	for _, tc := range resourceDocs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFollowState()
			_, fast := fastResource(decodeKey, []byte(tc.doc), f.tags)
			if fast != tc.wantFast {
				t.Errorf("fast decoder reads it: %v, want %v", fast, tc.wantFast)
			}
			got, gotErr := f.decode(decodeKey, []byte(tc.doc))
			want, wantErr := decodeOne(decodeKey, []byte(tc.doc))
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("error %v, want %v", gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded %#v, want %#v", got, want)
			}
		})
	}
}

// TestTagPool checks that entities with the same tags share one map,
// whichever way they were decoded, and that those with other tags do not.
func TestTagPool(t *testing.T) {
	t.Parallel()
	f := newFollowState()
	decode := func(k store.Key, doc string) map[string]string {
		t.Helper()
		e, err := f.decode(k, []byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		switch e := e.(type) {
		case *entity.Resource:
			return e.Tags
		case *entity.User:
			return e.Tags
		}
		t.Fatalf("%s decoded as %T", k, e)
		return nil
	}
	user := store.Key{Kind: store.KindUser, ID: "arn:aws:iam::111122223333:user/alice"}
	fast := decode(decodeKey, `{"arn":"`+decodeARN+`","tags":{"env":"prod","team":"growth"}}`)
	strict := decode(user, `{"arn":"`+user.ID+`","tags":{"team":"growth","env":"prod"}}`)
	other := decode(decodeKey, `{"arn":"`+decodeARN+`","tags":{"env":"prod","team":"search"}}`)
	same := func(a, b map[string]string) bool { return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer() }
	if !same(fast, strict) {
		t.Error("a resource and a user with the same tags hold two maps")
	}
	if same(fast, other) || other["team"] != "search" {
		t.Errorf("other tags: %v, shared with %v", other, fast)
	}
	if got := decode(decodeKey, `{"arn":"`+decodeARN+`"}`); got != nil {
		t.Errorf("no tags decoded as %v, want nil", got)
	}
}

// FuzzFastResource checks that whatever the fast decoder reads, decodeOne
// reads the same way.
func FuzzFastResource(f *testing.F) {
	for _, tc := range resourceDocs {
		f.Add(tc.doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		got, ok := fastResource(decodeKey, []byte(doc), newTagPool())
		if !ok {
			return
		}
		want, err := decodeOne(decodeKey, []byte(doc))
		if err != nil {
			t.Fatalf("fast decoder reads %q, decodeOne fails: %v", doc, err)
		}
		if !reflect.DeepEqual(entity.Entity(got), want) {
			t.Fatalf("%q: fast decoder reads %#v, decodeOne %#v", doc, got, want)
		}
	})
}
