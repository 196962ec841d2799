package auth

import "testing"

func TestDefaultRequireAuth(t *testing.T) {
	tests := []struct {
		listen string
		want   bool
	}{
		{"127.0.0.1:8181", false},
		{"127.10.20.30:8181", false},
		{"[::1]:8181", false},
		{"localhost:8181", false},
		{"LOCALHOST.:8181", false},
		{"[::ffff:127.0.0.1]:8181", false},
		{":8181", true},
		{"0.0.0.0:8181", true},
		{"[::]:8181", true},
		{"10.0.0.5:8181", true},
		{"[2001:db8::1]:8181", true},
		{"pdp.internal:8181", true},
		{"localhost.example.com:8181", true},
		{"127.0.0.1", false},
		{"::1", false},
		{"", true},
	}
	for _, tc := range tests {
		if got := DefaultRequireAuth(tc.listen); got != tc.want {
			t.Errorf("DefaultRequireAuth(%q) = %v, want %v", tc.listen, got, tc.want)
		}
	}
}
