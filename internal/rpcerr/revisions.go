package rpcerr

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// NegativeRevisions refuses a request that names a negative revision in
// any of its top-level fields ending in "revision" (min_revision,
// expect_revision, from_revision, to_revision, revision): revisions count
// from 1, and 0 means the current one or none, so a negative one is a
// caller's mistake that the store would otherwise answer as if it were 0.
func NegativeRevisions(m proto.Message) *RequestError {
	re := &RequestError{Reason: "INVALID_REQUEST"}
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() == protoreflect.Int64Kind && fd.Cardinality() != protoreflect.Repeated &&
			strings.HasSuffix(string(fd.Name()), "revision") && v.Int() < 0 {
			re.Violations = append(re.Violations, NegativeRevision(string(fd.Name()), v.Int()).Violations...)
		}
		return true
	})
	if len(re.Violations) == 0 {
		return nil
	}
	return re
}

// NegativeRevision refuses a negative revision in one field.
func NegativeRevision(field string, rev int64) *RequestError {
	return BadField(field, "revision %d is negative: revisions count from 1, and 0 means none or the current one", rev)
}
