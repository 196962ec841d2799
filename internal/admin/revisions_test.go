package admin_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/servertest"
)

// TestNegativeRevisions checks that every request field naming a revision
// refuses a negative one, naming the field.
func TestNegativeRevisions(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	tests := []struct {
		field string
		call  func(ctx context.Context) error
	}{
		{"min_revision", func(ctx context.Context) error {
			_, err := e.Authz.Check(ctx, &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
				Resource: springSale, MinRevision: -1})
			return err
		}},
		{"min_revision", func(ctx context.Context) error {
			_, err := e.Authz.BatchCheck(ctx, &pdpv1.BatchCheckRequest{Principal: alice, MinRevision: -5})
			return err
		}},
		{"expect_revision", func(ctx context.Context) error {
			_, err := e.Admin.ApplyChanges(ctx, &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{servertest.PutCarol()}, ExpectRevision: -1})
			return err
		}},
		{"expect_revision", func(ctx context.Context) error {
			_, err := e.Admin.Rollback(ctx, &pdpv1.RollbackRequest{ToRevision: 1, ExpectRevision: -1})
			return err
		}},
		{"to_revision", func(ctx context.Context) error {
			_, err := e.Admin.Diff(ctx, &pdpv1.DiffRequest{FromRevision: 1, ToRevision: -1})
			return err
		}},
		{"from_revision", func(ctx context.Context) error {
			_, err := e.Admin.GetHistory(ctx, &pdpv1.GetHistoryRequest{FromRevision: -2})
			return err
		}},
		{"revision", func(ctx context.Context) error {
			_, err := e.Admin.GetEntity(ctx, &pdpv1.GetEntityRequest{Key: servertest.UserKey(alice), Revision: -1})
			return err
		}},
		{"revision", func(ctx context.Context) error {
			_, err := e.Admin.ListEntities(ctx, &pdpv1.ListEntitiesRequest{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Revision: -1})
			return err
		}},
		{"revision", func(ctx context.Context) error {
			_, err := e.Admin.Export(ctx, &pdpv1.ExportRequest{Revision: -1})
			return err
		}},
		{"expect_revision", func(ctx context.Context) error {
			_, err := e.Admin.Import(ctx, &pdpv1.ImportRequest{Bundle: "{}", ExpectRevision: -1})
			return err
		}},
		{"from_revision", func(ctx context.Context) error {
			stream, err := e.Admin.Watch(ctx, &pdpv1.WatchRequest{FromRevision: -1})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			t.Parallel()
			got := decodeError(tc.call(t.Context()))
			assert.Equal(t, codes.InvalidArgument, got.Code, "%v", got)
			assert.Equal(t, []string{tc.field}, got.Fields)
			assert.Contains(t, got.Msg, "is negative")
		})
	}
}

// TestSessionTagsOfAUser checks that session tags given for an IAM user,
// which has no session, are refused as session policies are.
func TestSessionTagsOfAUser(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	_, err := ts.client.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
		Resource: springSale, Context: usEast(), SessionTags: map[string]string{"team": "growth"}})
	checkError(t, decodeError(err), codes.InvalidArgument, []string{"session_tags"}, "INVALID_REQUEST",
		"session tags belong to assumed-role sessions, not to IAM user")
	resp, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Principal: alice, Context: usEast(),
		SessionTags: map[string]string{"team": "growth"},
		Items:       []*pdpv1.BatchCheckItem{{Action: "mobiletargeting:GetCampaign", Resource: springSale}}})
	assert.NoError(t, err)
	assert.Equal(t, "session_tags", resp.GetResults()[0].GetError().GetField())
}
