package entity

import (
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// tagKeyFamily is the condition key a resource type lists when its
// resources can be tagged.
const tagKeyFamily = "aws:ResourceTag/${TagKey}"

func (c *checker) resource(i int, res *Resource) {
	r := c.rep.at(res.src.fileOf(), resourceLabel(place(i, res.src), res.ARN))
	types := c.resourceTypes(r, res.ARN)
	if res.ARN != "" && c.resourceARNs[res.ARN] {
		r.errorf("arn", "duplicate resource")
	}
	c.resourceARNs[res.ARN] = true
	if !isNull(res.Policy) {
		c.parse(r, res.src, "policy", res.Policy, "resource:"+res.ARN,
			engine.ResourcePolicy, engine.QuotaNone)
	}
	checkTags(r, res.Tags)
	if len(res.Tags) > 0 && len(types) > 0 && !slices.ContainsFunc(types, taggable) {
		r.warnf("tags", "resource type %s cannot be tagged (it has no aws:ResourceTag condition key), "+
			"so no policy condition sees these tags", types[0].Name)
	}
}

func taggable(rt *catalog.ResourceType) bool {
	return slices.Contains(rt.ConditionKeys, tagKeyFamily)
}

// resourceTypes checks a resource ARN and returns the resource types of the
// catalog it fits. The entity's label already shows the ARN, so messages do
// not repeat it.
func (c *checker) resourceTypes(r *entityReport, arn string) []*catalog.ResourceType {
	a, ok := splitResourceARN(arn)
	if !ok {
		r.errorf("arn", "not an ARN (want arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE, "+
			"e.g. arn:aws:mobiletargeting:us-east-1:111122223333:apps/my-app)")
		return nil
	}
	svc, ok := c.cat.Service(a.service)
	if !ok || svc.Prefix != a.service {
		prefixes := make([]string, 0, len(c.cat.Services()))
		for _, s := range c.cat.Services() {
			prefixes = append(prefixes, s.Prefix)
		}
		r.errorf("arn", "service %q is not one pdp decides (%s)%s", a.service,
			strings.Join(prefixes, ", "), suggest(a.service, prefixes))
		return nil
	}
	switch {
	case strings.ContainsAny(arn, "*?"):
		r.errorf("arn", "a pattern; a resource has one concrete ARN")
		return nil
	case !validPartition(a.partition):
		r.errorf("arn", "partition %q is not an AWS partition such as aws", a.partition)
		return nil
	case a.region == "":
		r.errorf("arn", "no region")
		return nil
	case !isAccountID(a.account):
		r.errorf("arn", "account %q must be 12 digits", a.account)
		return nil
	}
	var out []*catalog.ResourceType
	for _, rt := range svc.ResourceTypes {
		if rt.Matches(arn) {
			out = append(out, rt)
		}
	}
	if len(out) == 0 {
		r.errorf("arn", "fits no resource type of %s, whose resources start with %s", svc.Prefix, resourceStarts(svc))
	}
	return out
}

// resourceStarts lists how the resource part of a service's ARN formats
// begins: "apps/…, phone/…, recommenders/…, reports, templates…".
func resourceStarts(svc *catalog.Service) string {
	var starts []string
	for _, rt := range svc.ResourceTypes {
		f := strings.SplitN(rt.ARNFormat, ":", 6)
		res := f[len(f)-1]
		if i := strings.IndexByte(res, '/'); i >= 0 {
			res = res[:i+1] + "…"
		}
		if !slices.Contains(starts, res) {
			starts = append(starts, res)
		}
	}
	return strings.Join(starts, ", ")
}
