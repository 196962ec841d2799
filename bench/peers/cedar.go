package peers

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
)

// The Cedar entity types of the workload. Actions keep their IAM names as
// IDs; campaigns and segments are children of their app, so an IAM
// Resource "…:apps/APP/*" becomes `resource in App::"…:apps/APP"`.
const (
	cedarUser     = cedar.EntityType("User")
	cedarAction   = cedar.EntityType("Action")
	cedarApp      = cedar.EntityType("App")
	cedarCampaign = cedar.EntityType("Campaign")
	cedarSegment  = cedar.EntityType("Segment")
)

func cedarKind(k ResourceKind) cedar.EntityType {
	if k == Segment {
		return cedarSegment
	}
	return cedarCampaign
}

// CedarPolicy writes a policy in Cedar. Tags are a record attribute `tags`
// of principals and resources; the source IP is `context.sourceIp`, an
// ipaddr. IAM's StringEquals on a tag is false when the tag is absent,
// hence the `has` tests.
func CedarPolicy(w *Workload, p *Policy) []byte {
	var b bytes.Buffer
	effect := "permit"
	if p.Effect == Deny {
		effect = "forbid"
	}
	fmt.Fprintf(&b, "%s (\n  principal == User::%s,\n  action in [", effect, strconv.Quote(w.Principals[p.Principal].ARN))
	for i, a := range p.Actions {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "Action::%s", strconv.Quote(a))
	}
	fmt.Fprintf(&b, "],\n  resource in App::%s\n)", strconv.Quote(AppARN(p.App)))
	var conds []string
	if len(p.Kinds) > 0 {
		var c string
		for i, k := range p.Kinds {
			if i > 0 {
				c += " || "
			}
			c += "resource is " + string(cedarKind(k))
		}
		conds = append(conds, "("+c+")")
	}
	if p.TeamMatch {
		conds = append(conds, "resource.tags has team && principal.tags has team && resource.tags.team == principal.tags.team")
	}
	if p.Env != "" {
		conds = append(conds, "resource.tags has env && resource.tags.env == "+strconv.Quote(p.Env))
	}
	if p.CIDR != "" {
		conds = append(conds, fmt.Sprintf("context.sourceIp.isInRange(ip(%q))", p.CIDR))
	}
	for i, c := range conds {
		if i == 0 {
			b.WriteString(" when {\n  ")
		} else {
			b.WriteString(" &&\n  ")
		}
		b.WriteString(c)
	}
	if len(conds) > 0 {
		b.WriteString("\n}")
	}
	b.WriteString(";\n")
	return b.Bytes()
}

// CedarPolicies writes the policies of principal p (or of every principal
// when p < 0) as one Cedar document.
func CedarPolicies(w *Workload, p int) []byte {
	var b bytes.Buffer
	for i := range w.Policies {
		if p < 0 || w.Policies[i].Principal == p {
			b.Write(CedarPolicy(w, &w.Policies[i]))
		}
	}
	return b.Bytes()
}

// Cedar decides the workload with cedar-go: all N policies in one
// PolicySet, which cedar-go evaluates in full for every request, or one
// PolicySet per principal, selected by the caller's ARN before Cedar runs.
type Cedar struct {
	all         *cedar.PolicySet // nil when per principal
	byPrincipal map[cedar.EntityUID]*cedar.PolicySet
	entities    cedar.EntityMap
	requests    []cedar.Request
}

// LoadCedar parses the Cedar documents, docs[0] holding every policy or
// docs[p] principal p's when perPrincipal, and prepares the entities and
// requests.
func LoadCedar(w *Workload, docs [][]byte, perPrincipal bool) (*Cedar, error) {
	c := &Cedar{entities: CedarEntities(w), requests: cedarRequests(w)}
	if !perPrincipal {
		ps, err := cedar.NewPolicySetFromBytes("all.cedar", docs[0])
		if err != nil {
			return nil, err
		}
		c.all = ps
		return c, nil
	}
	c.byPrincipal = make(map[cedar.EntityUID]*cedar.PolicySet, len(docs))
	for p, doc := range docs {
		ps, err := cedar.NewPolicySetFromBytes(fmt.Sprintf("u%05d.cedar", p), doc)
		if err != nil {
			return nil, err
		}
		c.byPrincipal[cedar.NewEntityUID(cedarUser, cedar.String(w.Principals[p].ARN))] = ps
	}
	return c, nil
}

// CedarEntities are the principals and the requests' resources, with their
// tags, and each resource's app as its parent.
func CedarEntities(w *Workload) cedar.EntityMap {
	m := cedar.EntityMap{}
	for _, p := range w.Principals {
		uid := cedar.NewEntityUID(cedarUser, cedar.String(p.ARN))
		m[uid] = cedar.Entity{UID: uid, Attributes: cedarTags(map[string]string{"team": p.Team})}
	}
	for _, q := range w.Requests {
		uid := cedar.NewEntityUID(cedarKind(q.Kind), cedar.String(q.Resource))
		m[uid] = cedar.Entity{
			UID:        uid,
			Parents:    cedar.NewEntityUIDSet(cedar.NewEntityUID(cedarApp, cedar.String(AppARN(q.App)))),
			Attributes: cedarTags(map[string]string{"team": q.ResourceTeam, "env": q.ResourceEnv}),
		}
	}
	return m
}

// cedarTags is a record {tags: {...}} of the tags that are present.
func cedarTags(tags map[string]string) cedar.Record {
	rm := cedar.RecordMap{}
	for k, v := range tags {
		if v != "" {
			rm[cedar.String(k)] = cedar.String(v)
		}
	}
	return cedar.NewRecord(cedar.RecordMap{"tags": cedar.NewRecord(rm)})
}

func cedarRequests(w *Workload) []cedar.Request {
	out := make([]cedar.Request, len(w.Requests))
	for j, q := range w.Requests {
		ip, err := types.ParseIPAddr(q.SourceIP)
		if err != nil {
			panic(err) // the generator writes addresses
		}
		out[j] = cedar.Request{
			Principal: cedar.NewEntityUID(cedarUser, cedar.String(q.Principal)),
			Action:    cedar.NewEntityUID(cedarAction, cedar.String(q.Action)),
			Resource:  cedar.NewEntityUID(cedarKind(q.Kind), cedar.String(q.Resource)),
			Context:   cedar.NewRecord(cedar.RecordMap{"sourceIp": ip}),
		}
	}
	return out
}

// Allowed decides request j. An evaluation error in some policy is an
// error here: the workload is written so that none occurs.
func (c *Cedar) Allowed(_ context.Context, j int) (bool, error) {
	r := c.requests[j]
	ps := c.all
	if ps == nil {
		if ps = c.byPrincipal[r.Principal]; ps == nil {
			return false, nil
		}
	}
	d, diag := cedar.Authorize(ps, c.entities, r)
	if len(diag.Errors) > 0 {
		return false, fmt.Errorf("cedar: request %d: %v", j, diag.Errors[0])
	}
	return d == cedar.Allow, nil
}
