package metrics

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuditLogRecords(t *testing.T) {
	t.Parallel()
	m := New()
	assert.NotContains(t, scrape(t, m.Handler(false)), `pdp_audit_log_records_total{result="written"}`,
		"no series while the audit log is off")
	var written, failed atomic.Int64
	require.NoError(t, m.SetAuditLog(written.Load, failed.Load))
	written.Add(7)
	failed.Add(2)
	got := scrape(t, m.Handler(false))
	assert.Equal(t, 7.0, got[`pdp_audit_log_records_total{result="written"}`])
	assert.Equal(t, 2.0, got[`pdp_audit_log_records_total{result="failed"}`])
	assert.Error(t, m.SetAuditLog(written.Load, failed.Load), "registered twice")
}
