package snapshot

import (
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/shardmap"
)

// Every decision finds the nearest governor above its resource. Walking
// up the ARN would look up each ancestor; instead the governors are also
// kept by their root (entity.ResourceRoot): every ancestor of a resource
// that holds a '/' has the resource's root, so one lookup finds the few
// governors that can be above it, and for most resources none. Only a
// governor whose ARN holds no '/' can be above resources of other roots;
// with one (a rare model), the walk is the answer.

// governorIndex holds a snapshot's governors.
type governorIndex struct {
	byARN   shardmap.Map[string, *governor]
	byRoot  shardmap.Map[string, *rootGovernors]
	shallow int // governors whose ARN holds no '/'
}

// rootGovernors are the governors of one root, longest ARN first, so
// that the first above a resource is its nearest.
type rootGovernors struct{ list []*governor }

// newGovernorIndex returns an empty index sized for about n governors.
func newGovernorIndex(n int) governorIndex {
	return governorIndex{byARN: shardmap.New[string, *governor](shardmap.String, n),
		byRoot: shardmap.New[string, *rootGovernors](shardmap.String, n)}
}

// above returns the governor of the nearest ancestor of arn that has
// one; nil for none.
func (x *governorIndex) above(arn string) *governor {
	if x.byARN.Len() == 0 {
		return nil
	}
	if x.shallow > 0 {
		return governorAbove(&x.byARN, arn)
	}
	rg, _ := x.byRoot.Get(entity.ResourceRoot(arn))
	return rg.nearest(arn)
}

// nearest returns the first governor of the root that is above arn.
func (rg *rootGovernors) nearest(arn string) *governor {
	if rg == nil {
		return nil
	}
	for _, g := range rg.list {
		if len(arn) > len(g.arn) && arn[len(g.arn)] == '/' && strings.HasPrefix(arn, g.arn) {
			return g
		}
	}
	return nil
}

// governorAbove walks up arn: the governor of the nearest ancestor that
// governors (a map or an edit of one) holds; nil for none.
func governorAbove[M interface {
	Get(string) (*governor, bool)
}](governors M, arn string) *governor {
	for p := arn; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return nil
		}
		p = p[:i]
		if g, ok := governors.Get(p); ok {
			return g
		}
	}
}

// governorEdit builds the index of a snapshot from that of the previous
// one.
type governorEdit struct {
	byARN   *shardmap.Edit[string, *governor]
	byRoot  *shardmap.Edit[string, *rootGovernors]
	shallow int
}

func (x governorIndex) edit() *governorEdit {
	return &governorEdit{byARN: x.byARN.Edit(), byRoot: x.byRoot.Edit(), shallow: x.shallow}
}

func (e *governorEdit) done() governorIndex {
	return governorIndex{byARN: e.byARN.Done(), byRoot: e.byRoot.Done(), shallow: e.shallow}
}

// above is governorIndex.above in the index being built.
func (e *governorEdit) above(arn string) *governor {
	if e.byARN.Len() == 0 {
		return nil
	}
	if e.shallow > 0 {
		return governorAbove(e.byARN, arn)
	}
	rg, _ := e.byRoot.Get(entity.ResourceRoot(arn))
	return rg.nearest(arn)
}

// set makes g the governor of the resource arn; nil removes it.
func (e *governorEdit) set(arn string, g *governor) {
	_, had := e.byARN.Get(arn)
	if g == nil {
		e.byARN.Delete(arn)
	} else {
		e.byARN.Put(arn, g)
	}
	if !strings.Contains(arn, "/") {
		switch {
		case had && g == nil:
			e.shallow--
		case !had && g != nil:
			e.shallow++
		}
	}
	root := entity.ResourceRoot(arn)
	var list []*governor
	if old, ok := e.byRoot.Get(root); ok {
		list = slices.DeleteFunc(slices.Clone(old.list), func(x *governor) bool { return x.arn == arn })
	}
	if g != nil {
		list = append(list, g)
		slices.SortStableFunc(list, func(a, b *governor) int { return len(b.arn) - len(a.arn) })
	}
	if len(list) == 0 {
		e.byRoot.Delete(root)
	} else {
		e.byRoot.Put(root, &rootGovernors{list: list})
	}
}
