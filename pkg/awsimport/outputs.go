package awsimport

import (
	"encoding/json"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Outputs are AWS CLI outputs kept side by side, each named by its command
// and argument: "list-roots", "describe-policy/p-examplepolicyid",
// "list-tags-for-resource/arn%3Aaws%3A…". On disk (as scripts/export-aws.sh
// writes them) each is the file NAME.json under one directory; the same
// outputs may also come as one JSON file, an object from NAME to output.
type Outputs struct {
	// Source names the directory or file, for messages.
	Source string
	files  map[string][]byte
}

// ReadOutputs reads the outputs at name in fsys: every *.json file under a
// directory, recursively, or the entries of one JSON file.
func ReadOutputs(fsys fs.FS, name string) (*Outputs, error) {
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, Problems{{File: name, Msg: err.Error()}}
	}
	o := &Outputs{Source: name, files: make(map[string][]byte)}
	if !fi.IsDir() {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, Problems{{File: name, Msg: err.Error()}}
		}
		if err := checkJSON(name, data); err != nil {
			return nil, err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, Problems{typeProblem(name, "", data, 0, err)}
		}
		for k, v := range m {
			o.files[k] = v
		}
		return o, nil
	}
	var probs Problems
	err = fs.WalkDir(fsys, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			probs.add(p, "", "%v", err)
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			probs.add(p, "", "%v", err)
			return nil
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, name), "/")
		o.files[strings.TrimSuffix(rel, ".json")] = data
		return nil
	})
	if err != nil {
		probs.add(name, "", "%v", err)
	}
	return o, probs.Err()
}

// NewOutputs makes Outputs from names and texts, as ReadOutputs would read
// them.
func NewOutputs(source string, files map[string][]byte) *Outputs {
	return &Outputs{Source: source, files: files}
}

// get returns one output and the name to report it by.
func (o *Outputs) get(name string) (data []byte, file string, ok bool) {
	data, ok = o.files[name]
	return data, o.file(name), ok
}

// file names an output for messages.
func (o *Outputs) file(name string) string {
	return path.Join(o.Source, name+".json")
}

// under lists the outputs named dir/…, sorted.
func (o *Outputs) under(dir string) []string {
	var out []string
	for k := range o.files {
		if strings.HasPrefix(k, dir+"/") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// decode decodes one output into v, reporting invalid JSON and fields of
// the wrong type. It returns false when the output is absent or bad.
func (o *Outputs) decode(name string, v any, probs *Problems, required bool) bool {
	data, file, ok := o.get(name)
	if !ok {
		if required {
			probs.add(file, "", "missing: the export must hold this output")
		}
		return false
	}
	if err := checkJSON(file, data); err != nil {
		*probs = append(*probs, err.(Problems)...)
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		*probs = append(*probs, typeProblem(file, "", data, 0, err))
		return false
	}
	return true
}
