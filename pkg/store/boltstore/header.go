package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The bbolt file format that inspectHeader reads without bbolt, so that a
// damaged file is diagnosed before bbolt maps it: bbolt trusts its meta
// page, and a file shorter than the meta page says, or with a page of the
// wrong type where the meta page points, makes it panic or fault instead
// of returning an error. Integers are in the machine's byte order, as
// bbolt writes them.
const (
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	pageHeaderSize  = 16 // id u64, flags u16, count u16, overflow u32
	metaSize        = 64 // magic, version, page size, flags, root (pgid, sequence), freelist, pgid, txid, checksum
	metaSumSize     = 56 // the bytes the checksum covers
	noFreelist      = ^uint64(0)
	flagBranch      = 0x01
	flagLeaf        = 0x02
	flagMeta        = 0x04
	flagFreelist    = 0x10
	minPageSize     = 1 << 10
	maxPageSize     = 1 << 24
	firstReadLength = pageHeaderSize + metaSize
)

// A DamagedError reports a store file that cannot be used as it is: empty,
// truncated, or corrupt. Open returns it before writing anything, so the
// file is left exactly as it was found.
type DamagedError struct {
	Path    string
	Problem string // what is wrong, e.g. "the file is empty (0 bytes)"
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("boltstore: %s is damaged: %s", e.Path, e.Problem)
}

func damaged(path, format string, args ...any) error {
	return &DamagedError{Path: path, Problem: fmt.Sprintf(format, args...)}
}

// boltMeta is one decoded meta page.
type boltMeta struct {
	pageSize           uint32
	root, freelist     uint64
	highWater          uint64 // pgid: the page count the file must hold
	txid               uint64
	magic, version     uint32
	checksum, computed uint64
}

// problem says why bbolt would refuse m, or "" when it is valid.
func (m boltMeta) problem() string {
	switch {
	case m.magic != boltMagic:
		return "not a bbolt meta page (bad magic number)"
	case m.version != boltVersion:
		return fmt.Sprintf("bbolt format version %d, this build reads %d", m.version, boltVersion)
	case m.checksum != m.computed:
		return "checksum mismatch"
	}
	return ""
}

func decodeMeta(page []byte) boltMeta {
	b := page[pageHeaderSize : pageHeaderSize+metaSize]
	ne := binary.NativeEndian
	h := fnv.New64a()
	h.Write(b[:metaSumSize])
	return boltMeta{
		magic: ne.Uint32(b[0:]), version: ne.Uint32(b[4:]), pageSize: ne.Uint32(b[8:]),
		root: ne.Uint64(b[16:]), freelist: ne.Uint64(b[32:]), highWater: ne.Uint64(b[40:]),
		txid: ne.Uint64(b[48:]), checksum: ne.Uint64(b[56:]), computed: h.Sum64(),
	}
}

// header is what inspectHeader learned about a file.
type header struct {
	size     int64
	pageSize int64
	meta     [2]boltMeta
	valid    [2]bool
	active   int // the meta page bbolt uses: the valid one with the higher txid
}

// warnings lists what is wrong but survivable: a damaged meta page next
// to a valid one, which bbolt reads past.
func (h header) warnings() []string {
	var out []string
	for i, ok := range h.valid {
		if !ok {
			out = append(out, fmt.Sprintf("meta page %d is damaged (%s); the store opens from meta page %d (transaction %d)",
				i, h.meta[i].problem(), h.active, h.meta[h.active].txid))
		}
	}
	return out
}

