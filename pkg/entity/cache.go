package entity

import (
	"crypto/sha256"
	"sync"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// A DocCache keeps parsed policy documents from one resolution to the
// next, so that a document whose text has not changed is not parsed again
// and keeps its *engine.Document: the server then knows, by comparing
// pointers, which compiled policies it can keep. It keeps each document's
// compiled form too (see [DocCache.Compile]).
//
// A document is found by its ID, its policy type and the SHA-256 of its
// text, so two documents share a parse only when they are the same bytes
// under the same name. The copies a resolution derives from a managed
// policy (a boundary, a group's attachment) are kept too, under the
// managed policy's parse. Each resolution that succeeds drops the entries
// it did not use (a [Linker] drops them when the cache has grown to twice
// what it uses), so the cache holds about one model's documents.
//
// A DocCache is safe for concurrent use; resolutions running at the same
// time may parse a document twice. Validation findings are kept with the
// documents for one catalog at a time.
type DocCache struct {
	mu      sync.Mutex
	gen     uint64
	docs    map[docKey]*cachedDoc
	derived map[derivedKey]*cachedDoc
	byDoc   map[*engine.Document]*cachedDoc
}

// NewDocCache returns an empty cache.
func NewDocCache() *DocCache {
	return &DocCache{
		docs:    make(map[docKey]*cachedDoc),
		derived: make(map[derivedKey]*cachedDoc),
		byDoc:   make(map[*engine.Document]*cachedDoc),
	}
}

type docKey struct {
	id  string
	typ engine.PolicyType
	sum [sha256.Size]byte
}

// derivedKey finds a managed policy's parse under another ID and type.
type derivedKey struct {
	base *engine.Document
	id   string
	typ  engine.PolicyType
}

type cachedDoc struct {
	doc  *engine.Document
	used uint64 // the last generation that used it
	key  docKey
	dkey *derivedKey // set for a derived document

	// The findings of engine.Validate for one catalog and quota.
	checked  bool
	cat      *catalog.Catalog
	quota    engine.QuotaKind
	findings engine.Errors

	// The document compiled for one catalog, or why it did not compile.
	compiled   *engine.CompiledDocument
	compileErr error
	compileCat *catalog.Catalog
}

// Len returns the number of documents in the cache, derived copies
// included.
func (c *DocCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byDoc)
}

// begin starts a resolution and returns its generation.
func (c *DocCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	return c.gen
}

// parse returns the document raw parsed under id and typ, from the cache
// when it was parsed before. Errors are not kept.
func (c *DocCache) parse(gen uint64, raw []byte, id string, typ engine.PolicyType) (*cachedDoc, error) {
	k := docKey{id: id, typ: typ, sum: sha256.Sum256(raw)}
	c.mu.Lock()
	if e, ok := c.docs[k]; ok {
		e.used = max(e.used, gen)
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	doc, err := engine.Parse(raw, engine.ParseOptions{ID: id, Type: typ})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.docs[k]
	if !ok { // unless a concurrent resolution parsed it meanwhile
		e = &cachedDoc{doc: doc, key: k}
		c.docs[k] = e
		c.byDoc[doc] = e
	}
	e.used = max(e.used, gen)
	return e, nil
}

// derive returns base under another ID and type: a boundary is a managed
// policy with the grammar of an identity policy, so its parse is shared.
func (c *DocCache) derive(gen uint64, base *engine.Document, id string, typ engine.PolicyType) *engine.Document {
	k := derivedKey{base: base, id: id, typ: typ}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.derived[k]
	if !ok {
		d := *base
		d.ID, d.Type = id, typ
		e = &cachedDoc{doc: &d, dkey: &k}
		c.derived[k] = e
		c.byDoc[&d] = e
	}
	e.used = max(e.used, gen)
	return e.doc
}

// validate returns the findings of engine.Validate for the document of e.
func (c *DocCache) validate(e *cachedDoc, cat *catalog.Catalog, quota engine.QuotaKind) engine.Errors {
	c.mu.Lock()
	if e.checked && e.cat == cat && e.quota == quota {
		f := e.findings
		c.mu.Unlock()
		return f
	}
	c.mu.Unlock()
	f := engine.Validate(cat, e.doc, engine.ValidateOptions{Quota: quota})
	c.mu.Lock()
	e.checked, e.cat, e.quota, e.findings = true, cat, quota, f
	c.mu.Unlock()
	return f
}

// Compile returns doc compiled against cat. A document of the cache is
// compiled once per catalog and the result kept with its parse, so that
// the policy sets of every principal that attaches a managed policy share
// one compilation of it; another document is compiled every time.
func (c *DocCache) Compile(cat *catalog.Catalog, doc *engine.Document) (*engine.CompiledDocument, error) {
	c.mu.Lock()
	e, ok := c.byDoc[doc]
	if ok && e.compileCat == cat {
		cd, err := e.compiled, e.compileErr
		c.mu.Unlock()
		return cd, err
	}
	c.mu.Unlock()
	cd, err := engine.CompileDocument(cat, doc)
	if !ok {
		return cd, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.compileCat == cat { // compiled meanwhile: keep one
		return e.compiled, e.compileErr
	}
	e.compiled, e.compileErr, e.compileCat = cd, err, cat
	return cd, err
}

// markAll records that generation gen uses docs (nil ones are skipped).
func (c *DocCache) markAll(gen uint64, docs []*engine.Document) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, doc := range docs {
		if e, ok := c.byDoc[doc]; ok && doc != nil {
			e.used = max(e.used, gen)
		}
	}
}

// sweep drops the documents no resolution has used since gen began, and
// returns how many are left.
func (c *DocCache) sweep(gen uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for doc, e := range c.byDoc {
		if e.used >= gen {
			continue
		}
		delete(c.byDoc, doc)
		if e.dkey != nil {
			delete(c.derived, *e.dkey)
		} else {
			delete(c.docs, e.key)
		}
	}
	return len(c.byDoc)
}
