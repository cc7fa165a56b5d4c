package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// EnvPrefix is the prefix of environment overrides: HOTLINE_ARI_PASSWORD sets ari.password.
const EnvPrefix = "HOTLINE"

// LogValue keeps secrets out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Load reads the YAML file at path (empty: defaults only), applies HOTLINE_*
// environment overrides and secret files, and validates the result. The error
// lists every problem found, each naming its key path and value.
func Load(path string) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	setDefaults(v)
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	// A variable set to "" is an override like any other: it is how a
	// deployment turns off what the file or the defaults turn on
	// (HOTLINE_SIP_PROBE_TARGET="" stops the SIP probe).
	v.AllowEmptyEnv(true)
	// Bind every leaf of the schema explicitly: AutomaticEnv alone only sees
	// keys that already appear in the file, so secrets kept out of the file
	// (ari.password, database.url) would never be read from the environment.
	for _, key := range leafKeys(reflect.TypeOf(Config{}), "") {
		if err := v.BindEnv(key); err != nil {
			return nil, fmt.Errorf("bind environment for %s: %w", key, err)
		}
	}
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open config: %w", err)
		}
		defer f.Close()
		if err := v.ReadConfig(f); err != nil {
			return nil, fmt.Errorf("parse config %s: %w", path, err)
		}
	}

	var cfg Config
	var problems []Problem
	decodeErr := v.UnmarshalExact(&cfg, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
		)
	})
	bad := map[string]bool{}
	if decodeErr != nil {
		// Keep going: the rest of the file is still validated, so one run names every problem.
		for _, p := range decodeProblems(decodeErr) {
			bad[p.Path] = true
			problems = append(problems, p)
		}
	}
	problems = append(problems, cfg.readSecretFiles()...)
	cfg.applyDerived()
	cfg.applyItemDefaults()
	for _, p := range cfg.Validate() {
		if !bad[p.Path] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return &cfg, nil
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	Path    string // key path, e.g. menu.nodes.main.options.1.queue
	Value   string // the offending value as written (never a secret)
	Message string
}

func (p Problem) String() string {
	if p.Value == "" {
		return fmt.Sprintf("%s: %s", p.Path, p.Message)
	}
	return fmt.Sprintf("%s: %s (value %q)", p.Path, p.Message, p.Value)
}

// Error lists every problem of a configuration.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		lines = append(lines, p.String())
	}
	return fmt.Sprintf("invalid configuration (%d problems):\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// decodeProblems turns mapstructure's joined error into per-key problems.
func decodeProblems(err error) []Problem {
	var out []Problem
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "*"))
		if line == "" || strings.HasPrefix(line, "decoding failed") && !strings.Contains(line, "'") {
			continue
		}
		if strings.Contains(line, "has invalid keys:") {
			// "'menu.nodes.main' has invalid keys: foo, bar" or "'' has invalid keys: x"
			parent, keys, _ := strings.Cut(line, " has invalid keys:")
			parent = strings.Trim(parent, "'")
			for _, k := range strings.Split(keys, ",") {
				k = strings.TrimSpace(k)
				path := k
				if parent != "" {
					path = parent + "." + k
				}
				out = append(out, Problem{Path: path, Message: "unknown key"})
			}
			continue
		}
		if strings.HasPrefix(line, "'") {
			path, msg, _ := strings.Cut(strings.TrimPrefix(line, "'"), "'")
			out = append(out, Problem{Path: path, Message: "wrong type:" + msg})
			continue
		}
		out = append(out, Problem{Path: "(file)", Message: line})
	}
	if len(out) == 0 {
		out = append(out, Problem{Path: "(file)", Message: err.Error()})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// leafKeys lists the dotted keys of every scalar field reachable through
// structs (not through maps or slices, which env variables cannot address).
func leafKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		switch f.Type.Kind() {
		case reflect.Struct:
			if f.Type.PkgPath() == "time" {
				keys = append(keys, key)
				continue
			}
			keys = append(keys, leafKeys(f.Type, key)...)
		case reflect.Map, reflect.Slice:
			if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String {
				keys = append(keys, key)
			}
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

// readSecretFiles loads secrets named by *_file keys, so they can live in
// Docker secrets or files readable only by the service user.
func (c *Config) readSecretFiles() []Problem {
	var problems []Problem
	read := func(path, key string, dst *Secret) {
		if path == "" {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, Problem{Path: key, Value: path, Message: "cannot read secret file: " + errors.Unwrap(err).Error()})
			return
		}
		*dst = Secret(strings.TrimSpace(string(b)))
	}
	read(c.ARI.PasswordFile, "ari.password_file", &c.ARI.Password)
	read(c.Database.URLFile, "database.url_file", &c.Database.URL)
	read(c.ProbeCall.PasswordFile, "probe_call.password_file", &c.ProbeCall.Password)
	if c.API.TokensFile != "" {
		tokens, err := readTokensFile(c.API.TokensFile)
		if err != nil {
			problems = append(problems, Problem{Path: "api.tokens_file", Value: c.API.TokensFile, Message: err.Error()})
		}
		c.API.Tokens = append(c.API.Tokens, tokens...)
	}
	return problems
}

// readTokensFile reads "user role token [executor]" lines; # starts a comment.
func readTokensFile(path string) ([]Token, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read tokens file: %w", errors.Unwrap(err))
	}
	var out []Token
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || len(f) > 4 {
			return nil, fmt.Errorf("line %d: want \"user role token [executor]\"", n+1)
		}
		t := Token{User: f[0], Role: f[1], Token: Secret(f[2])}
		if len(f) == 4 {
			t.Executor = f[3]
		}
		out = append(out, t)
	}
	return out, nil
}

// applyDerived fills values computed from others.
func (c *Config) applyDerived() {
	if c.ARI.WebSocketURL == "" && c.ARI.URL != "" {
		ws := strings.TrimSuffix(c.ARI.URL, "/")
		switch {
		case strings.HasPrefix(ws, "https://"):
			ws = "wss://" + strings.TrimPrefix(ws, "https://")
		case strings.HasPrefix(ws, "http://"):
			ws = "ws://" + strings.TrimPrefix(ws, "http://")
		}
		c.ARI.WebSocketURL = ws + "/events"
	}
}
