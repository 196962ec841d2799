package entity

// The indexes of who uses what, by which a Linker finds what a change
// touches without reading every entity.

// refIndex lists, for each managed policy, what uses it.
type refIndex[K comparable] map[string]map[K]struct{}

func (x refIndex[K]) add(name string, k K) {
	m, ok := x[name]
	if !ok {
		m = make(map[K]struct{})
		x[name] = m
	}
	m[k] = struct{}{}
}

func (x refIndex[K]) remove(name string, k K) {
	if m, ok := x[name]; ok {
		delete(m, k)
		if len(m) == 0 {
			delete(x, name)
		}
	}
}

// index adds (or with add false, removes) what a principal uses to the
// indexes.
func (l *Linker) index(p *principalRec, add bool) {
	names := p.managed()
	if b := p.boundaryName(); b != "" {
		names = append(names[:len(names):len(names)], b)
	}
	for _, n := range names {
		if add {
			l.attachedBy.add(n, p)
		} else {
			l.attachedBy.remove(n, p)
		}
	}
	if p.user == nil || p.arnErr != nil {
		return
	}
	for _, g := range p.user.Groups {
		k := groupKey{p.arn.account, g}
		m, ok := l.members[k]
		switch {
		case add && !ok:
			m = make(map[*principalRec]struct{})
			l.members[k] = m
			fallthrough
		case add:
			m[p] = struct{}{}
		case ok:
			delete(m, p)
			if len(m) == 0 {
				delete(l.members, k)
			}
		}
	}
}

// indexGroup adds or removes the managed policies a group attaches.
func (l *Linker) indexGroup(k groupKey, g *Group, add bool) {
	for _, n := range g.ManagedPolicies {
		if add {
			l.groupsOf.add(n, k)
		} else {
			l.groupsOf.remove(n, k)
		}
	}
}
