package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/internal/store"
)

// checkConfigCmd validates a file with the same code the server runs at
// start, so a config that passes here never makes the server fail later.
func checkConfigCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if _, err := buildDomain(cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid\n", *path)
	for _, p := range cfg.MissingSecrets() {
		fmt.Fprintf(stdout, "note: %s (the server needs it at start)\n", p)
	}
	return nil
}

func migrateCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs)
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for the database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if cfg.Database.URL == "" {
		return fmt.Errorf("database.url is not set: set HOTLINE_DATABASE_URL")
	}
	log := newLogger(cfg.Log, stderr)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	pool, err := store.Open(ctx, cfg.Database.URL.Reveal(), 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	applied, err := migrateWithRetry(ctx, pool, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied: %d\n", len(applied))
	return nil
}
