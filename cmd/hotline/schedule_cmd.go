package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/slobozhanske/hotline/config"
)

// scheduleCmd prints the working-hours state at a moment with the same code
// the server routes calls by.
func scheduleCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	at := fs.String("at", "", "the moment, RFC 3339 (e.g. 2026-11-27T15:50:00+02:00); default: now")
	if err := fs.Parse(args); err != nil {
		return err
	}
	moment := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageError{fmt.Errorf("--at %q: want an RFC 3339 time such as 2026-11-27T15:50:00+02:00", *at)}
		}
		moment = t
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	sch, err := buildSchedule(cfg.Schedule)
	if err != nil {
		return err
	}
	d := sch.State(moment)
	fmt.Fprintf(stdout, "at:    %s\nstate: %s\nrule:  %s\n", moment.In(sch.Location()).Format(time.RFC3339), d.State, d.Rule)
	if d.Next.IsZero() {
		fmt.Fprintln(stdout, "next:  no change")
	} else {
		fmt.Fprintf(stdout, "next:  %s at %s\n", d.NextState, d.Next.Format(time.RFC3339))
	}
	return nil
}
