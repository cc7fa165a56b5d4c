package fielderr

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func fields(err error) []string {
	var out []string
	for _, e := range All(err) {
		out = append(out, e.Field)
	}
	return out
}

func TestMessage(t *testing.T) {
	for _, c := range []struct {
		err  *Error
		want string
	}{
		{New("ring_timeout", "must be a positive duration"), "ring_timeout: must be a positive duration"},
		{Value("queues[0].strategy", "fast", "must be one of %s", "ring_all"), `queues[0].strategy: must be one of ring_all (value "fast")`},
		{New("", "empty request"), "empty request"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.err, got, c.want)
		}
	}
}

func TestAsFindsTheErrorThroughWrappingAndJoins(t *testing.T) {
	err := fmt.Errorf("save: %w", Join(errors.New("other"), New("phone", "is required")))
	fe, ok := As(err)
	if !ok || fe.Field != "phone" {
		t.Fatalf("As = %v, %v", fe, ok)
	}
	if _, ok := As(errors.New("plain")); ok {
		t.Fatal("As found an Error in a plain error")
	}
}

func TestAllListsEveryProblemInOrder(t *testing.T) {
	err := Join(New("a", "x"), nil, fmt.Errorf("wrapped: %w", Join(New("b", "y"), New("c", "z"))), errors.New("not a field"))
	if got := fields(err); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("All: %v", got)
	}
	if All(nil) != nil || Join() != nil || Join(nil, nil) != nil {
		t.Fatal("no problems must be nil")
	}
}

func TestPrefixPutsTheFieldsUnderThePath(t *testing.T) {
	plain := errors.New("plain")
	inner := Join(New("ring_timeout", "must be positive"), New("", "whole queue"), New("[2].from", "bad"), plain)
	err := Prefix("queues[1]", inner)
	if got := fields(err); !slices.Equal(got, []string{"queues[1].ring_timeout", "queues[1]", "queues[1][2].from"}) {
		t.Fatalf("fields %v", got)
	}
	if !errors.Is(err, plain) {
		t.Fatal("the plain error was lost")
	}
	if got := All(inner)[0].Field; got != "ring_timeout" {
		t.Fatalf("Prefix changed the domain's own error: %q", got)
	}
	one := Prefix("escalation", fmt.Errorf("settings: %w", New("ack_timeout", "must be positive")))
	if fe, ok := one.(*Error); !ok || fe.Error() != "escalation.ack_timeout: must be positive" {
		t.Fatalf("one problem: %#v", one)
	}
	if Prefix("x", nil) != nil {
		t.Fatal("Prefix of nil")
	}
}
