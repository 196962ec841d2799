package admin

import (
	"slices"

	"google.golang.org/protobuf/types/known/timestamppb"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/changeset"
	"github.com/pdp-dev/pdp/pkg/store"
)

func toEntity(v store.Value) *pdpv1.Entity {
	return &pdpv1.Entity{Key: changeset.ProtoKey(v.Key), Document: string(v.Value), ModRevision: v.ModRevision}
}

func toRevisionInfo(in store.RevisionInfo) *pdpv1.RevisionInfo {
	out := &pdpv1.RevisionInfo{Revision: in.Revision, Author: in.Author, Message: in.Message}
	if !in.Time.IsZero() {
		out.Time = timestamppb.New(in.Time)
	}
	for _, k := range in.Keys {
		out.Keys = append(out.Keys, changeset.ProtoKey(k))
	}
	return out
}

func sortChanges(cs []store.Change) {
	slices.SortFunc(cs, func(a, b store.Change) int { return a.Key.Compare(b.Key) })
}
