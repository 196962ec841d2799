package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/jsonpos"
	"github.com/pdp-dev/pdp/pkg/store"
)

// The store keeps each entity of the policy model as its own document, the
// JSON object the bundle format lists it as. These functions turn a Set
// into store values and back.

// entityKey returns the store key of an entity.
func entityKey(kind store.Kind, v any) store.Key {
	switch e := v.(type) {
	case *entity.Account:
		return store.Key{Kind: kind, ID: e.ID}
	case *entity.SCP:
		return store.Key{Kind: kind, ID: e.Name}
	case *entity.ManagedPolicy:
		return store.Key{Kind: kind, ID: e.Name}
	case *entity.Group:
		return store.Key{Kind: kind, ID: e.Account + "/" + e.Name}
	case *entity.User:
		return store.Key{Kind: kind, ID: e.ARN}
	case *entity.Role:
		return store.Key{Kind: kind, ID: e.ARN}
	case *entity.Resource:
		return store.Key{Kind: kind, ID: e.ARN}
	}
	return store.Key{Kind: kind}
}

// SetValues lists every entity of a Set as a store change (put).
func SetValues(s *entity.Set) ([]store.Change, error) {
	var out []store.Change
	add := func(kind store.Kind, v any) error {
		doc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		out = append(out, store.Change{Op: store.OpPut, Key: entityKey(kind, v), Value: doc})
		return nil
	}
	for i := range s.Accounts {
		if err := add(store.KindAccount, &s.Accounts[i]); err != nil {
			return nil, err
		}
	}
	for i := range s.SCPs {
		if err := add(store.KindSCP, &s.SCPs[i]); err != nil {
			return nil, err
		}
	}
	for i := range s.ManagedPolicies {
		if err := add(store.KindManagedPolicy, &s.ManagedPolicies[i]); err != nil {
			return nil, err
		}
	}
	for i := range s.Groups {
		if err := add(store.KindGroup, &s.Groups[i]); err != nil {
			return nil, err
		}
	}
	for i := range s.Users {
		if err := add(store.KindUser, &s.Users[i]); err != nil {
			return nil, err
		}
	}
	for i := range s.Roles {
		if err := add(store.KindRole, &s.Roles[i]); err != nil {
			return nil, err
		}
	}
	for i := range s.Resources {
		if err := add(store.KindResource, &s.Resources[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// A Model is the policy model as store documents by key: what a follower
// reads from the store and a writer edits before validating.
type Model map[store.Key][]byte

// Set decodes every document into a Set, in key order so the result does
// not depend on map order.
func (m Model) Set() (*entity.Set, error) {
	s := &entity.Set{}
	for _, k := range m.Keys() {
		if err := DecodeEntity(s, k, m[k]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Keys returns the keys of m by kind, then ID.
func (m Model) Keys() []store.Key {
	keys := make([]store.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b store.Key) int {
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return keys
}

// DecodeEntity decodes one document strictly into the Set and checks that
// its key agrees with it.
func DecodeEntity(s *entity.Set, k store.Key, doc []byte) error {
	var key store.Key
	var err error
	switch k.Kind {
	case store.KindAccount:
		var e entity.Account
		if err = strictJSON(doc, &e); err == nil {
			s.Accounts, key = append(s.Accounts, e), entityKey(k.Kind, &e)
		}
	case store.KindSCP:
		var e entity.SCP
		if err = strictJSON(doc, &e); err == nil {
			s.SCPs, key = append(s.SCPs, e), entityKey(k.Kind, &e)
		}
	case store.KindManagedPolicy:
		var e entity.ManagedPolicy
		if err = strictJSON(doc, &e); err == nil {
			s.ManagedPolicies, key = append(s.ManagedPolicies, e), entityKey(k.Kind, &e)
		}
	case store.KindGroup:
		var e entity.Group
		if err = strictJSON(doc, &e); err == nil {
			s.Groups, key = append(s.Groups, e), entityKey(k.Kind, &e)
		}
	case store.KindUser:
		var e entity.User
		if err = strictJSON(doc, &e); err == nil {
			s.Users, key = append(s.Users, e), entityKey(k.Kind, &e)
		}
	case store.KindRole:
		var e entity.Role
		if err = strictJSON(doc, &e); err == nil {
			s.Roles, key = append(s.Roles, e), entityKey(k.Kind, &e)
		}
	case store.KindResource:
		var e entity.Resource
		if err = strictJSON(doc, &e); err == nil {
			s.Resources, key = append(s.Resources, e), entityKey(k.Kind, &e)
		}
	default:
		return fmt.Errorf("%s: unknown entity kind", k)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", k, err)
	}
	if key != k {
		return fmt.Errorf("%s: the document describes %s", k, key)
	}
	return nil
}

// strictJSON decodes doc, one JSON object, into v. The text is first read
// with jsonpos, whose checks encoding/json lacks: encoding/json keeps the
// last of two duplicate keys (where another reader of the document could
// take the first) and replaces invalid UTF-8. Such a document is refused,
// naming the line and column of the fault, as a policy document is.
func strictJSON(doc []byte, v any) error {
	if err := checkSyntax(doc); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the document")
	}
	return nil
}

// syntaxLimits leave nesting to encoding/json's own limit and to the
// engine, which bounds the depth of the policies a document embeds.
var syntaxLimits = jsonpos.Limits{MaxDepth: 10_000}

// checkSyntax walks doc with the checks of jsonpos, the one JSON layer the
// bundle decoder and the fast decoder read through, so that this strict
// path accepts no text they refuse for its encoding or its keys.
func checkSyntax(doc []byte) error {
	var d jsonpos.Decoder
	d.ResetBorrowed(doc, syntaxLimits)
	d.Skip()
	d.Finish()
	var se *jsonpos.SyntaxError
	if err := d.Err(); errors.As(err, &se) {
		return fmt.Errorf("%d:%d: invalid JSON: %s", se.Pos.Line, se.Pos.Col, se.Msg)
	} else if err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}
