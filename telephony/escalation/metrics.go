package escalation

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the escalation, registered once per server.
type Metrics struct {
	started         prometheus.Counter
	acknowledged    prometheus.Counter
	roundsExhausted prometheus.Counter
	exhausted       prometheus.Counter
	cancelled       prometheus.Counter
	nobodyOnDuty    prometheus.Counter
	timeToAck       prometheus.Histogram
	attempts        *prometheus.CounterVec // by result
	running         prometheus.Gauge
	alerting        prometheus.Gauge
}

// NewMetrics creates the metrics and registers them on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_escalation_started_total", Help: "SOS escalations to the person on duty that were started."}),
		acknowledged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_escalation_acknowledged_total", Help: "Escalations a person on duty accepted (pressed 1)."}),
		roundsExhausted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_escalation_rounds_exhausted_total", Help: "Rounds through the whole on-duty chain with nobody accepting; each is an alert."}),
		exhausted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_escalation_exhausted_total", Help: "Escalations given up after max_rounds rounds with nobody accepting."}),
		cancelled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_escalation_cancelled_total", Help: "Escalations a supervisor cancelled."}),
		nobodyOnDuty: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_escalation_nobody_on_duty_total", Help: "Rounds that found nobody on the duty roster."}),
		timeToAck: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hotline_escalation_time_to_acknowledge_seconds", Help: "From the SOS escalation's start to a person on duty accepting it.",
			Buckets: []float64{15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200}}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_escalation_attempts_total", Help: "Calls to people on duty, by result."}, []string{"result"}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hotline_escalation_running", Help: "Escalations this controller is running now."}),
		alerting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hotline_escalation_alerting", Help: "Running escalations that went through the whole chain at least once with nobody accepting."}),
	}
	for _, r := range Results {
		m.attempts.WithLabelValues(string(r))
	}
	if reg != nil {
		reg.MustRegister(m.started, m.acknowledged, m.roundsExhausted, m.exhausted, m.cancelled, m.nobodyOnDuty,
			m.timeToAck, m.attempts, m.running, m.alerting)
	}
	return m
}

func (m *Metrics) observeAck(d time.Duration) {
	m.acknowledged.Inc()
	m.timeToAck.Observe(d.Seconds())
}
