package snapshot

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// setCompiler compiles the policy sets a build needs: each distinct
// document once (or not at all when the resolution's cache holds it
// compiled already), then each distinct list of documents once as a set
// that refers to the compiled documents, both spread over the cores.
type setCompiler struct {
	cat    *catalog.Catalog
	res    *entity.Resolved
	ids    map[*engine.Document]int32 // small numbers naming the documents in keys
	docs   []*engine.Document         // by number
	refs   map[string]*setRef         // by the list of document numbers
	list   []*setRef
	fixups []setFixup // done once the sets are compiled
}

// A setRef is one set to compile; ps is set by compileAll.
type setRef struct {
	owner owner
	docs  []int32 // document numbers
	ps    *engine.PolicySet
	err   error
}

// An owner says what needs a set, for errors.
type owner struct {
	what  string // "principal", "boundary", "resource" or "account"
	name  string // an ARN or an account
	level int    // an account's SCP level
}

func (o owner) String() string {
	switch o.what {
	case "boundary":
		return fmt.Sprintf("principal %q: boundary", o.name)
	case "account":
		return fmt.Sprintf("account %s: SCP level %d", o.name, o.level)
	}
	return fmt.Sprintf("%s %q", o.what, o.name)
}

func newSetCompiler(cat *catalog.Catalog, res *entity.Resolved) *setCompiler {
	return &setCompiler{cat: cat, res: res, ids: make(map[*engine.Document]int32), refs: make(map[string]*setRef)}
}

// add asks for the set of docs, which o needs.
func (c *setCompiler) add(o owner, docs []*engine.Document) *setRef {
	nums := make([]int32, len(docs))
	key := make([]byte, 0, 4*len(docs))
	for i, d := range docs {
		id, ok := c.ids[d]
		if !ok {
			id = int32(len(c.docs))
			c.ids[d] = id
			c.docs = append(c.docs, d)
		}
		nums[i] = id
		key = binary.AppendUvarint(key, uint64(id))
	}
	if r, ok := c.refs[string(key)]; ok {
		return r
	}
	r := &setRef{owner: o, docs: nums}
	c.refs[string(key)] = r
	c.list = append(c.list, r)
	return r
}

// A setFixup stores a compiled set where it is needed: a value, not a
// closure, as a build asks for one or two for each of its principals.
type setFixup struct {
	dst **engine.PolicySet
	ref *setRef
}

// setTo asks for *dst to be set to ref's set once the sets are compiled.
func (c *setCompiler) setTo(dst **engine.PolicySet, ref *setRef) {
	c.fixups = append(c.fixups, setFixup{dst: dst, ref: ref})
}

// compileAll compiles every set asked for, on every core, then runs what
// was asked to be run then.
func (c *setCompiler) compileAll() error {
	compiled := make([]*engine.CompiledDocument, len(c.docs))
	errs := make([]error, len(c.docs))
	onCores(len(c.docs), 16, func(i int) { compiled[i], errs[i] = c.res.Compile(c.cat, c.docs[i]) })
	onCoresWith(len(c.list), 256, func() func(int) {
		var b engine.SetBuilder // each core's own
		return func(i int) { c.assemble(&b, compiled, errs, c.list[i]) }
	})
	for _, r := range c.list {
		if r.err != nil {
			return fmt.Errorf("%s: %w", r.owner, r.err)
		}
	}
	for _, f := range c.fixups {
		*f.dst = f.ref.ps
	}
	return nil
}

// assemble makes the set r asks for from the compiled documents.
func (c *setCompiler) assemble(b *engine.SetBuilder, compiled []*engine.CompiledDocument, errs []error, r *setRef) {
	cds := make([]*engine.CompiledDocument, len(r.docs))
	for j, id := range r.docs {
		if errs[id] != nil {
			r.err = errs[id]
			return
		}
		cds[j] = compiled[id]
	}
	r.ps, r.err = b.NewPolicySet(c.cat, cds...)
}

// onCores calls f(0..n-1) on up to GOMAXPROCS goroutines, one for every
// batch items at least, and returns when all calls have.
func onCores(n, batch int, f func(int)) {
	onCoresWith(n, batch, func() func(int) { return f })
}

// onCoresWith is onCores with a function of each goroutine's own, which
// newF makes on that goroutine: it may keep state between its calls.
func onCoresWith(n, batch int, newF func() func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 1+n/batch) {
		wg.Go(func() {
			f := newF()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}
