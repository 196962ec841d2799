package entity

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
)

// synthModel is a small policy model that TestLinkerIncremental changes at
// random, keeping it linkable: references only to entities that exist.
// Entities are never modified: a change replaces one with a changed copy.
type synthModel struct {
	entities map[entityKey]Entity
	next     int      // numbers new entities
	log      []string // the changes since the last Link, for messages
}

var synthAccounts = []string{"111100000001", "111100000002", "111100000003"}

const synthManaged = 8

func synthDoc(k int) json.RawMessage {
	actions := []string{"GetApp", "GetCampaign", "UpdateCampaign", "GetSegment", "DeleteApp"}
	return json.RawMessage(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"S%d","Effect":"Allow",`+
		`"Action":"mobiletargeting:%s","Resource":"*"}]}`, k, actions[k%len(actions)]))
}

func synthResourceDoc(k int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"R%d","Effect":"Allow",`+
		`"Principal":{"AWS":"111122223333"},"Action":"mobiletargeting:GetCampaign","Resource":"*"}]}`, k))
}

func newSynthModel(r *rand.Rand) *synthModel {
	m := &synthModel{entities: make(map[entityKey]Entity)}
	for _, n := range []string{"Root", "GuardA", "GuardB"} {
		m.add(&SCP{Name: n, Document: synthDoc(r.IntN(5))})
	}
	for _, id := range synthAccounts {
		m.add(m.account(r, id))
	}
	for i := range synthManaged {
		m.add(&ManagedPolicy{Name: fmt.Sprintf("M%d", i), Document: synthDoc(r.IntN(5))})
	}
	for _, id := range synthAccounts {
		for g := range 2 {
			m.add(m.group(r, id, fmt.Sprintf("g%d", g)))
		}
	}
	for range 30 {
		m.add(m.user(r, m.newName("u")))
	}
	for range 15 {
		m.add(m.role(r, m.newName("r"), "/"))
	}
	for _, id := range synthAccounts {
		for a := range 3 {
			app := fmt.Sprintf("arn:aws:mobiletargeting:us-east-1:%s:apps/a%d", id, a)
			m.add(m.resource(r, app))
			for c := range 3 {
				m.add(m.resource(r, fmt.Sprintf("%s/campaigns/c%d", app, c)))
			}
		}
	}
	return m
}

func (m *synthModel) add(e Entity) { m.entities[e.entityKey()] = e }

func (m *synthModel) newName(prefix string) string {
	m.next++
	return fmt.Sprintf("%s%d", prefix, m.next)
}

func (m *synthModel) account(r *rand.Rand, id string) *Account {
	a := &Account{ID: id}
	if r.IntN(4) > 0 {
		a.SCPs = [][]string{{"Root"}}
		if r.IntN(2) == 0 {
			a.SCPs = append(a.SCPs, []string{"Root", []string{"GuardA", "GuardB"}[r.IntN(2)]})
		}
	}
	return a
}

func (m *synthModel) managedNames(r *rand.Rand, max int) []string {
	var out []string
	for _, i := range r.Perm(synthManaged)[:r.IntN(max+1)] {
		out = append(out, fmt.Sprintf("M%d", i))
	}
	return out
}

func (m *synthModel) inline(r *rand.Rand) map[string]json.RawMessage {
	if r.IntN(3) > 0 {
		return nil
	}
	return map[string]json.RawMessage{"P": synthDoc(r.IntN(5))}
}

func (m *synthModel) boundary(r *rand.Rand) string {
	if r.IntN(3) > 0 {
		return ""
	}
	return fmt.Sprintf("M%d", r.IntN(synthManaged))
}

func synthTags(r *rand.Rand) map[string]string {
	return map[string]string{"team": []string{"a", "b", "c"}[r.IntN(3)]}
}

func (m *synthModel) group(r *rand.Rand, account, name string) *Group {
	return &Group{Name: name, Account: account, ManagedPolicies: m.managedNames(r, 2), InlinePolicies: m.inline(r)}
}

func (m *synthModel) user(r *rand.Rand, name string) *User {
	account := synthAccounts[r.IntN(len(synthAccounts))]
	u := &User{ARN: "arn:aws:iam::" + account + ":user/" + name, ManagedPolicies: m.managedNames(r, 3),
		InlinePolicies: m.inline(r), PermissionsBoundary: m.boundary(r), Tags: synthTags(r)}
	for _, g := range r.Perm(2)[:r.IntN(3)] {
		u.Groups = append(u.Groups, fmt.Sprintf("g%d", g))
	}
	return u
}

func (m *synthModel) role(r *rand.Rand, name, path string) *Role {
	account := synthAccounts[r.IntN(len(synthAccounts))]
	return &Role{ARN: "arn:aws:iam::" + account + ":role" + path + name, ManagedPolicies: m.managedNames(r, 3),
		InlinePolicies: m.inline(r), PermissionsBoundary: m.boundary(r), Tags: synthTags(r)}
}

