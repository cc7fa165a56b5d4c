package appeals

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's Prometheus metrics; a nil *metrics records nothing.
type metrics struct {
	created       *prometheus.CounterVec
	timeToAccept  *prometheus.HistogramVec
	timeToResolve *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, repo Repository, now func() time.Time, log *slog.Logger) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		created: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_appeals_created_total",
			Help: "Appeal cards registered, by category, priority and channel.",
		}, []string{"category", "priority", "channel"}),
		timeToAccept: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hotline_appeals_time_to_accept_seconds",
			Help: "From sending a card to its executor until the executor accepted it.",
			// 5 min … 3 days: SOS is due in 30 minutes, current cards in 2 working hours.
			Buckets: []float64{300, 900, 1800, 3600, 7200, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600},
		}, []string{"priority"}),
		timeToResolve: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hotline_appeals_time_to_resolve_seconds",
			Help: "From registering a card until the executor reported it resolved.",
			// 1 hour … 60 days around the 45-day cap.
			Buckets: []float64{3600, 4 * 3600, 24 * 3600, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 45 * 86400, 60 * 86400},
		}, []string{"priority"}),
	}
	open := &openCollector{repo: repo, now: now, log: log,
		byStatus: prometheus.NewDesc("hotline_appeals_open",
			"Cards not yet closed, by status (queried from the database on scrape).", []string{"status"}, nil),
		overdue: prometheus.NewDesc("hotline_appeals_open_overdue",
			"Open cards past a deadline now, by priority (queried on scrape).", []string{"priority"}, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_appeals_open_query_errors_total",
			Help: "Scrapes that could not count open cards (database unavailable or slow).",
		}),
	}
	for _, c := range []prometheus.Collector{m.created, m.timeToAccept, m.timeToResolve, open, open.errors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register appeals metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) cardCreated(c Card) {
	if m != nil {
		m.created.WithLabelValues(c.Category, string(c.Priority), string(c.Channel)).Inc()
	}
}

func (m *metrics) transitioned(before, after Card, now time.Time) {
	if m == nil {
		return
	}
	switch {
	case after.Status == StatusAccepted && before.SentAt != nil:
		m.timeToAccept.WithLabelValues(string(after.Priority)).Observe(now.Sub(*before.SentAt).Seconds())
	case after.Status == StatusResolved:
		m.timeToResolve.WithLabelValues(string(after.Priority)).Observe(now.Sub(after.CreatedAt).Seconds())
	}
}

// openCollector counts open cards on each scrape with a short timeout: the
// database is the truth, and a gauge kept in memory would drift between
// servers and restarts. A failed query leaves the series out of that
// scrape (and counts the error) rather than failing the whole /metrics.
type openCollector struct {
	repo     Repository
	now      func() time.Time
	log      *slog.Logger
	byStatus *prometheus.Desc
	overdue  *prometheus.Desc
	errors   prometheus.Counter
}

func (o *openCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- o.byStatus
	ch <- o.overdue
}

func (o *openCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := o.repo.CountOpen(ctx, o.now())
	if err != nil {
		o.errors.Inc()
		o.log.Warn("count open appeals for metrics", "err", err)
		return
	}
	for _, s := range Statuses {
		if s != StatusClosed {
			ch <- prometheus.MustNewConstMetric(o.byStatus, prometheus.GaugeValue, float64(counts.ByStatus[s]), string(s))
		}
	}
	for _, p := range Priorities {
		ch <- prometheus.MustNewConstMetric(o.overdue, prometheus.GaugeValue, float64(counts.OverdueByPriority[p]), string(p))
	}
}
