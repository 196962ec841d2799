package jsonpos

// Parse parses src as exactly one JSON value and returns its tree. On failure
// it returns nil and a [*SyntaxError]; the first problem in the text stops
// parsing. It is a walk of a [Decoder] that keeps everything.
func Parse(src []byte, lim Limits) (*Value, error) {
	d := NewDecoder(src, lim)
	t := newTree(len(src))
	v := t.value(d)
	d.Finish()
	if err := d.Err(); err != nil {
		return nil, err
	}
	return v, nil
}

// tree builds the Values of one Parse. Values, Elems and Members are carved
// from shared chunks to keep allocations few; the first chunks are sized
// from the input length, the next ones double.
type tree struct {
	vals      []Value
	valsChunk int
	ptrs      []*Value
	mems      []Member

	// Scratch stacks holding the elements and members of the containers
	// being parsed; a container copies its part out when it closes. They
	// start in the arrays below, which cover typical policies.
	elemStack []*Value
	memStack  []Member
	elemArr   [32]*Value
	memArr    [32]Member
}

func newTree(n int) *tree {
	t := &tree{}
	// A pretty-printed policy has about one value per 35 bytes, one member
	// per 50 and one array element per 100; compact JSON has more, and
	// gets more chunks.
	t.valsChunk = min(max(n/32, 8), 1024)
	t.ptrs = make([]*Value, 0, min(max(n/96, 8), 1024))
	t.mems = make([]Member, 0, min(max(n/48, 8), 1024))
	t.elemStack, t.memStack = t.elemArr[:0], t.memArr[:0]
	return t
}

func (t *tree) newValue() *Value {
	if len(t.vals) == 0 {
		t.vals = make([]Value, t.valsChunk)
		t.valsChunk = min(2*t.valsChunk, 4096)
	}
	v := &t.vals[0]
	t.vals = t.vals[1:]
	return v
}

// value reads the next value of d into a new Value; on an error the Value
// is incomplete and d.Err says why.
func (t *tree) value(d *Decoder) *Value {
	v := t.newValue()
	v.Kind, v.Pos = d.Peek()
	switch v.Kind {
	case String:
		v.Str = d.ReadString()
	case Number, Bool, Null:
		v.Str, v.Bool = d.ReadScalar()
	case Array:
		d.BeginArray()
		base := len(t.elemStack)
		for d.NextElem() {
			t.elemStack = append(t.elemStack, t.value(d))
		}
		v.Elems = t.takeElems(base)
	case Object:
		d.BeginObject()
		base := len(t.memStack)
		for {
			key, keyPos, ok := d.NextKey()
			if !ok {
				break
			}
			val := t.value(d)
			t.memStack = append(t.memStack, Member{Key: key, KeyPos: keyPos, Value: val})
		}
		v.Members = t.takeMembers(base)
	}
	v.End = d.Offset()
	return v
}

// takeElems moves elemStack[base:] into a slice carved from the pointer
// slab; nil when there is none.
func (t *tree) takeElems(base int) []*Value {
	n := len(t.elemStack) - base
	if n == 0 {
		return nil
	}
	if cap(t.ptrs)-len(t.ptrs) < n {
		t.ptrs = make([]*Value, 0, max(n, 2*cap(t.ptrs), 16))
	}
	l := len(t.ptrs)
	t.ptrs = append(t.ptrs, t.elemStack[base:]...)
	t.elemStack = t.elemStack[:base]
	return t.ptrs[l : l+n : l+n]
}

// takeMembers moves memStack[base:] into a slice carved from the member
// slab; nil when there is none.
func (t *tree) takeMembers(base int) []Member {
	n := len(t.memStack) - base
	if n == 0 {
		return nil
	}
	if cap(t.mems)-len(t.mems) < n {
		t.mems = make([]Member, 0, max(n, 2*cap(t.mems), 16))
	}
	l := len(t.mems)
	t.mems = append(t.mems, t.memStack[base:]...)
	t.memStack = t.memStack[:base]
	return t.mems[l : l+n : l+n]
}
