package logbuf

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitWakesOnWrite(t *testing.T) {
	t.Parallel()
	var b Buffer
	go func() {
		for i := range 5 {
			fmt.Fprintf(&b, "line %d\n", i)
		}
	}()
	m := b.Wait(t.Context(), regexp.MustCompile(`line (4)`))
	require.NotNil(t, m, "log: %s", b.String())
	assert.Equal(t, "4", m[1])
}

func TestWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	var b Buffer
	b.Write([]byte("something else\n"))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	assert.Nil(t, b.Wait(ctx, regexp.MustCompile(`never`)))
}
