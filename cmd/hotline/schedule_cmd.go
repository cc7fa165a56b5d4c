package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/store"
	"github.com/slobozhanske/hotline/telephony/schedule"
	schedulepg "github.com/slobozhanske/hotline/telephony/schedule/pgstore"
)

// scheduleCmd prints the working-hours state at a moment with the same code
// the server routes calls by.
func scheduleCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	at := fs.String("at", "", "the moment, RFC 3339 (e.g. 2026-11-27T15:50:00+02:00); default: now")
	withDB := fs.Bool("db", false, "also apply the exceptions and the override stored through the API, as the running server does (needs HOTLINE_DATABASE_URL)")
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
	sch, err := buildSchedule(cfg)
	if err != nil {
		return err
	}
	if *withDB {
		if sch, err = storedSchedule(sch, cfg, stderr); err != nil {
			return err
		}
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

// storedSchedule applies what supervisors stored through the API (date
// exceptions, the day/night override) to the config's schedule.
func storedSchedule(sch *schedule.Schedule, cfg *config.Config, stderr io.Writer) (*schedule.Schedule, error) {
	if cfg.Database.URL == "" {
		return nil, usageError{errors.New("--db: HOTLINE_DATABASE_URL (or HOTLINE_DATABASE_URL_FILE) is not set")}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	pool, err := store.Open(ctx, cfg.Database.URL.Reveal(), 2)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	log := newLogger(cfg.Log, stderr)
	m := schedule.NewManager(sch, schedulepg.New(pool), time.Now, log)
	if err := m.Load(ctx); err != nil {
		return nil, fmt.Errorf("read the stored exceptions and override: %w", err)
	}
	return m.Schedule(), nil
}
