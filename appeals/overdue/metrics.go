package overdue

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/appeals"
)

type metrics struct {
	breaches   *prometheus.CounterVec
	deliveries *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_appeals_overdue_total",
			Help: "Missed deadlines recorded (each once), by priority and kind (accept, resolve).",
		}, []string{"priority", "kind"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_appeals_sos_webhook_deliveries_total",
			Help: "SOS overdue notifications POSTed to the webhook, by result (delivered, failed).",
		}, []string{"result"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.breaches, m.deliveries} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register overdue metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m *metrics) breach(b appeals.Breach) {
	m.breaches.WithLabelValues(string(b.Priority), string(b.Kind)).Inc()
}

func (m *metrics) delivery(result string) { m.deliveries.WithLabelValues(result).Inc() }
