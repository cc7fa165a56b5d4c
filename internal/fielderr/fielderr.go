// Package fielderr is the one error type for a bad input value, named by
// the path of its field: a key of the configuration file
// ("queues[1].ring_timeout"), a field of an API request ("phone",
// "shifts[0].people[1].name"). The domain packages return it from their
// constructors and validators; the config prefixes it with where the domain's
// section sits in the file (Prefix), and the HTTP APIs answer 400 naming
// Field. Several problems are joined (errors.Join, or Join here) so that one
// run names every one of them; All lists them back.
package fielderr

import (
	"errors"
	"fmt"
	"strings"
)

// Error is one bad value.
type Error struct {
	// Field is the path of the field as the user wrote it: keys joined by
	// dots, list items as [i] ("escalation.roster[0].people[1].phone").
	// Empty when the input as a whole is wrong.
	Field string
	// Value is the offending value as written, quoted in the message; empty
	// when there is none worth repeating (a missing value, a secret).
	Value string
	// Message says what is wrong and, where it helps, what is wanted.
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Value != "" {
		fmt.Fprintf(&b, " (value %q)", e.Value)
	}
	return b.String()
}

// New is an Error for field with the message formatted as fmt.Sprintf does.
func New(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Value is an Error for field quoting its value.
func Value(field, value, format string, args ...any) *Error {
	return &Error{Field: field, Value: value, Message: fmt.Sprintf(format, args...)}
}

// As returns the first Error in err's tree.
func As(err error) (*Error, bool) {
	var fe *Error
	ok := errors.As(err, &fe)
	return fe, ok
}

// Join joins the problems (nil ones are dropped); nil when there are none.
// The result's All lists them in order.
func Join(errs ...error) error { return errors.Join(errs...) }

// All is every Error in err's tree, in order: the problems of a joined
// error, through wrapping. Errors of other types in the tree are skipped.
func All(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *Error:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// Prefix puts every Error in err under path: a domain's validator names its
// own fields ("ring_timeout"), and the caller knows where its section is
// ("queues[1]" makes "queues[1].ring_timeout"). A list index joins without
// a dot ("roster" and "[0].from" make "roster[0].from"). Errors of other
// types are kept as they are. The Errors are copied, so the domain's own
// values are never changed under it.
func Prefix(path string, err error) error {
	if err == nil || path == "" {
		return err
	}
	problems := flatten(err)
	for i, p := range problems {
		if fe, ok := p.(*Error); ok {
			c := *fe
			c.Field = join(path, fe.Field)
			problems[i] = &c
		}
	}
	if len(problems) == 1 {
		return problems[0]
	}
	return errors.Join(problems...)
}

// flatten lists the joined errors of err (err itself when it joins none);
// wrapped Errors are taken out of their wrapping, which adds nothing to a
// path and would keep the old one in its message.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, inner := range j.Unwrap() {
			out = append(out, flatten(inner)...)
		}
		return out
	}
	if fe, ok := As(err); ok {
		return []error{fe}
	}
	return []error{err}
}

func join(path, field string) string {
	switch {
	case field == "":
		return path
	case strings.HasPrefix(field, "["):
		return path + field
	}
	return path + "." + field
}
