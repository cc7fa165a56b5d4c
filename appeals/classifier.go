package appeals

import (
	"fmt"
	"time"
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
	for i, e := range execs {
		if e.Code == "" {
			return nil, invalid(fmt.Sprintf("executors[%d].code", i), "must be set")
		}
		if _, dup := c.execByCode[e.Code]; dup {
			return nil, invalid(fmt.Sprintf("executors[%d].code", i), "duplicate executor %q", e.Code)
		}
		c.execByCode[e.Code] = e
	}
	if len(cats) == 0 {
		return nil, invalid("categories", "at least one category is needed")
	}
	for i, cat := range cats {
		path := fmt.Sprintf("categories[%d]", i)
		switch {
		case cat.Code == "":
			return nil, invalid(path+".code", "must be set")
		case c.has(cat.Code):
			return nil, invalid(path+".code", "duplicate category %q", cat.Code)
		case !cat.DefaultPriority.Valid():
			return nil, invalid(path+".default_priority", "unknown priority %q", cat.DefaultPriority)
		case cat.TimeBasis != TimeWorking && cat.TimeBasis != TimeCalendar:
			return nil, invalid(path+".time_basis", "must be working or calendar, not %q", cat.TimeBasis)
		case cat.Executor != "" && !c.HasExecutor(cat.Executor):
			return nil, invalid(path+".executor", "no executor %q", cat.Executor)
		case cat.AcceptWithin < 0 || cat.ResolveWithin < 0:
			return nil, invalid(path, "terms must not be negative")
		}
		c.byCode[cat.Code] = cat
	}
	return c, nil
}

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
