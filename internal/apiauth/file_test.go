package apiauth_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/slobozhanske/hotline/internal/apiauth"
)

func authenticate(t *testing.T, tokens *apiauth.Tokens, token string) (apiauth.Actor, bool) {
	t.Helper()
	r := httptest.NewRequest("GET", "/api/v1/appeals", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return tokens.Authenticate(r)
}

// A token may be stored as its SHA-256 digest: the file then grants nothing
// to whoever reads it.
func TestATokenStoredAsItsDigestAuthenticates(t *testing.T) {
	const secret = "s3cret-olena-0123456789"
	tokens, err := apiauth.NewTokens([]apiauth.Token{{User: "olena", Role: "admin", Token: apiauth.Digest(secret)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := authenticate(t, tokens, secret); !ok || a.User != "olena" {
		t.Errorf("the secret of a digest: %+v %v", a, ok)
	}
	if _, ok := authenticate(t, tokens, apiauth.Digest(secret)); ok {
		t.Error("the digest itself works as a token")
	}
	for _, bad := range []string{"sha256:abc", "sha256:" + strings.Repeat("zz", 32)} {
		if _, err := apiauth.NewTokens([]apiauth.Token{{User: "a", Role: "admin", Token: bad}}, nil); err == nil || !strings.Contains(err.Error(), "64 hex digits") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := apiauth.NewTokens([]apiauth.Token{{User: "a", Role: "admin", Token: secret}, {User: "b", Role: "admin", Token: apiauth.Digest(secret)}}, nil); err == nil {
		t.Error("a token and its digest given twice are accepted")
	}
}

// Replace swaps every token at once while requests go on: no request sees
// a half-built table, a bad set keeps the old one.
func TestReplacingTheTokensDisturbsNoRequestInFlight(t *testing.T) {
	tokens, err := apiauth.NewTokens([]apiauth.Token{{User: "old", Role: "admin", Token: "token-old-0123456789"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Authorization", "Bearer token-both-0123456789")
				if _, ok := tokens.Authenticate(r); !ok {
					t.Error("a token in both sets was refused during a replace")
					return
				}
			}
		}()
	}
	for i := range 200 {
		set := []apiauth.Token{{User: "both", Role: "operator", Token: "token-both-0123456789"}}
		if i%2 == 0 {
			set = append(set, apiauth.Token{User: "new", Role: "admin", Token: "token-new-0123456789"})
		}
		if err := tokens.Replace(set); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if err := tokens.Replace([]apiauth.Token{{User: "x", Role: "root", Token: "token-x-0123456789"}}); err == nil {
		t.Fatal("a bad set was accepted")
	}
	if _, ok := authenticate(t, tokens, "token-both-0123456789"); !ok || tokens.Len() != 1 {
		t.Errorf("after a bad set the tokens in force changed: %d", tokens.Len())
	}
	if _, ok := authenticate(t, tokens, "token-old-0123456789"); ok {
		t.Error("a replaced token still works")
	}
}

func writeFile(t *testing.T, mode os.FileMode, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

// A tokens file its group or others may read is refused; its lines are
// checked as they are read.
func TestATokensFileMustBePrivateAndWellFormed(t *testing.T) {
	good := "# who may call the API\nolena admin " + apiauth.Digest("x") + "\nvk1 executor token-vk1-0123456789 vodokanal\n"
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if _, err := apiauth.ReadFile(writeFile(t, mode, good)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	list, err := apiauth.ReadFile(writeFile(t, 0o600, good))
	if err != nil || len(list) != 2 || list[1].Executor != "vodokanal" || list[0].Token != apiauth.Digest("x") {
		t.Fatalf("%+v %v", list, err)
	}
	for content, want := range map[string]string{
		"olena admin short\n":          "at least 16",
		"olena admin sha256:beef\n":    "64 hex digits",
		"olena admin\n":                `want "user role token [executor]"`,
		"a b c d e\n":                  "line 1",
		"\n\nolena admin tok en x y\n": "line 3",
	} {
		if _, err := apiauth.ReadFile(writeFile(t, 0o600, content)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", content, err, want)
		}
	}
}

// AppendToFile creates the file private and adds a line ReadFile reads.
func TestAnAppendedTokenIsReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	secret, err := apiauth.NewSecret()
	if err != nil || len(secret) < apiauth.MinTokenLength {
		t.Fatalf("%q %v", secret, err)
	}
	for _, tok := range []apiauth.Token{
		{User: "olena", Role: "supervisor", Token: apiauth.Digest(secret)},
		{User: "vk1", Role: "executor", Executor: "vodokanal", Token: apiauth.Digest("other-secret")},
	} {
		if err := apiauth.AppendToFile(path, tok); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the new file's mode: %v %v", st.Mode(), err)
	}
	list, err := apiauth.ReadFile(path)
	if err != nil || len(list) != 2 || list[0].User != "olena" || list[1].Executor != "vodokanal" {
		t.Fatalf("%+v %v", list, err)
	}
	for _, bad := range []apiauth.Token{
		{User: "two words", Role: "admin", Token: apiauth.Digest("y")},
		{User: "x", Role: "root", Token: apiauth.Digest("y")},
		{User: "x", Role: "executor", Token: apiauth.Digest("y")},
		{User: "x", Role: "admin", Executor: "vodokanal", Token: apiauth.Digest("y")},
	} {
		if err := apiauth.AppendToFile(path, bad); err == nil {
			t.Errorf("%+v was appended", bad)
		}
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := apiauth.AppendToFile(path, apiauth.Token{User: "z", Role: "admin", Token: apiauth.Digest("z")}); err == nil {
		t.Error("appended to a file others may read")
	}
}

// Each hangup reloads; a failed reload is logged and the loop goes on.
func TestEachHangupReloadsUntilTheContextEnds(t *testing.T) {
	sig := make(chan os.Signal)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	reloads := make(chan int, 3)
	n := 0
	go func() {
		defer close(done)
		apiauth.ReloadOn(ctx, sig, slog.New(slog.DiscardHandler), func() error {
			n++
			reloads <- n
			if n == 1 {
				return os.ErrNotExist
			}
			return nil
		})
	}()
	for want := 1; want <= 2; want++ {
		sig <- os.Interrupt
		if got := <-reloads; got != want {
			t.Fatalf("reload %d, want %d", got, want)
		}
	}
	cancel()
	<-done
}
