package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/telephony/sipcall"
)

// probeCallFlags are the flags probe-call and loadcall share: where to
// call and as whom, over the config's probe_call section.
type probeCallFlags struct {
	path, target, number, user, keys *string
}

func addProbeCallFlags(fs *flag.FlagSet) probeCallFlags {
	return probeCallFlags{
		path:   configFlag(fs),
		target: fs.String("target", "", "Asterisk's SIP over UDP, host:port (default: probe_call.target)"),
		number: fs.String("number", "", "the number to dial (default: probe_call.number)"),
		user:   fs.String("user", "", "the SIP user and digest name (default: probe_call.username); the password is HOTLINE_PROBE_CALL_PASSWORD or probe_call.password_file"),
		keys:   fs.String("keys", "\x00", `keys to press once the greeting is over (default: probe_call.keys; "" for none)`),
	}
}

// resolve loads the config and applies the flags.
func (f probeCallFlags) resolve() (*config.Config, config.ProbeCall, error) {
	cfg, err := config.Load(*f.path)
	if err != nil {
		return nil, config.ProbeCall{}, err
	}
	p := cfg.ProbeCall
	for dst, v := range map[*string]string{&p.Target: *f.target, &p.Number: *f.number, &p.Username: *f.user} {
		if v != "" {
			*dst = v
		}
	}
	if *f.keys != "\x00" {
		p.Keys = *f.keys
	}
	if p.Target == "" {
		return nil, p, usageError{errors.New("no target: set probe_call.target (HOTLINE_PROBE_CALL_TARGET) or --target host:port")}
	}
	if _, _, err := net.SplitHostPort(p.Target); err != nil {
		return nil, p, usageError{fmt.Errorf("--target %q: want host:port", p.Target)}
	}
	return cfg, p, nil
}

func agentConfig(p config.ProbeCall, log *slog.Logger) sipcall.AgentConfig {
	return sipcall.AgentConfig{Target: p.Target, Number: p.Number, Username: p.Username,
		Password: p.Password.Reveal(), UserAgent: "hotline-probe-call", Log: log}
}

func probeOptions(p config.ProbeCall) sipcall.Options {
	return sipcall.Options{
		Keys: p.Keys, AnswerTimeout: p.AnswerTimeout, FirstAudioTimeout: p.FirstAudioTimeout,
		KeySilence: p.KeySilence, KeyWait: p.KeyWait, AfterKeysTimeout: p.AfterKeysTimeout,
		Threshold: p.AudioThreshold, MaxDuration: p.MaxDuration,
	}
}

// probeCallCmd places one call (or one every --every) and prints its
// result as JSON; it fails when the call did.
func probeCallCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("probe-call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := addProbeCallFlags(fs)
	record := fs.String("record", "", "write the audio received to this WAV file (8 kHz 16-bit PCM)")
	every := fs.Duration("every", 0, "call again this often until interrupted, one JSON line a call (default: once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, p, err := f.resolve()
	if err != nil {
		return err
	}
	if *every < 0 || (*every > 0 && *every < p.MaxDuration) {
		return usageError{fmt.Errorf("--every %s: want at least probe_call.max_duration (%s)", *every, p.MaxDuration)}
	}
	o := probeOptions(p)
	o.Record = *record
	log := newLogger(config.Log{Level: "warn", Format: cfg.Log.Format}, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	enc := json.NewEncoder(stdout)
	if *every == 0 {
		enc.SetIndent("", "  ")
	}
	for {
		res := callOnce(ctx, agentConfig(p, log), o)
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("write the result: %w", err)
		}
		if *every == 0 {
			return res.Err()
		}
		select {
		case <-ctx.Done():
			return res.Err()
		case <-time.After(*every):
		}
	}
}

func callOnce(ctx context.Context, ac sipcall.AgentConfig, o sipcall.Options) *sipcall.Result {
	a, err := sipcall.NewAgent(ac)
	if err != nil {
		return &sipcall.Result{Target: ac.Target, Number: ac.Number, Started: time.Now(), EventPT: -1,
			Failure: sipcall.FailError, Error: err.Error()}
	}
	defer a.Close()
	return a.Call(ctx, o)
}

// loadcallCmd is a bounded load test: it prints the counts and
// percentiles and fails when any call failed.
func loadcallCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadcall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := addProbeCallFlags(fs)
	rate := fs.Float64("rate", 10, "calls started a second")
	calls := fs.Int("calls", 100, "calls in all")
	concurrency := fs.Int("concurrency", 50, "calls up at once at most")
	hold := fs.Duration("hold", 10*time.Second, "each call stays up this long after the answer, once its checks pass")
	bound := fs.Duration("duration", 0, "the whole test's bound (default: the calls at the rate, plus one call's bound)")
	owned := fs.Bool("i-own-this-target", false, "allow a target outside loopback and probe_call.loadcall_networks")
	verbose := fs.Bool("v", false, "print each call's result as a JSON line on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, p, err := f.resolve()
	if err != nil {
		return err
	}
	if *hold < 0 {
		return usageError{fmt.Errorf("--hold %s must not be negative", *hold)}
	}
	host, _, _ := net.SplitHostPort(p.Target)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !*owned {
		if err := sipcall.CheckLoadTarget(ctx, host, cfg.ProbeCall.LoadcallPrefixes()); err != nil {
			return usageError{fmt.Errorf("refusing to load %s: %w; add its network to probe_call.loadcall_networks, or pass --i-own-this-target if it is yours", p.Target, err)}
		}
	}
	o := probeOptions(p)
	o.Hold = *hold
	o.MaxDuration = p.MaxDuration + *hold
	lc := sipcall.LoadConfig{Calls: *calls, Rate: *rate, Concurrency: *concurrency, Options: o, MaxDuration: *bound}
	if lc.MaxDuration == 0 && *rate > 0 && !math.IsInf(*rate, 0) {
		lc.MaxDuration = time.Duration(float64(*calls)/(*rate)*float64(time.Second)) + o.MaxDuration + 10*time.Second
	}
	log := newLogger(config.Log{Level: "error", Format: cfg.Log.Format}, stderr)
	a, err := sipcall.NewAgent(agentConfig(p, log))
	if err != nil {
		return err
	}
	defer a.Close()
	var onResult func(*sipcall.Result)
	if *verbose {
		enc := json.NewEncoder(stderr)
		onResult = func(r *sipcall.Result) { _ = enc.Encode(r) } // Encoder writes a line at once
	}
	fmt.Fprintf(stdout, "loadcall: %d calls to %s@%s at %g/s, at most %d at once, keys %q, hold %s, bound %s\n",
		*calls, p.Number, p.Target, *rate, *concurrency, p.Keys, *hold, lc.MaxDuration)
	rep, err := a.Load(ctx, lc, onResult)
	if err != nil {
		return usageError{err}
	}
	rep.Print(stdout)
	if rep.Passed != rep.Attempted || rep.NotStarted > 0 {
		return fmt.Errorf("%d of %d calls failed, %d not started", rep.Attempted-rep.Passed, rep.Attempted, rep.NotStarted)
	}
	return nil
}
