package entity

import (
	"errors"
	"io/fs"
)

// ParseBundle reads one bundle from memory: the text an admin API call
// carries, named name in messages (its extension, .json or .yaml, picks the
// syntax; any other is read as JSON, which YAML also accepts). Every
// document must be inline: there is no directory to resolve document_file
// references against. Errors are as for [LoadDir].
func ParseBundle(name string, data []byte) (*Set, error) {
	l := newLoader(noFiles{})
	l.files[name] = fileData{data: data}
	l.add(l.parseFile(name))
	if err := l.rep.probs.Err(); err != nil {
		return nil, err
	}
	return l.set, nil
}

// noFiles is an empty file system: a bundle parsed from memory references
// no files.
type noFiles struct{}

func (noFiles) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name,
		Err: errors.New("a bundle sent to the server must hold its documents inline")}
}
