package dbtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a private PostgreSQL server for tests that stop and restart the
// database (the shared test server must keep running for other packages).
type Server struct {
	tb      testing.TB
	bindir  string
	dataDir string
	port    int
	asUser  string // run as this user when the test runs as root
}

// StartServer initialises and starts a private PostgreSQL server in a
// temporary directory; it is stopped and removed when the test ends.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	bindir, err := findBindir()
	if err != nil {
		tb.Fatalf("private PostgreSQL: %v", err)
	}
	dir, err := os.MkdirTemp("", "hotline-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &Server{tb: tb, bindir: bindir, dataDir: dir, port: freePort(tb)}
	if os.Geteuid() == 0 {
		s.asUser = "postgres"
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("private PostgreSQL: running as root needs a 'postgres' user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	s.run("initdb", "-D", dir, "-U", "hotline", "--auth=trust", "-E", "UTF8", "--no-locale")
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// URL is the server's hotline database URL (the database exists).
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://hotline@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Start starts (or restarts) the server on the same port and data.
func (s *Server) Start() {
	s.tb.Helper()
	s.run("pg_ctl", "-D", s.dataDir, "-l", filepath.Join(s.dataDir, "server.log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", s.port, s.dataDir), "start")
}

// Stop stops the server (fast shutdown: connections are cut, as in a crash or restart).
func (s *Server) Stop() {
	cmd := s.command("pg_ctl", "-D", s.dataDir, "-m", "fast", "-w", "stop")
	_ = cmd.Run()
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(s.bindir, name)
	if s.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", s.asUser, "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

func (s *Server) run(name string, args ...string) {
	s.tb.Helper()
	out, err := s.command(name, args...).CombinedOutput()
	if err != nil {
		s.tb.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func findBindir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("no PostgreSQL binaries found (apt-get install postgresql)")
}

func versionOf(bindir string) int {
	v, _ := strconv.Atoi(strings.Split(filepath.Base(filepath.Dir(bindir)), ".")[0])
	return v
}

func freePort(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	// Give the port back a moment before PostgreSQL binds it.
	time.Sleep(10 * time.Millisecond)
	return ln.Addr().(*net.TCPAddr).Port
}