// inspectHeader checks, without bbolt, what bbolt needs to open a file
// safely: a valid meta page, a plausible page size, a file as long as the
// meta page says, and a root and freelist page of the right type.
func inspectHeader(path string) (header, error) {
	f, err := os.Open(path)
	if err != nil {
		return header{}, fmt.Errorf("boltstore: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return header{}, fmt.Errorf("boltstore: %w", err)
	}
	h := header{size: fi.Size()}
	if !fi.Mode().IsRegular() {
		return h, damaged(path, "not a regular file")
	}
	if h.size == 0 {
		return h, damaged(path, "the file is empty (0 bytes)")
	}
	readPage := func(off int64) ([]byte, bool) {
		buf := make([]byte, firstReadLength)
		n, err := f.ReadAt(buf, off)
		return buf, n == len(buf) && (err == nil || errors.Is(err, io.EOF))
	}
	// The page size is in the meta pages; the second one is at the page
	// size, so look for it as bbolt does when the first is unreadable.
	first, ok := readPage(0)
	if !ok {
		return h, damaged(path, "the file is too short to be a bbolt file (%d bytes)", h.size)
	}
	m0 := decodeMeta(first)
	switch {
	case m0.problem() == "":
		h.pageSize = int64(m0.pageSize)
	default:
		for size := int64(minPageSize); size <= maxPageSize && size < h.size; size <<= 1 {
			if p, ok := readPage(size); ok {
				if m := decodeMeta(p); m.problem() == "" && int64(m.pageSize) == size {
					h.pageSize = size
					break
				}
			}
		}
	}
	if h.pageSize == 0 {
		return h, damaged(path, "both meta pages are damaged (page 0: %s), or it is not a bbolt file", m0.problem())
	}
	if h.pageSize < minPageSize || h.pageSize > maxPageSize || h.pageSize&(h.pageSize-1) != 0 {
		return h, damaged(path, "implausible page size %d in the meta page", h.pageSize)
	}
	if h.size < 2*h.pageSize {
		return h, damaged(path, "the file is truncated: %d bytes, shorter than its two meta pages of %d bytes", h.size, h.pageSize)
	}
	for i := range h.meta {
		p, _ := readPage(int64(i) * h.pageSize)
		h.meta[i] = decodeMeta(p)
		h.valid[i] = h.meta[i].problem() == "" && int64(h.meta[i].pageSize) == h.pageSize
	}
	switch {
	case h.valid[0] && h.valid[1]:
		if h.meta[1].txid > h.meta[0].txid {
			h.active = 1
		}
	case h.valid[1]:
		h.active = 1
	case !h.valid[0]:
		return h, damaged(path, "both meta pages are damaged (page 0: %s; page 1: %s)", h.meta[0].problem(), h.meta[1].problem())
	}
	m := h.meta[h.active]
	if need := int64(m.highWater) * h.pageSize; m.highWater > uint64(h.size/h.pageSize) || need > h.size {
		return h, damaged(path, "the file is truncated: %d bytes, but its meta page (transaction %d) needs %d pages of %d bytes (%d bytes)",
			h.size, m.txid, m.highWater, h.pageSize, need)
	}
	if m.root < 2 || m.root >= m.highWater {
		return h, damaged(path, "the meta page points to root page %d, outside pages 2..%d", m.root, m.highWater-1)
	}
	if err := checkPageType(f, h, m.root, flagBranch|flagLeaf, "root"); err != nil {
		return h, damaged(path, "%v", err)
	}
	if m.freelist != noFreelist {
		if m.freelist < 2 || m.freelist >= m.highWater {
			return h, damaged(path, "the meta page points to freelist page %d, outside pages 2..%d", m.freelist, m.highWater-1)
		}
		if err := checkPageType(f, h, m.freelist, flagFreelist, "freelist"); err != nil {
			return h, damaged(path, "%v", err)
		}
	}
	return h, nil
}

// checkPageType checks that page id has one of the wanted type flags.
func checkPageType(f *os.File, h header, id uint64, want uint16, what string) error {
	var buf [pageHeaderSize]byte
	if _, err := f.ReadAt(buf[:], int64(id)*h.pageSize); err != nil {
		return fmt.Errorf("cannot read the %s page %d: %w", what, id, err)
	}
	flags := binary.NativeEndian.Uint16(buf[8:])
	if flags&want == 0 || flags&^(flagBranch|flagLeaf|flagMeta|flagFreelist) != 0 || binary.NativeEndian.Uint64(buf[0:]) != id {
		return fmt.Errorf("the %s page %d is corrupt (page id %d, type flags %#x)", what, id, binary.NativeEndian.Uint64(buf[0:]), flags)
	}
	return nil
}
