package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The data files are copies of /work/shared/catalog; data/README.md rides
// along so that the schema travels with the bytes it describes.
//
//go:embed data/mobiletargeting.json data/sms-voice.json data/global-condition-keys.json data/README.md
var dataFS embed.FS

// Data file names inside dataFS, without the "data/" directory.
var (
	serviceFiles = []string{"mobiletargeting.json", "sms-voice.json"}
	globalFile   = "global-condition-keys.json"
)

// Load parses the embedded data and checks that it is consistent (every
// referenced resource type and condition key exists, types are known, no two
// actions differ only in case). It is pure: call it once at start-up and pass
// the result down. An error means the embedded files are broken.
func Load() (*Catalog, error) {
	in := dataFiles{services: make([]namedData, 0, len(serviceFiles))}
	for _, name := range serviceFiles {
		b, err := dataFS.ReadFile("data/" + name)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		in.services = append(in.services, namedData{name: name, data: b})
	}
	b, err := dataFS.ReadFile("data/" + globalFile)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	in.global = namedData{name: globalFile, data: b}
	return build(in)
}

// dataFiles is the input of build, separate from the embedded files so that
// tests can feed it broken data.
type dataFiles struct {
	services []namedData
	global   namedData
}

type namedData struct {
	name string
	data []byte
}

// JSON shapes of the data files; see data/README.md.
type (
	sourceJSON struct {
		Package       string `json:"package"`
		Version       string `json:"version"`
		DataUpdatedAt string `json:"data_updated_at"`
	}
	serviceJSON struct {
		Prefix        string             `json:"prefix"`
		Name          string             `json:"name"`
		ServicePages  []servicePageJSON  `json:"service_pages"`
		Source        sourceJSON         `json:"source"`
		Actions       []actionJSON       `json:"actions"`
		ResourceTypes []resourceTypeJSON `json:"resource_types"`
		ConditionKeys []conditionKeyJSON `json:"condition_keys"`
	}
	servicePageJSON struct {
		APIVersion string `json:"api_version"`
		Name       string `json:"name"`
	}
	actionJSON struct {
		Name             string               `json:"name"`
		AccessLevel      string               `json:"access_level"`
		WildcardOnly     bool                 `json:"wildcard_only"`
		ResourceTypes    []actionResourceJSON `json:"resource_types"`
		ConditionKeys    []string             `json:"condition_keys"`
		DependentActions []string             `json:"dependent_actions"`
		APIVersions      []string             `json:"api_versions"`
	}
	actionResourceJSON struct {
		Name             string   `json:"name"`
		Required         bool     `json:"required"`
		ConditionKeys    []string `json:"condition_keys"`
		DependentActions []string `json:"dependent_actions"`
	}
	resourceTypeJSON struct {
		Name          string   `json:"name"`
		ARN           string   `json:"arn"`
		ConditionKeys []string `json:"condition_keys"`
	}
	conditionKeyJSON struct {
		Name        string  `json:"name"`
		Category    string  `json:"category"`
		Type        KeyType `json:"type"`
		Multivalued bool    `json:"multivalued"`
		Prefix      string  `json:"prefix"`
	}
	globalJSON struct {
		Source        sourceJSON         `json:"source"`
		ConditionKeys []conditionKeyJSON `json:"condition_keys"`
	}
)

