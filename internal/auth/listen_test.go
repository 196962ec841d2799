package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		listen string
		want   bool
	}{
		{"127.0.0.1:8181", true},
		{"127.10.20.30:8181", true},
		{"[::1]:8181", true},
		{"localhost:8181", true},
		{"LOCALHOST.:8181", true},
		{"[::ffff:127.0.0.1]:8181", true},
		{":8181", false},
		{"0.0.0.0:8181", false},
		{"[::]:8181", false},
		{"10.0.0.5:8181", false},
		{"[2001:db8::1]:8181", false},
		{"pdp.internal:8181", false},
		{"localhost.example.com:8181", false},
		{"127.0.0.1", true},
		{"::1", true},
		{"", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, IsLoopback(tc.listen), "IsLoopback(%q)", tc.listen)
	}
}

func TestDefaultRequireAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		listen      string
		credentials bool
		want        bool
	}{
		{name: "loopback without credentials", listen: "127.0.0.1:8181", want: false},
		{name: "loopback with credentials", listen: "127.0.0.1:8181", credentials: true, want: true},
		{name: "localhost with credentials", listen: "localhost:8181", credentials: true, want: true},
		{name: "every interface without credentials", listen: ":8181", want: true},
		{name: "remote with credentials", listen: "10.0.0.5:8181", credentials: true, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, DefaultRequireAuth(tc.listen, tc.credentials))
		})
	}
}