func (m *synthModel) resource(r *rand.Rand, arn string) *Resource {
	res := &Resource{ARN: arn, Tags: synthTags(r)}
	if r.IntN(3) == 0 {
		res.Policy = synthResourceDoc(r.IntN(4))
	}
	return res
}

// pick returns a random entity of a kind, in a deterministic order.
func (m *synthModel) pick(r *rand.Rand, kind string) Entity {
	var keys []entityKey
	for k := range m.entities {
		if k.kind == kind {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b entityKey) int { return strings.Compare(a.id, b.id) })
	return m.entities[keys[r.IntN(len(keys))]]
}

// replace swaps old for e in the model and the Linker; either may be nil.
func (m *synthModel) replace(l *Linker, old, e Entity, what string) {
	if old != nil {
		l.Remove(old)
		delete(m.entities, old.entityKey())
	}
	if e != nil {
		if err := l.Put(e); err != nil {
			panic(err)
		}
		m.add(e)
	}
	m.log = append(m.log, what)
}

// mutate makes one random change.
func (m *synthModel) mutate(r *rand.Rand, l *Linker) {
	switch r.IntN(12) {
	case 0:
		old := m.pick(r, "managed policy").(*ManagedPolicy)
		c := *old
		c.Document = synthDoc(r.IntN(6))
		m.replace(l, old, &c, "managed "+c.Name)
	case 1:
		old := m.pick(r, "scp").(*SCP)
		c := *old
		c.Document = synthDoc(r.IntN(6))
		m.replace(l, old, &c, "scp "+c.Name)
	case 2:
		old := m.pick(r, "account").(*Account)
		m.replace(l, old, m.account(r, old.ID), "account "+old.ID)
	case 3:
		old := m.pick(r, "group").(*Group)
		m.replace(l, old, m.group(r, old.Account, old.Name), "group "+old.Name)
	case 4:
		old, ok := m.pick(r, "user").(*User)
		if !ok {
			m.replace(l, nil, m.user(r, m.newName("u")), "new user")
			return
		}
		c := *old
		c.Tags, c.ManagedPolicies, c.PermissionsBoundary = synthTags(r), m.managedNames(r, 3), m.boundary(r)
		m.replace(l, old, &c, "user "+c.ARN)
	case 5:
		m.replace(l, nil, m.user(r, m.newName("u")), "new user")
	case 6:
		old := m.pick(r, "user")
		m.replace(l, old, nil, "remove user")
	case 7:
		old := m.pick(r, "role").(*Role)
		c := *old
		c.InlinePolicies = m.inline(r)
		if r.IntN(2) == 0 { // the same role on another path
			name := c.ARN[strings.LastIndexByte(c.ARN, '/')+1:]
			path := []string{"/", "/svc/", "/a/b/"}[r.IntN(3)]
			c.ARN = c.ARN[:strings.Index(c.ARN, ":role/")] + ":role" + path + name
		}
		m.replace(l, old, &c, "role "+c.ARN)
	case 8, 9, 10:
		old, ok := m.pick(r, "resource").(*Resource)
		switch {
		case !ok:
			m.replace(l, nil, m.resource(r, "arn:aws:mobiletargeting:us-east-1:111100000001:apps/"+m.newName("a")), "new app")
		case r.IntN(3) == 0:
			m.replace(l, old, m.resource(r, old.ARN), "resource "+old.ARN)
		case r.IntN(2) == 0:
			m.replace(l, old, nil, "remove resource "+old.ARN)
		default:
			m.replace(l, nil, m.resource(r, old.ARN+"/"+m.newName("x")), "new resource under "+old.ARN)
		}
	case 11:
		m.replace(l, nil, m.role(r, m.newName("r"), "/"), "new role")
	}
}

// set returns the model as a Set, in key order.
func (m *synthModel) set() *Set {
	s := &Set{}
	keys := slices.SortedFunc(maps.Keys(m.entities), func(a, b entityKey) int {
		return strings.Compare(a.kind+"\x00"+a.id, b.kind+"\x00"+b.id)
	})
	for _, k := range keys {
		switch e := m.entities[k].(type) {
		case *Account:
			s.Accounts = append(s.Accounts, *e)
		case *ManagedPolicy:
			s.ManagedPolicies = append(s.ManagedPolicies, *e)
		case *SCP:
			s.SCPs = append(s.SCPs, *e)
		case *Group:
			s.Groups = append(s.Groups, *e)
		case *User:
			s.Users = append(s.Users, *e)
		case *Role:
			s.Roles = append(s.Roles, *e)
		case *Resource:
			s.Resources = append(s.Resources, *e)
		}
	}
	return s
}
