package appeals

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

// Config is everything the rules depend on, as plain values (cmd/hotline
// translates the YAML schema into it). Zero fields take the defaults of
// DefaultConfig, except the classifier, which must be given.
type Config struct {
	// TimeZone is the community's zone: the numbering year and report weeks
	// are counted in it. Default Europe/Kyiv.
	TimeZone string
	// NumberFormat is a text/template over {{.Year}} and {{.Seq}} (the
	// sequence, zero-padded to SeqDigits). Default "{{.Year}}-{{.Seq}}".
	NumberFormat string
	SeqDigits    int // default 6
	// SpokenPart is what the caller hears: "seq" (default; the sequence
	// without leading zeros, "123") or "full" (every digit of the number).
	SpokenPart string

	AcceptWithin    time.Duration // current appeals, working time; default 2h (art. 5.1)
	AcceptWithinSOS time.Duration // SOS, around the clock; default 30m (art. 5.1)
	// MaxResolution caps the resolution term, counted in calendar time from
	// registration; default 45 days (art. 6.3.3). Only an extension with a
	// reason goes beyond it, and only for long-term appeals.
	MaxResolution time.Duration
	// ResolveAtLeast gives a kind of appeal a minimum calendar term whatever
	// its category says, e.g. long-term appeals the whole 45 days. Optional.
	ResolveAtLeast map[Priority]time.Duration

	// HoldOnRegister keeps new cards at "registered" until an operator sends
	// them; by default a card with an executor is sent at once ("in real
	// time", art. 4.9).
	HoldOnRegister bool
	// DefaultCategory is used when a card comes without one (a message left
	// in the voice menu); DefaultSOSCategory for an SOS without one (empty:
	// DefaultCategory). Default: "other" if there is one, else the first.
	DefaultCategory    string
	DefaultSOSCategory string
	// RequiredFields must be filled on a named (not anonymous) card that a
	// person registers (art. 4.4.1); "contact" means a phone or an e-mail.
	// Cards the voice menu opens need none: an operator completes them.
	// Default: surname, first_name, address, contact.
	RequiredFields []string

	Categories []Category
	Executors  []Executor
}

// DefaultConfig returns the regulations' defaults without a classifier.
func DefaultConfig() Config {
	return Config{
		TimeZone:        "Europe/Kyiv",
		NumberFormat:    "{{.Year}}-{{.Seq}}",
		SeqDigits:       6,
		SpokenPart:      SpokenSeq,
		AcceptWithin:    2 * time.Hour,
		AcceptWithinSOS: 30 * time.Minute,
		MaxResolution:   45 * 24 * time.Hour,
		RequiredFields:  []string{"surname", "first_name", "address", "contact"},
	}
}

// Spoken parts of the number.
const (
	SpokenSeq  = "seq"
	SpokenFull = "full"
)

// requirable are the names RequiredFields may use.
var requirable = []string{"surname", "first_name", "patronymic", "address", "contact", "contact_phone", "email", "location"}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.TimeZone == "" {
		c.TimeZone = d.TimeZone
	}
	if c.NumberFormat == "" {
		c.NumberFormat = d.NumberFormat
	}
	if c.SeqDigits == 0 {
		c.SeqDigits = d.SeqDigits
	}
	if c.SpokenPart == "" {
		c.SpokenPart = d.SpokenPart
	}
	if c.AcceptWithin == 0 {
		c.AcceptWithin = d.AcceptWithin
	}
	if c.AcceptWithinSOS == 0 {
		c.AcceptWithinSOS = d.AcceptWithinSOS
	}
	if c.MaxResolution == 0 {
		c.MaxResolution = d.MaxResolution
	}
	if c.RequiredFields == nil {
		c.RequiredFields = d.RequiredFields
	}
	if c.DefaultCategory == "" && len(c.Categories) > 0 {
		c.DefaultCategory = c.Categories[0].Code
		if slices.ContainsFunc(c.Categories, func(cat Category) bool { return cat.Code == "other" }) {
			c.DefaultCategory = "other"
		}
	}
	if c.DefaultSOSCategory == "" {
		c.DefaultSOSCategory = c.DefaultCategory
	}
	return c
}

// rules is a checked Config with what is derived from it.
type rules struct {
	cfg        Config
	loc        *time.Location
	numbers    *Numbering
	classifier *Classifier
}

func compile(c Config) (*rules, error) {
	c = c.withDefaults()
	if err := check(c); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, err
	}
	numbers, err := NewNumbering(c.NumberFormat, c.SeqDigits, c.SpokenPart)
	if err != nil {
		return nil, err
	}
	cl, err := newClassifier(c.Categories, c.Executors)
	if err != nil {
		return nil, err
	}
	return &rules{cfg: c, loc: loc, numbers: numbers, classifier: cl}, nil
}

// check finds every problem of a Config with its defaults in, each named by
// its field ("categories[0].code"), joined.
func check(c Config) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		add(fielderr.Value("timezone", c.TimeZone, "unknown time zone: %v", err))
	}
	_, err := NewNumbering(c.NumberFormat, c.SeqDigits, c.SpokenPart)
	add(err)
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"accept_within", c.AcceptWithin}, {"accept_within_sos", c.AcceptWithinSOS}, {"max_resolution", c.MaxResolution}} {
		if d.d < 0 {
			add(fielderr.Value(d.name, d.d.String(), "must be a positive duration"))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(c.ResolveAtLeast)) {
		if d := c.ResolveAtLeast[p]; !p.Valid() || d < 0 || d > c.MaxResolution {
			add(fielderr.Value("resolve_at_least."+string(p), d.String(), "must be a known priority and at most max_resolution"))
		}
	}
	for i, f := range c.RequiredFields {
		if !slices.Contains(requirable, f) {
			add(fielderr.Value(fmt.Sprintf("required_fields[%d]", i), f, "unknown field (one of %v)", requirable))
		}
	}
	cl, err := newClassifier(c.Categories, c.Executors)
	add(err)
	if cl != nil {
		for _, d := range []struct{ name, code string }{{"default_category", c.DefaultCategory}, {"default_sos_category", c.DefaultSOSCategory}} {
			if !cl.has(d.code) {
				add(fielderr.Value(d.name, d.code, "no such category"))
			}
		}
	}
	for i, cat := range c.Categories {
		if cat.ResolveWithin > c.MaxResolution {
			add(fielderr.Value(fmt.Sprintf("categories[%d].resolve_within", i), cat.ResolveWithin.String(),
				"exceeds max_resolution %v", c.MaxResolution))
		}
	}
	return fielderr.Join(errs...)
}

// Validate finds every problem of the configuration without building a
// Service (`hotline check-config` runs it through the config's check):
// each is a fielderr.Error named by its field, e.g. "categories[0].code".
func (c Config) Validate() error {
	return check(c.withDefaults())
}
