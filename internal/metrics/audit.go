package metrics

import "github.com/prometheus/client_golang/prometheus"

// SetAuditLog registers pdp_audit_log_records_total, the admin audit log's
// records by result: "written", read from written, and "failed", read
// from failed (the Logger's Written and Failed methods). Call it once,
// when the audit log is on; without it the series do not exist.
func (m *Metrics) SetAuditLog(written, failed func() int64) error {
	for result, f := range map[string]func() int64{"written": written, "failed": failed} {
		c := prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "pdp_audit_log_records_total",
			Help:        "Records of admin API calls the audit log wrote, or failed to write, by result.",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 { return float64(f()) })
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
