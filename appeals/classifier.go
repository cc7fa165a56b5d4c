package appeals

import (
	"fmt"
	"regexp"
	"time"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

// TimeBasis says how a term is counted.
type TimeBasis string

const (
	TimeWorking  TimeBasis = "working"  // only the executors' working hours count
	TimeCalendar TimeBasis = "calendar" // around the clock
)

// Category is one entry of the classifier of terms (Додаток 1 to the
// regulations): who carries it out and how fast.
type Category struct {
	Code            string
	Title           string // Ukrainian, as shown to operators
	Prompt          string // voice prompt id that says the title
	DefaultPriority Priority
	Executor        string        // default executor code
	AcceptWithin    time.Duration // 0: Config.AcceptWithin (current appeals)
	ResolveWithin   time.Duration // 0: Config.MaxResolution
	TimeBasis       TimeBasis     // basis of ResolveWithin
	// Housing marks housing-stock matters: from 17:00 to 07:00 their SOS
	// appeals are also phoned to the on-duty person (art. 4.9.1).
	Housing bool
}

// Executor is an organisation that carries appeals out.
type Executor struct {
	Code  string
	Title string
}

// Classifier looks categories and executors up by code.
type Classifier struct {
	categories []Category
	executors  []Executor
	byCode     map[string]Category
	execByCode map[string]Executor
}

func newClassifier(cats []Category, execs []Executor) (*Classifier, error) {
	c := &Classifier{categories: cats, executors: execs,
		byCode: map[string]Category{}, execByCode: map[string]Executor{}}
	var errs []error
	bad := func(field, value, format string, args ...any) {
		errs = append(errs, fielderr.Value(field, value, format, args...))
	}
	for i, e := range execs {
		path := fmt.Sprintf("executors[%d]", i)
		switch _, dup := c.execByCode[e.Code]; {
		case e.Code == "":
			bad(path+".code", "", "must be set")
		case !codePattern.MatchString(e.Code):
			bad(path+".code", e.Code, "must be lower-case letters, digits, _ and -")
		case dup:
			bad(path+".code", e.Code, "duplicate executor code")
		}
		if e.Title == "" {
			bad(path+".title", "", "must be set")
		}
		c.execByCode[e.Code] = e
	}
	if len(cats) == 0 {
		bad("categories", "", "must define at least one category")
	}
	for i, cat := range cats {
		path := fmt.Sprintf("categories[%d]", i)
		switch {
		case cat.Code == "":
			bad(path+".code", "", "must be set")
		case !codePattern.MatchString(cat.Code):
			bad(path+".code", cat.Code, "must be lower-case letters, digits, _ and -")
		case c.has(cat.Code):
			bad(path+".code", cat.Code, "duplicate category code")
		}
		if cat.Title == "" {
			bad(path+".title", "", "must be set")
		}
		if !cat.DefaultPriority.Valid() {
			bad(path+".default_priority", string(cat.DefaultPriority), "unknown priority (one of sos, ordinary, medium, long)")
		}
		if cat.TimeBasis != TimeWorking && cat.TimeBasis != TimeCalendar {
			bad(path+".time_basis", string(cat.TimeBasis), "must be working or calendar")
		}
		if cat.Executor != "" && !c.HasExecutor(cat.Executor) {
			bad(path+".executor", cat.Executor, "no such executor in executors")
		}
		if cat.AcceptWithin < 0 {
			bad(path+".accept_within", cat.AcceptWithin.String(), "must not be negative")
		}
		if cat.ResolveWithin < 0 {
			bad(path+".resolve_within", cat.ResolveWithin.String(), "must not be negative")
		}
		if _, dup := c.byCode[cat.Code]; !dup {
			c.byCode[cat.Code] = cat
		}
	}
	if err := fielderr.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// codePattern is the form of category and executor codes: they appear in
// URLs, reports and the configuration file.
var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (c *Classifier) has(code string) bool { _, ok := c.byCode[code]; return ok }

// Category returns the category with the code.
func (c *Classifier) Category(code string) (Category, bool) {
	cat, ok := c.byCode[code]
	return cat, ok
}

// Executor returns the executor with the code.
func (c *Classifier) Executor(code string) (Executor, bool) {
	e, ok := c.execByCode[code]
	return e, ok
}

// HasExecutor reports whether the executor code is known.
func (c *Classifier) HasExecutor(code string) bool { _, ok := c.execByCode[code]; return ok }

// Categories lists the categories in configuration order.
func (c *Classifier) Categories() []Category { return append([]Category(nil), c.categories...) }

// Executors lists the executors in configuration order.
func (c *Classifier) Executors() []Executor { return append([]Executor(nil), c.executors...) }
