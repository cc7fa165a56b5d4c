// Package overdue watches appeal deadlines (art. 6.1–6.2): every interval it
// records the cards that missed their acceptance or resolution deadline —
// each breach once, stored, so a restart never reports it again — reports
// SOS breaches at once (an error log, a metric and a webhook POST retried
// until acknowledged) and leaves the others to the weekly summary
// (appeals.Service.OverdueReport).
package overdue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slobozhanske/hotline/appeals"
)

// Store records breaches and their notifications; pgstore.Store implements it.
type Store interface {
	// RecordBreaches records every breach at now not recorded before, lets
	// apply react on the card in the same transaction, and returns them.
	RecordBreaches(ctx context.Context, now time.Time, immediate appeals.Delivery,
		apply func(*appeals.Card, appeals.Breach) []appeals.HistoryEntry) ([]appeals.Breach, error)
	// ClaimDeliveries takes pending SOS notifications due at now for lease.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]appeals.Breach, error)
	MarkDelivered(ctx context.Context, id int64, at time.Time) error
	MarkDeliveryFailed(ctx context.Context, id int64, next time.Time, reason string) error
}

// Config configures the watcher. Zero durations take the defaults shown.
type Config struct {
	Store Store
	Every time.Duration    // how often to look (default 1m; appeals.overdue_check_every)
	Now   func() time.Time // the clock deadlines are compared with (default time.Now)
	// Webhook receives SOS breaches; an empty URL only logs and counts them.
	Webhook    Webhook
	Client     *http.Client // default: a client with Webhook.Timeout
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// Webhook is where SOS breaches are POSTed and how hard to try.
type Webhook struct {
	URL      string
	Timeout  time.Duration // one POST (default 10s)
	Attempts int           // POSTs in a row before putting it off (default 3)
	Backoff  time.Duration // between those, doubling (default 1s)
	// RetryAfter is the first pause after a round of failed attempts,
	// doubling each round up to RetryMax (defaults 1m and 30m). Delivery is
	// retried until it succeeds: an SOS breach is never dropped.
	RetryAfter time.Duration
	RetryMax   time.Duration
}

// Watcher is the overdue job.
type Watcher struct {
	cfg     Config
	client  *http.Client
	log     *slog.Logger
	metrics *metrics
}

// New checks the configuration and builds the watcher.
func New(cfg Config) (*Watcher, error) {
	if cfg.Store == nil {
		return nil, errors.New("overdue watcher: a store is required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Every, time.Minute)
	def(&cfg.Webhook.Timeout, 10*time.Second)
	def(&cfg.Webhook.Backoff, time.Second)
	def(&cfg.Webhook.RetryAfter, time.Minute)
	def(&cfg.Webhook.RetryMax, 30*time.Minute)
	if cfg.Webhook.Attempts <= 0 {
		cfg.Webhook.Attempts = 3
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: cfg.Webhook.Timeout}
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Watcher{cfg: cfg, client: client, log: cfg.Log, metrics: m}, nil
}

// Run checks at once and then every interval until ctx is cancelled. A
// failed check (the database away) is logged and tried again next time.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Every)
	defer t.Stop()
	for {
		if err := w.CheckOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("overdue check failed; will retry", "err", err, "next_in", w.cfg.Every)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckOnce records new breaches and delivers due SOS notifications.
func (w *Watcher) CheckOnce(ctx context.Context) error {
	now := w.cfg.Now().Round(0).Truncate(time.Microsecond)
	immediate := appeals.DeliveryPending
	if w.cfg.Webhook.URL == "" {
		immediate = appeals.DeliveryNoWebhook
	}
	breaches, err := w.cfg.Store.RecordBreaches(ctx, now, immediate, func(c *appeals.Card, b appeals.Breach) []appeals.HistoryEntry {
		return appeals.ApplyBreach(c, b, now)
	})
	if err != nil {
		return fmt.Errorf("record overdue appeals: %w", err)
	}
	for _, b := range breaches {
		w.metrics.breach(b)
		attrs := []any{"number", b.Number, "id", b.AppealID, "kind", b.Kind, "deadline", b.Deadline,
			"executor", b.Executor, "category", b.Category, "control_level", b.ControlLevel.String()}
		if b.Immediate() {
			w.log.Error("SOS appeal overdue", attrs...)
		} else {
			w.log.Warn("appeal overdue (weekly report)", attrs...)
		}
	}
	if w.cfg.Webhook.URL == "" {
		return nil
	}
	return w.deliverDue(ctx, now)
}
