package overdue

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/slobozhanske/hotline/appeals"
)

// Payload is the JSON body POSTed for an SOS breach. It carries no
// personal data: whoever receives it looks the card up by number.
type Payload struct {
	Event        string    `json:"event"` // always "appeal_overdue"
	BreachID     int64     `json:"breach_id"`
	AppealID     string    `json:"appeal_id"`
	Number       string    `json:"number"`
	Priority     string    `json:"priority"`
	Category     string    `json:"category"`
	Executor     string    `json:"executor"`
	Kind         string    `json:"kind"` // accept or resolve
	Deadline     time.Time `json:"deadline"`
	DetectedAt   time.Time `json:"detected_at"`
	Status       string    `json:"status"`
	ControlLevel string    `json:"control_level"` // I, II, III
}

// deliveriesPerCheck bounds one check's work; the rest wait for the next.
const deliveriesPerCheck = 100

// deliverDue sends the due SOS notifications one by one. Each is claimed
// alone with a lease just longer than its attempts can take, so if this
// server dies mid-way another one retries it within about a minute.
func (w *Watcher) deliverDue(ctx context.Context, now time.Time) error {
	wh := w.cfg.Webhook
	lease := time.Duration(wh.Attempts)*wh.Timeout + 30*time.Second
	for i, pause := 1, wh.Backoff; i < wh.Attempts; i, pause = i+1, pause*2 {
		lease += pause
	}
	for range deliveriesPerCheck {
		due, err := w.cfg.Store.ClaimDeliveries(ctx, now, lease, 1)
		if err != nil {
			return fmt.Errorf("claim SOS notifications: %w", err)
		}
		if len(due) == 0 {
			return nil
		}
		if err := w.deliverOne(ctx, now, due[0]); err != nil {
			return err
		}
	}
	return nil
}

func (w *Watcher) deliverOne(ctx context.Context, now time.Time, b appeals.Breach) error {
	if err := w.deliver(ctx, b); err != nil {
		next := now.Add(retryAfter(w.cfg.Webhook, b.Attempts))
		w.metrics.delivery("failed")
		w.log.Error("SOS overdue notification not delivered; will retry", "number", b.Number,
			"breach_id", b.ID, "attempt_rounds", b.Attempts+1, "next_attempt", next, "err", err)
		if merr := w.cfg.Store.MarkDeliveryFailed(ctx, b.ID, next, err.Error()); merr != nil {
			return fmt.Errorf("record failed SOS notification: %w", merr)
		}
		return nil
	}
	w.metrics.delivery("delivered")
	w.log.Info("SOS overdue notification delivered", "number", b.Number, "breach_id", b.ID)
	if err := w.cfg.Store.MarkDelivered(ctx, b.ID, w.cfg.Now()); err != nil {
		return fmt.Errorf("record delivered SOS notification: %w", err)
	}
	return nil
}

// retryAfter doubles the pause with each failed round, up to RetryMax.
func retryAfter(wh Webhook, rounds int) time.Duration {
	d := wh.RetryAfter
	for i := 0; i < rounds && d < wh.RetryMax; i++ {
		d *= 2
	}
	return min(d, wh.RetryMax)
}

// deliver POSTs the payload, retrying a few times with backoff.
func (w *Watcher) deliver(ctx context.Context, b appeals.Breach) error {
	body, err := json.Marshal(Payload{Event: "appeal_overdue", BreachID: b.ID, AppealID: b.AppealID, Number: b.Number,
		Priority: string(b.Priority), Category: b.Category, Executor: b.Executor, Kind: string(b.Kind),
		Deadline: b.Deadline.UTC(), DetectedAt: b.DetectedAt.UTC(), Status: string(b.Status),
		ControlLevel: b.ControlLevel.String()})
	if err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	wait := w.cfg.Webhook.Backoff
	for attempt := 1; ; attempt++ {
		err = w.post(ctx, b.ID, body)
		if err == nil || attempt >= w.cfg.Webhook.Attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (then %w)", err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (w *Watcher) post(ctx context.Context, breachID int64, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Webhook.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	// Retries carry the same key, so a receiver can drop duplicates.
	req.Header.Set("Idempotency-Key", "appeal-breach-"+strconv.FormatInt(breachID, 10))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
