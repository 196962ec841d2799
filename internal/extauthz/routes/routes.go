package routes

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// A RESTRoute is one operation of a REST (rest-json) API: Amazon Pinpoint.
type RESTRoute struct {
	Operation string // "GetSegment"
	Method    string // "GET"
	// Path is the model's request URI: literal segments and {param}
	// segments, e.g. "/v1/apps/{application-id}/segments/{segment-id}".
	Path   string
	Action string // "mobiletargeting:GetSegment"
	// Resource is the ARN template of the catalog's resource type, with
	// ${Partition}, ${Region} and ${Account} left to fill and every other
	// variable bound to a path parameter ({param}). "{resource-arn}" alone
	// means the parameter holds the ARN itself.
	Resource     string
	ResourceType string // the catalog's resource type name; "" for an ARN parameter
}

// A JSONRoute is one operation of an AWS JSON protocol API: End User
// Messaging SMS and voice v2, called as POST / with the header
// X-Amz-Target: Target.
type JSONRoute struct {
	Operation string // "ReleasePhoneNumber"
	Target    string // "PinpointSMSVoiceV2.ReleasePhoneNumber"
	Action    string // "sms-voice:ReleasePhoneNumber"
	// Resources are the identifier fields of the body the action
	// authorizes, each on its own; none present means "*".
	Resources []Identifier
}

// An Identifier is one field of a JSON request body that names a resource.
type Identifier struct {
	Field    string // the body field, e.g. "PhoneNumberId" or "OriginationIdentity"
	Required bool   // the catalog marks the resource type required: a request without the field is refused
	// Kinds are the resource types the field may name, in the order they
	// are tried. A value that is an ARN is used as it is.
	Kinds []Kind
}

// A Kind is one resource type an identifier may name.
type Kind struct {
	ResourceType string // "PhoneNumber"
	// IDPrefix picks this kind for an identifier value beginning with it
	// ("phone-"); "" is the kind taken when no prefix matches.
	IDPrefix string
	// ARN is the ARN template: ${Partition}, ${Region} and ${Account} left
	// to fill, other variables bound to body fields ({Field}).
	ARN string
}

// ErrMalformedID is the error of Expand for a value that would change the
// ARN's shape.
var ErrMalformedID = errors.New("malformed ID")

// ARNParam is the one placeholder of a template that holds an ARN itself.
const ARNParam = "{resource-arn}"

// Unrouted is an action of the catalog no route leads to, with the reason.
type Unrouted struct {
	Action string
	Reason string
}

// A Params lookup gives a path parameter's or body field's value.
type Params func(name string) (string, bool)

// Where fills in the parts of an ARN that come from the deployment.
type Where struct {
	Partition, Region, Account string
}

