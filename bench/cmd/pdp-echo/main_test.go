package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		listen string
		ok     bool
	}{
		{"127.0.0.1:0", true},
		{"127.0.0.2:8181", true},
		{"[::1]:8181", true},
		{"localhost:8181", true},
		{":8181", false}, // every interface
		{"0.0.0.0:8181", false},
		{"10.1.2.3:8181", false},
		{"example.com:8181", false},
		{"127.0.0.1", false}, // no port
	} {
		err := checkLoopback(tc.listen)
		if tc.ok {
			assert.NoError(t, err, "checkLoopback(%q)", tc.listen)
		} else {
			assert.Error(t, err, "checkLoopback(%q)", tc.listen)
		}
	}
}
