package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKeyValidate(t *testing.T) {
	tests := []struct {
		name    string
		key     Key
		wantErr string // "" when valid
	}{
		{name: "arn", key: Key{KindUser, "arn:aws:iam::111122223333:user/alice"}},
		{name: "group", key: Key{KindGroup, "111122223333/admins"}},
		{name: "unicode", key: Key{KindResource, "arn:aws:s3:::b/é ü"}},
		{name: "max length", key: Key{KindRole, strings.Repeat("r", MaxIDLen)}},
		{name: "unknown kind", key: Key{"lambda", "f"}, wantErr: `invalid key: unknown entity kind "lambda"`},
		{name: "empty id", key: Key{KindSCP, ""}, wantErr: "invalid key: scp: empty id"},
		{name: "too long", key: Key{KindRole, strings.Repeat("r", MaxIDLen+1)}, wantErr: "more than 2048"},
		{name: "NUL", key: Key{KindUser, "a\x00b"}, wantErr: "control character"},
		{name: "tab", key: Key{KindUser, "a\tb"}, wantErr: "control character"},
		{name: "bad UTF-8", key: Key{KindUser, "a\xc3"}, wantErr: "not UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.key.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err, "Validate()")
				return
			}
			require.ErrorIs(t, err, ErrInvalidKey, "Validate()")
			require.ErrorContains(t, err, tc.wantErr, "Validate()")
		})
	}
}

func TestKeyCompare(t *testing.T) {
	keys := []Key{{"zz", "a"}, {KindResource, "a"}, {KindUser, "b"}, {"yy", "b"}, {KindAccount, "z"}, {KindUser, "a"}, {KindSCP, "a"}, {KindUser, "a/b"}}
	slices.SortFunc(keys, Key.Compare)
	want := []Key{{KindAccount, "z"}, {KindSCP, "a"}, {KindUser, "a"}, {KindUser, "a/b"}, {KindUser, "b"}, {KindResource, "a"}, {"yy", "b"}, {"zz", "a"}}
	require.Equal(t, want, keys, "sorted keys")
}

func TestChangeSetValidate(t *testing.T) {
	u := func(id string) Key { return Key{KindUser, id} }
	tests := []struct {
		name      string
		changes   []Change
		wantErr   string
		wantEmpty bool
	}{
		{name: "ok", changes: []Change{{OpPut, u("a"), []byte("{}")}, {OpDelete, u("b"), nil}}},
		{name: "empty", wantErr: "empty change set", wantEmpty: true},
		{name: "bad key", changes: []Change{{OpPut, u("a"), []byte("{}")}, {OpPut, u(""), []byte("{}")}}, wantErr: "change 1: invalid key: user: empty id"},
		{name: "no value", changes: []Change{{OpPut, u("a"), nil}}, wantErr: "put user/a without a value"},
		{name: "delete value", changes: []Change{{OpDelete, u("a"), []byte("x")}}, wantErr: "delete user/a with a value"},
		{name: "bad op", changes: []Change{{7, u("a"), []byte("x")}}, wantErr: "unknown op 7"},
		{name: "twice", changes: []Change{{OpPut, u("a"), []byte("{}")}, {OpDelete, u("a"), nil}}, wantErr: "user/a already changed by change 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ChangeSet{Changes: tc.changes}.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err, "Validate() =")
				return
			}
			require.ErrorIs(t, err, ErrInvalidChangeSet, "Validate()")
			require.ErrorContains(t, err, tc.wantErr, "Validate()")
			require.Equal(t, tc.wantEmpty, errors.Is(err, ErrEmptyChangeSet), "errors.Is(%v, ErrEmptyChangeSet)", err)
		})
	}
}

func TestOptionsWithDefaults(t *testing.T) {
	got := Options{}.WithDefaults()
	require.EqualValues(t, DefaultKeepRevisions, got.KeepRevisions, "Options{}.WithDefaults(): KeepRevisions")
	require.EqualValues(t, DefaultProgressInterval, got.ProgressInterval, "Options{}.WithDefaults(): ProgressInterval")
	set := Options{KeepRevisions: 7, ProgressInterval: time.Millisecond}
	require.Equal(t, set, set.WithDefaults(), "WithDefaults() of set options")
	require.Equal(t, (Options{}).WithDefaults(), (Options{KeepRevisions: -1, ProgressInterval: -1}).WithDefaults(), "WithDefaults() of negative options")
	require.EqualValues(t, DefaultPageSize, (Page{}).Limit(), "Page.Limit of a zero size")
	require.EqualValues(t, DefaultPageSize, (Page{Size: -3}).Limit(), "Page.Limit of a negative size")
	require.EqualValues(t, 7, (Page{Size: 7}).Limit(), "Page.Limit of a positive size")
}