// decodeStrict rejects unknown fields and trailing data, so that a schema
// change in a regenerated file fails Load (and the tests) instead of being
// dropped silently.
func decodeStrict(in namedData, v any) error {
	dec := json.NewDecoder(bytes.NewReader(in.data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("catalog: %s: %w", in.name, err)
	}
	if dec.More() {
		return fmt.Errorf("catalog: %s: data after the top-level object", in.name)
	}
	return nil
}

func build(in dataFiles) (*Catalog, error) {
	var gj globalJSON
	if err := decodeStrict(in.global, &gj); err != nil {
		return nil, err
	}
	c := &Catalog{source: Source(gj.Source), serviceByName: make(map[string]*Service)}
	if c.source.Version == "" {
		return nil, fmt.Errorf("catalog: %s: source.version is empty", in.global.name)
	}
	known := make(map[string]bool) // exact key names that actions may reference
	for _, kj := range gj.ConditionKeys {
		k, err := newConditionKey(kj, "")
		if err != nil {
			return nil, fmt.Errorf("catalog: %s: %w", in.global.name, err)
		}
		c.globalKeys = append(c.globalKeys, k)
		known[k.Name] = true
	}
	slices.SortFunc(c.globalKeys, func(a, b *ConditionKey) int { return strings.Compare(a.Name, b.Name) })

	for _, f := range in.services {
		var sj serviceJSON
		if err := decodeStrict(f, &sj); err != nil {
			return nil, err
		}
		if Source(sj.Source) != c.source {
			return nil, fmt.Errorf("catalog: %s: source %+v differs from %s's %+v", f.name, sj.Source, in.global.name, c.source)
		}
		s, err := newService(sj, known)
		if err != nil {
			return nil, fmt.Errorf("catalog: %s: %w", f.name, err)
		}
		lower := toLowerASCII(s.Prefix)
		if _, dup := c.serviceByName[lower]; dup {
			return nil, fmt.Errorf("catalog: %s: service prefix %q appears twice", f.name, s.Prefix)
		}
		c.serviceByName[lower] = s
		c.services = append(c.services, s)
	}
	slices.SortFunc(c.services, func(a, b *Service) int { return strings.Compare(a.Prefix, b.Prefix) })
	c.index()
	return c, nil
}

// index fills the catalog-wide lists and maps once every service is built.
func (c *Catalog) index() {
	c.actionExact = make(map[string]*Action)
	c.actionFold = make(map[string]*Action)
	for _, s := range c.services {
		c.actions = append(c.actions, s.Actions...)
		c.resourceTypes = append(c.resourceTypes, s.ResourceTypes...)
	}
	slices.SortFunc(c.actions, func(a, b *Action) int { return strings.Compare(a.FullName, b.FullName) })
	for i, a := range c.actions {
		a.ID = i
		c.actionExact[a.FullName] = a
		c.actionFold[toLowerASCII(a.FullName)] = a
		for _, ar := range a.ResourceTypes {
			ar.Type.actions = append(ar.Type.actions, a)
		}
	}
	c.keys = newKeyIndex(c.globalKeys, c.services)
}

func newService(sj serviceJSON, known map[string]bool) (*Service, error) {
	if sj.Prefix == "" || sj.Prefix != toLowerASCII(sj.Prefix) || strings.ContainsAny(sj.Prefix, ":*?") {
		return nil, fmt.Errorf("service prefix %q must be non-empty lower case without ':', '*' or '?'", sj.Prefix)
	}
	s := &Service{Prefix: sj.Prefix, Name: sj.Name}
	for _, p := range sj.ServicePages {
		s.Pages = append(s.Pages, ServicePage(p))
	}
	// The service's own keys join the known names for this service only.
	ownKnown := func(name string) bool { return known[name] || s.hasKey(name) }
	for _, kj := range sj.ConditionKeys {
		k, err := newConditionKey(kj, s.Prefix)
		if err != nil {
			return nil, err
		}
		s.ConditionKeys = append(s.ConditionKeys, k)
	}
	slices.SortFunc(s.ConditionKeys, func(a, b *ConditionKey) int { return strings.Compare(a.Name, b.Name) })
	for _, rj := range sj.ResourceTypes {
		rt, err := newResourceType(s, rj, ownKnown)
		if err != nil {
			return nil, err
		}
		if _, dup := s.ResourceType(rt.Name); dup {
			return nil, fmt.Errorf("resource type %q appears twice", rt.Name)
		}
		s.ResourceTypes = append(s.ResourceTypes, rt)
	}
	slices.SortFunc(s.ResourceTypes, func(a, b *ResourceType) int { return strings.Compare(a.Name, b.Name) })
	for _, aj := range sj.Actions {
		a, err := newAction(s, aj, ownKnown)
		if err != nil {
			return nil, err
		}
		if _, dup := s.Action(a.Name); dup {
			return nil, fmt.Errorf("action %q appears twice (names match case-insensitively)", a.FullName)
		}
		s.Actions = append(s.Actions, a)
	}
	slices.SortFunc(s.Actions, func(a, b *Action) int { return strings.Compare(a.Name, b.Name) })
	return s, nil
}

func (s *Service) hasKey(name string) bool {
	return slices.ContainsFunc(s.ConditionKeys, func(k *ConditionKey) bool { return k.Name == name })
}

func newConditionKey(kj conditionKeyJSON, service string) (*ConditionKey, error) {
	global := service == ""
	switch {
	case kj.Name == "":
		return nil, fmt.Errorf("condition key with an empty name")
	case !kj.Type.Valid():
		return nil, fmt.Errorf("condition key %q: unknown type %q", kj.Name, kj.Type)
	case kj.Multivalued != kj.Type.IsArray():
		return nil, fmt.Errorf("condition key %q: multivalued is %t but the type is %q", kj.Name, kj.Multivalued, kj.Type)
	case kj.Prefix != "" && (len(kj.Name) <= len(kj.Prefix) || !strings.HasPrefix(kj.Name, kj.Prefix)):
		return nil, fmt.Errorf("condition key %q: name does not extend its prefix %q", kj.Name, kj.Prefix)
	case global && kj.Category == "":
		return nil, fmt.Errorf("global condition key %q has no category", kj.Name)
	case !global && kj.Category != "":
		return nil, fmt.Errorf("service condition key %q has a category", kj.Name)
	}
	return &ConditionKey{
		Name:        kj.Name,
		Type:        kj.Type,
		Multivalued: kj.Multivalued,
		Prefix:      kj.Prefix,
		Global:      global,
		Category:    kj.Category,
		Service:     service,
	}, nil
}

func newResourceType(s *Service, rj resourceTypeJSON, known func(string) bool) (*ResourceType, error) {
	if rj.Name == "" {
		return nil, fmt.Errorf("resource type with an empty name")
	}
	format, err := compileFormat(rj.ARN)
	if err != nil {
		return nil, fmt.Errorf("resource type %q: %w", rj.Name, err)
	}
	auto, err := newFormatAutomaton(format)
	if err != nil {
		return nil, fmt.Errorf("resource type %q: %w", rj.Name, err)
	}
	if err := checkKeys(rj.ConditionKeys, known); err != nil {
		return nil, fmt.Errorf("resource type %q: %w", rj.Name, err)
	}
	return &ResourceType{Service: s, Name: rj.Name, ARNFormat: rj.ARN, ConditionKeys: rj.ConditionKeys, auto: auto}, nil
}

func newAction(s *Service, aj actionJSON, known func(string) bool) (*Action, error) {
	full := s.Prefix + ":" + aj.Name
	if aj.Name == "" || strings.ContainsAny(aj.Name, ":*?") {
		return nil, fmt.Errorf("action %q: the name must be non-empty without ':', '*' or '?'", full)
	}
	if aj.AccessLevel == "" {
		return nil, fmt.Errorf("action %q has no access level", full)
	}
	if aj.WildcardOnly != (len(aj.ResourceTypes) == 0) {
		return nil, fmt.Errorf("action %q: wildcard_only is %t with %d resource types", full, aj.WildcardOnly, len(aj.ResourceTypes))
	}
	if err := checkKeys(aj.ConditionKeys, known); err != nil {
		return nil, fmt.Errorf("action %q: %w", full, err)
	}
	if err := s.checkAPIVersions(aj.APIVersions); err != nil {
		return nil, fmt.Errorf("action %q: %w", full, err)
	}
	a := &Action{
		Service:          s,
		Name:             aj.Name,
		FullName:         full,
		AccessLevel:      aj.AccessLevel,
		WildcardOnly:     aj.WildcardOnly,
		ConditionKeys:    aj.ConditionKeys,
		DependentActions: aj.DependentActions,
		APIVersions:      aj.APIVersions,
	}
	for _, rj := range aj.ResourceTypes {
		rt, ok := s.ResourceType(rj.Name)
		if !ok {
			return nil, fmt.Errorf("action %q: unknown resource type %q", full, rj.Name)
		}
		if err := checkKeys(rj.ConditionKeys, known); err != nil {
			return nil, fmt.Errorf("action %q (%s): %w", full, rj.Name, err)
		}
		a.ResourceTypes = append(a.ResourceTypes, ActionResource{
			Type: rt, Required: rj.Required, ConditionKeys: rj.ConditionKeys, DependentActions: rj.DependentActions,
		})
	}
	slices.SortFunc(a.ResourceTypes, func(x, y ActionResource) int { return strings.Compare(x.Type.Name, y.Type.Name) })
	return a, nil
}

// checkAPIVersions accepts only versions of the service's merged pages, and
// none for a service with a single page.
func (s *Service) checkAPIVersions(versions []string) error {
	for _, v := range versions {
		if !slices.ContainsFunc(s.Pages, func(p ServicePage) bool { return p.APIVersion == v }) {
			return fmt.Errorf("api version %q is not a page of service %q", v, s.Prefix)
		}
	}
	return nil
}

func checkKeys(names []string, known func(string) bool) error {
	for _, n := range names {
		if !known(n) {
			return fmt.Errorf("unknown condition key %q", n)
		}
	}
	return nil
}