// Expand fills an ARN template: ${Partition}, ${Region} and ${Account}
// from w, {name} from p. It fails on a value it lacks, one that is empty,
// and one that would change the ARN's shape ('/', ".", "..").
func Expand(template string, w Where, p Params) (string, error) {
	var b strings.Builder
	b.Grow(len(template) + 32)
	for i := 0; i < len(template); {
		switch {
		case strings.HasPrefix(template[i:], "${"):
			end := strings.IndexByte(template[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated variable in %q", template)
			}
			name := template[i+2 : i+end]
			var v string
			switch name {
			case "Partition":
				v = w.Partition
			case "Region":
				v = w.Region
			case "Account":
				v = w.Account
			default:
				return "", fmt.Errorf("unbound variable ${%s} in %q", name, template)
			}
			if v == "" {
				return "", fmt.Errorf("no %s for the resource ARN", strings.ToLower(name))
			}
			b.WriteString(v)
			i += end + 1
		case template[i] == '{':
			end := strings.IndexByte(template[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated parameter in %q", template)
			}
			name := template[i+1 : i+end]
			v, ok := p(name)
			if !ok || v == "" {
				return "", fmt.Errorf("missing %s", name)
			}
			if v == "." || v == ".." || strings.ContainsRune(v, '/') {
				// An ID never holds these: one that does would name
				// another resource than the one the API acts on.
				return "", fmt.Errorf("%w: %s %q: an ID holds no '/' and is not '.' or '..'", ErrMalformedID, name, v)
			}
			b.WriteString(v)
			i += end + 1
		default:
			j := strings.IndexAny(template[i:], "${")
			if j < 0 {
				j = len(template) - i
			}
			b.WriteString(template[i : i+j])
			i += j
		}
	}
	return b.String(), nil
}

// A Table finds the route of a request. It is immutable and safe for
// concurrent use.
type Table struct {
	rest map[restKey][]*compiledREST // by method and segment count
	json map[string]*JSONRoute       // by target
}

type restKey struct {
	method string
	n      int
}

type compiledREST struct {
	route    *RESTRoute
	segments []string // "" for a parameter
	params   []string // the parameter name of each segment, "" for a literal
	literals int
}

// New builds the table of the generated routes.
func New() *Table {
	return newTable(restRoutes, jsonRoutes)
}

func newTable(rest []RESTRoute, js []JSONRoute) *Table {
	t := &Table{rest: make(map[restKey][]*compiledREST), json: make(map[string]*JSONRoute, len(js))}
	for i := range rest {
		r := &rest[i]
		segs := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
		c := &compiledREST{route: r, segments: make([]string, len(segs)), params: make([]string, len(segs))}
		for j, s := range segs {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				c.params[j] = strings.Trim(s, "{}+")
				continue
			}
			c.segments[j] = s
			c.literals++
		}
		k := restKey{r.Method, len(segs)}
		t.rest[k] = append(t.rest[k], c)
	}
	for i := range js {
		t.json[js[i].Target] = &js[i]
	}
	return t
}

// REST returns every generated REST route.
func REST() []RESTRoute { return restRoutes }

// JSON returns every generated JSON route.
func JSON() []JSONRoute { return jsonRoutes }

// NotRouted returns the catalog's actions that no route leads to.
func NotRouted() []Unrouted { return unrouted }

// A RESTMatch is a REST route with the values of its path parameters.
type RESTMatch struct {
	Route  *RESTRoute
	names  []string
	values []string
}

// Param returns the decoded value of a path parameter.
func (m *RESTMatch) Param(name string) (string, bool) {
	for i, n := range m.names {
		if n == name {
			return m.values[i], true
		}
	}
	return "", false
}

// MatchREST finds the route of method and path (the request's path
// without its query string, as sent: percent-encoded). Where two routes
// match, the one with more literal segments wins.
func (t *Table) MatchREST(method, path string) (RESTMatch, bool) {
	if !strings.HasPrefix(path, "/") {
		return RESTMatch{}, false
	}
	rest := path[1:]
	n := strings.Count(rest, "/") + 1
	var best *compiledREST
	for _, c := range t.rest[restKey{method, n}] {
		if best != nil && c.literals <= best.literals {
			continue
		}
		if literalsMatch(c, rest) {
			best = c
		}
	}
	if best == nil {
		return RESTMatch{}, false
	}
	m := RESTMatch{Route: best.route, names: make([]string, 0, len(best.params)), values: make([]string, 0, len(best.params))}
	s := rest
	for j := range best.params {
		seg, after, _ := strings.Cut(s, "/")
		s = after
		if best.params[j] == "" {
			continue
		}
		v, err := url.PathUnescape(seg)
		if err != nil || v == "" {
			return RESTMatch{}, false
		}
		m.names = append(m.names, best.params[j])
		m.values = append(m.values, v)
	}
	return m, true
}

func literalsMatch(c *compiledREST, rest string) bool {
	for j := range c.segments {
		seg, after, _ := strings.Cut(rest, "/")
		rest = after
		if c.params[j] == "" && seg != c.segments[j] {
			return false
		}
	}
	return true
}

// MatchJSON finds the route of an X-Amz-Target.
func (t *Table) MatchJSON(target string) (*JSONRoute, bool) {
	r, ok := t.json[target]
	return r, ok
}
