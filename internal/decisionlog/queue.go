package decisionlog

import "sync"

// The queue holds records between Log and the writer. It is bounded by
// count (Config.QueueSize) and by bytes (Config.QueueBytes): a record can
// be as large as a request, and ten thousand requests of megabytes would
// otherwise wait in memory behind a slow sink.
//
// A queued record holds its own copy of what the log will write, in one
// string: the request's values, not the request. The server hands Log a
// Context that reads its request's map of protobuf values (see
// Record.Context); keeping that map queued would keep every value the
// caller sent alive, however long, when the log writes at most
// 256 bytes of each (the server clips them as it hands them over).

// Estimates of the memory a queued record takes besides its text: the
// Record in the queue's slot and the headers of its slices and strings.
const (
	recordOverhead    = 256 // Record, its queue slot
	entryOverhead     = 48  // one context key: frozenEntry
	valueOverhead     = 16  // one context value: its string header
	statementOverhead = 96  // one Statement
)

// A queued record waits for the writer; size is what it counts against
// Config.QueueBytes until the writer takes it.
type queued struct {
	r    Record
	size int64
}

// frozenContext is a Context copied out of the request: every key and
// value a substring of one string.
type frozenContext []frozenEntry

type frozenEntry struct {
	key    string
	values []string
	multi  bool
}

// Each calls f for every key, in the order the original gave them.
func (c frozenContext) Each(f func(key string, values []string, multi bool)) {
	for i := range c {
		f(c[i].key, c[i].values, c[i].multi)
	}
}

// scratch is what freeze gathers a record in before copying it out;
// scratches are reused, so that a record costs three allocations whatever
// its context.
type scratch struct {
	buf     []byte
	entries []scratchEntry
	ends    []int // offset in buf of the end of each value, for all entries
	collect func(key string, values []string, multi bool)
}

type scratchEntry struct {
	keyEnd, values int // offset in buf of the key's end; number of values
	multi          bool
}

// maxScratch is the largest buffer a scratch keeps for the next record.
const maxScratch = 64 << 10

var scratches = sync.Pool{New: func() any {
	s := &scratch{}
	s.collect = func(key string, values []string, multi bool) {
		s.buf = append(s.buf, key...)
		s.entries = append(s.entries, scratchEntry{keyEnd: len(s.buf), values: len(values), multi: multi})
		for _, v := range values {
			s.buf = append(s.buf, v...)
			s.ends = append(s.ends, len(s.buf))
		}
	}
	return s
}}

// freeze makes r hold copies of its strings and context, all in one
// string, and returns the memory it then takes, roughly.
func freeze(r *Record) int64 {
	sc := scratches.Get().(*scratch)
	defer func() {
		if cap(sc.buf) <= maxScratch {
			sc.buf, sc.entries, sc.ends = sc.buf[:0], sc.entries[:0], sc.ends[:0]
			scratches.Put(sc)
		}
	}()
	fields := [...]*string{&r.RequestID, &r.Caller, &r.Principal, &r.Action, &r.Resource, &r.Error}
	for _, s := range fields {
		sc.buf = append(sc.buf, *s...)
	}
	if r.Context != nil {
		r.Context.Each(sc.collect)
	}
	buf, entries, ends := sc.buf, sc.entries, sc.ends
	text := string(buf)
	at := 0
	for _, s := range fields {
		n := len(*s)
		*s = text[at : at+n]
		at += n
	}
	size := int64(recordOverhead + len(text) + len(entries)*entryOverhead + len(ends)*valueOverhead +
		len(r.Matched)*statementOverhead)
	for _, m := range r.Matched {
		size += int64(len(m.Type) + len(m.Policy) + len(m.Sid) + len(m.Effect))
	}
	if r.Context == nil {
		return size
	}
	ctx := make(frozenContext, len(entries))
	values := make([]string, len(ends))
	v := 0
	for i, e := range entries {
		ctx[i] = frozenEntry{key: text[at:e.keyEnd], values: values[v : v+e.values : v+e.values], multi: e.multi}
		at = e.keyEnd
		for range e.values {
			values[v] = text[at:ends[v]]
			at = ends[v]
			v++
		}
	}
	r.Context = ctx
	return size
}
