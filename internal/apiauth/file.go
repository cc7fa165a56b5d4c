package apiauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// MinTokenLength is the shortest token a tokens file may hold in clear.
const MinTokenLength = 16

// ReadFile reads a tokens file (HOTLINE_API_TOKENS_FILE): lines of
// "user role token [executor]", where token is the secret (at least
// MinTokenLength characters) or its Digest; blank lines and lines starting
// with # are skipped. The file must be private to its owner (CheckFileMode).
// The tokens are checked line by line here and as a table by NewTokens or
// Replace.
func ReadFile(path string) ([]Token, error) {
	if err := CheckFileMode(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the tokens file: %w", err)
	}
	var out []Token
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || len(f) > 4 {
			return nil, fmt.Errorf("%s line %d: want \"user role token [executor]\"", path, n+1)
		}
		t := Token{User: f[0], Role: f[1], Token: f[2]}
		if len(f) == 4 {
			t.Executor = f[3]
		}
		if _, err := digestOf(t.Token); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n+1, err)
		}
		if !strings.HasPrefix(t.Token, DigestPrefix) && len(t.Token) < MinTokenLength {
			return nil, fmt.Errorf("%s line %d: the token must be at least %d characters", path, n+1, MinTokenLength)
		}
		out = append(out, t)
	}
	return out, nil
}

// CheckFileMode refuses a tokens file that its group or others may read or
// write: whoever reads it may call the API as anyone in it (a clear token)
// or learn who may (a digest), and whoever writes it may grant themselves
// admin at the next reload.
func CheckFileMode(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("the tokens file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("the tokens file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("the tokens file %s may be read or written by its group or others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	return nil
}

// NewSecret is a fresh random token: 32 bytes from crypto/rand, base64url.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// AppendToFile adds the token's line to the tokens file, creating it
// private (0600) when it does not exist and refusing one others may read
// (CheckFileMode). The token should be a Digest: the file then never holds
// the secret.
func AppendToFile(path string, t Token) error {
	for _, v := range []string{t.User, t.Role, t.Token, t.Executor} {
		if strings.ContainsAny(v, " \t\r\n#") {
			return fmt.Errorf("%q: a user, role, token or executor has no spaces or #", v)
		}
	}
	if t.User == "" || !Role(t.Role).Valid() {
		return fmt.Errorf("want a user and a role (operator, executor, supervisor, admin), not %q %q", t.User, t.Role)
	}
	if (Role(t.Role) == RoleExecutor) != (t.Executor != "") {
		return errors.New("an executor's token, and only an executor's, names the organisation's code")
	}
	if err := CheckFileMode(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open the tokens file: %w", err)
	}
	line := strings.TrimSpace(strings.Join([]string{t.User, t.Role, t.Token, t.Executor}, " ")) + "\n"
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("append to the tokens file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append to the tokens file: %w", err)
	}
	return nil
}

// ReloadOnHangup calls reload on every SIGHUP until ctx ends, logging the
// outcome; a reload that fails keeps the tokens in force. The signal is
// caught from the moment it returns.
func ReloadOnHangup(ctx context.Context, log *slog.Logger, reload func() error) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	go func() {
		defer signal.Stop(sig)
		ReloadOn(ctx, sig, log, reload)
	}()
}

// ReloadOn is ReloadOnHangup's loop over the signals it is given.
func ReloadOn(ctx context.Context, sig <-chan os.Signal, log *slog.Logger, reload func() error) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			if err := reload(); err != nil {
				log.Error("reload the API tokens: the tokens in force stay", "err", err)
				continue
			}
			log.Info("API tokens reloaded")
		}
	}
}
