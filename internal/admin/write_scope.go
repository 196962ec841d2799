package admin

import (
	"bytes"
	"strings"

	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/store"
)

// validationScope returns the part of the next model (the writer's model
// with changes applied, as next reads it) that validating changes needs:
//
//   - every account, SCP, managed policy and group: the entities that
//     others refer to by name, few next to principals and resources, and
//     the names that findings suggest;
//   - the users, roles and resources the changes put;
//   - the users and roles that refer to a changed managed policy (attached
//     or as their boundary) or group, or belong to a changed account;
//   - the users and roles whose name, in their account and ignoring case,
//     is that of a new one, with which it would clash.
//
// Every other entity was valid in the model before and depends on nothing
// that changed, so a change set is valid if this part is, and the findings
// about it are the findings about the whole model.
func (w *writeModel) validationScope(changes []store.Change, next func(store.Key) ([]byte, bool)) snapshot.Model {
	sub := make(snapshot.Model)
	include := func(k store.Key) {
		if v, ok := next(k); ok {
			sub[k] = v
		}
	}
	for _, kind := range [...]store.Kind{store.KindAccount, store.KindSCP, store.KindManagedPolicy, store.KindGroup} {
		for id := range w.ids[kind] {
			include(store.Key{Kind: kind, ID: id})
		}
	}
	var refs principalRefs
	for _, c := range changes {
		include(c.Key)
		switch c.Key.Kind {
		case store.KindManagedPolicy:
			refs.names = append(refs.names, quoted(c.Key.ID))
		case store.KindGroup:
			_, name, _ := strings.Cut(c.Key.ID, "/")
			refs.names = append(refs.names, quoted(name))
		case store.KindAccount:
			refs.accounts = append(refs.accounts, c.Key.ID)
		case store.KindUser, store.KindRole:
			if _, existed := w.m[c.Key]; !existed && c.Op == store.OpPut {
				refs.newNames = append(refs.newNames, principalNameOf(c.Key))
			}
		}
	}
	if refs.empty() {
		return sub
	}
	for _, kind := range [...]store.Kind{store.KindUser, store.KindRole} {
		for id := range w.ids[kind] {
			k := store.Key{Kind: kind, ID: id}
			if _, done := sub[k]; done {
				continue
			}
			if v, ok := next(k); ok && refs.touches(k, v) {
				sub[k] = v
			}
		}
	}
	return sub
}

// principalRefs is what makes a user or role part of a validation scope.
type principalRefs struct {
	names    [][]byte        // quoted names of changed managed policies and groups
	accounts []string        // changed accounts
	newNames []principalName // new users and roles
}

func (r *principalRefs) empty() bool {
	return len(r.names)+len(r.accounts)+len(r.newNames) == 0
}

// touches reports whether the principal k, whose document is doc, may
// refer to a changed entity or clash with a new one. It may say yes
// wrongly (a name that appears in another field), which only costs a
// little more validation, never no wrongly: the names of managed policies
// and groups hold no character that JSON escapes, and a document with an
// escape in it is taken whatever it says.
func (r *principalRefs) touches(k store.Key, doc []byte) bool {
	if len(r.accounts)+len(r.newNames) > 0 {
		pn := principalNameOf(k)
		for _, a := range r.accounts {
			if pn.account == a {
				return true
			}
		}
		for _, n := range r.newNames {
			if n.kind == pn.kind && n.account == pn.account && strings.EqualFold(n.name, pn.name) {
				return true
			}
		}
	}
	if len(r.names) == 0 {
		return false
	}
	if bytes.IndexByte(doc, '\\') >= 0 {
		return true
	}
	for _, n := range r.names {
		if bytes.Contains(doc, n) {
			return true
		}
	}
	return false
}

// principalName is what IAM keeps unique among users, or roles: the name
// in an account, whatever the path.
type principalName struct {
	kind          store.Kind
	account, name string
}

// principalNameOf takes the account and name from the ARN that keys a
// user or role (arn:aws:iam::ACCOUNT:user/PATH/NAME); a malformed ARN
// gives empty fields, which validation of that entity reports.
func principalNameOf(k store.Key) principalName {
	p, err := engine.ParsePrincipalARN(k.ID)
	if err != nil {
		return principalName{kind: k.Kind}
	}
	return principalName{kind: k.Kind, account: p.Account, name: p.Name}
}

func quoted(name string) []byte { return []byte(`"` + name + `"`) }
