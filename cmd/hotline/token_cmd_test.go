package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/internal/dbtest"
)

// tokenAdd runs `hotline token add -f path args…` and returns the token it printed.
func tokenAdd(t *testing.T, path string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"token", "add", "-f", path}, args...), &stdout, &stderr); code != 0 {
		t.Fatalf("hotline token add %v: exit %d: %s", args, code, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

func apiStatus(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/openapi.json", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// `hotline token add` prints a token once and stores only its digest; the
// server takes a new one on SIGHUP, and refuses a tokens file others may read.
func TestTokenAddPrintsATokenOnceAndTheServerLoadsItOnSIGHUP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	first := tokenAdd(t, path, "olena", "supervisor")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 32 || strings.Contains(string(raw), first) || !strings.HasPrefix(string(raw), "olena supervisor sha256:") {
		t.Fatalf("token %q, file %q: the file must hold the digest only", first, raw)
	}
	var stderr bytes.Buffer
	if code := run([]string{"token", "add", "-f", path, "olena", "root"}, new(bytes.Buffer), &stderr); code == 0 {
		t.Error("a token with the role root was added")
	}

	t.Setenv("HOTLINE_API_TOKENS_FILE", path)
	base := startServer(t, testConfig(t, dbtest.NewDatabase(t), "http://"+closedPort(t)+"/ari"))
	if code := apiStatus(t, base, first); code != http.StatusOK {
		t.Fatalf("the file's token: %d", code)
	}
	second := tokenAdd(t, path, "ivan", "operator")
	if code := apiStatus(t, base, second); code != http.StatusUnauthorized {
		t.Fatalf("a token added after the start, before SIGHUP: %d", code)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the new token accepted after SIGHUP", func() bool {
		return apiStatus(t, base, second) == http.StatusOK
	})
	if code := apiStatus(t, base, first); code != http.StatusOK {
		t.Errorf("the first token after the reload: %d", code)
	}
	if code := apiStatus(t, base, testAdminToken); code != http.StatusOK {
		t.Errorf("the config's own token after the reload: %d", code)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dbtest.NewDatabase(t), "http://"+closedPort(t)+"/ari")
	if _, _, err := loadTokens(cfg, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a tokens file others may read: %v", err)
	}
}
