package ari

import "github.com/prometheus/client_golang/prometheus"

// Metrics of call control, registered once per server.
type Metrics struct {
	callsOffered  prometheus.Counter
	callsAnswered prometheus.Counter
	callsEnded    *prometheus.CounterVec // by outcome
	callsLive     prometheus.Gauge
	menuKeys      *prometheus.CounterVec // by node
	ariConnected  prometheus.Gauge
	ariReconnects prometheus.Counter
	eventLatency  prometheus.Histogram
	commandErrors *prometheus.CounterVec // by command
	strandedEnded prometheus.Counter
}

// NewMetrics creates and registers the call-control metrics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		callsOffered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_calls_offered_total", Help: "Calls that entered the Stasis application."}),
		callsAnswered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_calls_answered_total", Help: "Calls answered by the application."}),
		callsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_calls_ended_total", Help: "Calls that ended, by outcome."}, []string{"outcome"}),
		callsLive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hotline_calls_live", Help: "Calls in progress in the application."}),
		menuKeys: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_menu_keys_total", Help: "Keys pressed in the voice menu, by node."}, []string{"node"}),
		ariConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hotline_ari_connected", Help: "1 while the ARI WebSocket is connected."}),
		ariReconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_ari_reconnects_total", Help: "Times the ARI WebSocket dropped and was reconnected."}),
		eventLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hotline_ari_event_handling_seconds",
			Help:    "Time from an ARI event's arrival to its delivery to the call that owns it.",
			Buckets: prometheus.ExponentialBuckets(0.00001, 4, 10)}),
		commandErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_ari_command_errors_total", Help: "ARI REST commands that failed, by command."}, []string{"command"}),
		strandedEnded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_calls_readopt_ended_total", Help: "Channels found in the app after a reconnect with no owner, which were ended."}),
	}
	if reg != nil {
		reg.MustRegister(m.callsOffered, m.callsAnswered, m.callsEnded, m.callsLive, m.menuKeys,
			m.ariConnected, m.ariReconnects, m.eventLatency, m.commandErrors, m.strandedEnded)
	}
	return m
}
