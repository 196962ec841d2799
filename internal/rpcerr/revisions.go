package server

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// negativeRevisions refuses a request that names a negative revision in
// any of its top-level fields ending in "revision" (min_revision,
// expect_revision, from_revision, to_revision, revision): revisions count
// from 1, and 0 means the current one or none, so a negative one is a
// caller's mistake that the store would otherwise answer as if it were 0.
func negativeRevisions(m proto.Message) *requestError {
	re := &requestError{reason: "INVALID_REQUEST"}
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() == protoreflect.Int64Kind && fd.Cardinality() != protoreflect.Repeated &&
			strings.HasSuffix(string(fd.Name()), "revision") && v.Int() < 0 {
			re.violations = append(re.violations, negativeRevision(string(fd.Name()), v.Int()).violations...)
		}
		return true
	})
	if len(re.violations) == 0 {
		return nil
	}
	return re
}

func negativeRevision(field string, rev int64) *requestError {
	return badField(field, "revision %d is negative: revisions count from 1, and 0 means none or the current one", rev)
}
