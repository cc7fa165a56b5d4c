package appeals

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Deps are what the Service works with.
type Deps struct {
	Repo     Repository
	Calendar WorkingCalendar // working hours, for current appeals' deadlines
	// Now is the clock (default time.Now); rules that depend on time read it.
	Now func() time.Time
	// Registerer gets the hotline_appeals_* metrics; nil: no metrics.
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// Service applies the appeal rules and stores cards through a Repository.
// It is safe for concurrent use.
type Service struct {
	r       *rules
	terms   Terms
	repo    Repository
	clock   func() time.Time
	metrics *metrics
	log     *slog.Logger
}

// NewService checks the configuration and builds the service.
func NewService(cfg Config, d Deps) (*Service, error) {
	r, err := compile(cfg)
	if err != nil {
		return nil, fmt.Errorf("appeals config: %w", err)
	}
	if d.Repo == nil || d.Calendar == nil {
		return nil, errors.New("appeals: a repository and a working calendar are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Service{r: r, terms: Terms{cfg: r.cfg, cal: d.Calendar}, repo: d.Repo, clock: d.Now, log: d.Log}
	if s.metrics, err = newMetrics(d.Registerer, d.Repo, s.now, d.Log); err != nil {
		return nil, err
	}
	return s, nil
}

// now is the injected clock, at the database's precision (microseconds) and
// without a monotonic reading, so a stored time compares equal to itself.
func (s *Service) now() time.Time { return s.clock().Round(0).Truncate(time.Microsecond) }

// Classifier returns the categories and executors.
func (s *Service) Classifier() *Classifier { return s.r.classifier }

// Location is the community's time zone.
func (s *Service) Location() *time.Location { return s.r.loc }

// Terms computes deadlines with this service's configuration and calendar.
func (s *Service) Terms() Terms { return s.terms }

// Numbering formats and parses numbers with this service's configuration.
func (s *Service) Numbering() *Numbering { return s.r.numbers }

// NeedsDutyCall reports whether a card must also be phoned to the on-duty
// person when it arrives outside working hours (17:00–07:00, art. 4.9.1): an
// SOS appeal in a housing category. The caller decides whether it is after
// hours (the schedule is theirs).
func (s *Service) NeedsDutyCall(c Card) bool {
	cat, ok := s.r.classifier.Category(c.Category)
	return ok && cat.Housing && c.Priority == PrioritySOS
}

// decorate fills what is derived from the configuration.
func (s *Service) decorate(c Card) Card {
	c.spokenDigits = s.r.numbers.Spoken(c.Number, c.Seq)
	return c
}

// visible returns the card if the actor may see it, else ErrNotFound.
func visible(a Actor, c Card) (Card, error) {
	if !a.sees(c) {
		return Card{}, ErrNotFound
	}
	return c, nil
}

func requireVersion(v int) error {
	if v < 1 {
		return invalid("version", "is required: send the version you read, so a concurrent change is not overwritten")
	}
	return nil
}

func requireReason(reason string, why string) (string, error) {
	r, err := cleanText("reason", reason, maxReason, true)
	if err != nil {
		return "", err
	}
	if r == "" {
		return "", invalid("reason", "is required: %s", why)
	}
	return r, nil
}
