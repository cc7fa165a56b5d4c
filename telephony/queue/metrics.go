package queue

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the hotline_queue_* series. Counters and histograms move as
// things happen, under the dispatcher's lock; the gauges are read from the
// dispatcher at scrape time.
type metrics struct {
	cJoined     *prometheus.CounterVec   // queue
	cTurnedAway *prometheus.CounterVec   // queue, reason
	cAnswered   *prometheus.CounterVec   // queue
	cAnsweredSL *prometheus.CounterVec   // queue
	cAbandoned  *prometheus.CounterVec   // queue
	cLeft       *prometheus.CounterVec   // queue, outcome
	cOffers     *prometheus.CounterVec   // queue
	cOfferEnds  *prometheus.CounterVec   // queue, result
	cAutoPauses *prometheus.CounterVec   // operator
	cConnFailed *prometheus.CounterVec   // queue
	hWait       *prometheus.HistogramVec // queue, outcome
	hHandle     *prometheus.HistogramVec // queue
}

var (
	waitBuckets   = []float64{1, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800}
	handleBuckets = []float64{15, 30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 3600}
)

func newMetrics(reg prometheus.Registerer, d *Dispatcher) (*metrics, error) {
	m := &metrics{
		cJoined: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_calls_offered_total",
			Help: "Calls that entered a queue (the call centre's \"offered\")."}, []string{"queue"}),
		cTurnedAway: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_calls_turned_away_total",
			Help: "Calls refused at the door: queue full, or no operator logged in."}, []string{"queue", "reason"}),
		cAnswered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_calls_answered_total",
			Help: "Calls answered by an operator."}, []string{"queue"}),
		cAnsweredSL: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_calls_answered_within_service_level_total",
			Help: "Calls answered within the queue's service-level threshold."}, []string{"queue"}),
		cAbandoned: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_calls_abandoned_total",
			Help: "Callers who hung up while waiting."}, []string{"queue"}),
		cLeft: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_calls_unanswered_total",
			Help: "Callers who left a queue unanswered, by outcome (abandoned, overflow, closed, message, transferred, error)."}, []string{"queue", "outcome"}),
		cOffers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_offers_total",
			Help: "Operator phones rung for a caller."}, []string{"queue"}),
		cOfferEnds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_offer_results_total",
			Help: "How offers ended: answered, no_answer, busy, rejected, unavailable, failed, offline, caller_left, answered_elsewhere, withdrawn."}, []string{"queue", "result"}),
		cAutoPauses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_operator_auto_pauses_total",
			Help: "Operators paused automatically after offers rang out in a row."}, []string{"operator"}),
		cConnFailed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_connect_failures_total",
			Help: "Answers lost before the conversation began (the operator's leg was gone before the bridge); the caller waited again. They are included in calls_answered_total."}, []string{"queue"}),
		hWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hotline_queue_wait_seconds",
			Help: "Time callers waited in a queue, by how they left it (answered: the speed of answer).", Buckets: waitBuckets}, []string{"queue", "outcome"}),
		hHandle: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hotline_queue_handle_seconds",
			Help: "Handle time: from the operator's answer to the end of wrap-up.", Buckets: handleBuckets}, []string{"queue"}),
	}
	if reg == nil {
		return m, nil
	}
	g := &gaugeCollector{d: d,
		waiting: prometheus.NewDesc("hotline_queue_callers_waiting", "Callers waiting in a queue now.", []string{"queue"}, nil),
		longest: prometheus.NewDesc("hotline_queue_longest_wait_seconds", "How long the caller waiting longest has waited.", []string{"queue"}, nil),
		ops:     prometheus.NewDesc("hotline_queue_operators", "Operators of a queue by state.", []string{"queue", "state"}, nil),
		sl:      prometheus.NewDesc("hotline_queue_service_level_ratio", "Answered within the threshold / (answered + abandoned), since start.", []string{"queue"}, nil),
		asa:     prometheus.NewDesc("hotline_queue_average_speed_of_answer_seconds", "Average wait of answered callers, since start.", []string{"queue"}, nil),
		aht:     prometheus.NewDesc("hotline_queue_average_handle_seconds", "Recent average handle time (the wait estimates use it).", []string{"queue"}, nil),
	}
	for _, c := range []prometheus.Collector{m.cJoined, m.cTurnedAway, m.cAnswered, m.cAnsweredSL, m.cAbandoned, m.cLeft,
		m.cOffers, m.cOfferEnds, m.cAutoPauses, m.cConnFailed, m.hWait, m.hHandle, g} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) joined(q string) { m.cJoined.WithLabelValues(q).Inc() }

func (m *metrics) turnedAway(q, reason string) { m.cTurnedAway.WithLabelValues(q, reason).Inc() }

func (m *metrics) offerMade(q string) { m.cOffers.WithLabelValues(q).Inc() }

func (m *metrics) offerEnded(q, result string) { m.cOfferEnds.WithLabelValues(q, result).Inc() }

func (m *metrics) connectFailed(q string) { m.cConnFailed.WithLabelValues(q).Inc() }

func (m *metrics) autoPaused(op string) { m.cAutoPauses.WithLabelValues(op).Inc() }

func (m *metrics) answered(q string, waited time.Duration, withinSL bool) {
	m.cAnswered.WithLabelValues(q).Inc()
	if withinSL {
		m.cAnsweredSL.WithLabelValues(q).Inc()
	}
	m.hWait.WithLabelValues(q, string(OutcomeAnswered)).Observe(waited.Seconds())
}

func (m *metrics) left(q string, o Outcome, waited time.Duration) {
	if o == OutcomeAbandoned || o == OutcomeError {
		m.cAbandoned.WithLabelValues(q).Inc()
	}
	m.cLeft.WithLabelValues(q, string(o)).Inc()
	m.hWait.WithLabelValues(q, string(o)).Observe(waited.Seconds())
}

func (m *metrics) handled(q string, t time.Duration) {
	m.hHandle.WithLabelValues(q).Observe(t.Seconds())
}

// gaugeCollector reads the live gauges from the dispatcher when scraped.
type gaugeCollector struct {
	d                                   *Dispatcher
	waiting, longest, ops, sl, asa, aht *prometheus.Desc
}

func (g *gaugeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{g.waiting, g.longest, g.ops, g.sl, g.asa, g.aht} {
		ch <- d
	}
}

func (g *gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range g.d.Snapshot().Queues {
		name := q.Config.Name
		ch <- prometheus.MustNewConstMetric(g.waiting, prometheus.GaugeValue, float64(len(q.Waiting)), name)
		ch <- prometheus.MustNewConstMetric(g.longest, prometheus.GaugeValue, q.LongestWait.Seconds(), name)
		for _, st := range States {
			ch <- prometheus.MustNewConstMetric(g.ops, prometheus.GaugeValue, float64(q.Operators[st]), name, string(st))
		}
		ch <- prometheus.MustNewConstMetric(g.sl, prometheus.GaugeValue, q.ServiceLevel, name)
		ch <- prometheus.MustNewConstMetric(g.asa, prometheus.GaugeValue, q.AvgSpeedOfAnswer.Seconds(), name)
		ch <- prometheus.MustNewConstMetric(g.aht, prometheus.GaugeValue, q.AvgHandleTime.Seconds(), name)
	}
}
