// Package asterisk_test checks the deployment files, since Docker and
// Asterisk cannot run in CI: docker-compose.yml, the two Dockerfiles,
// asterisk/*.conf, the entrypoint, deploy/prometheus.yml, .env.example and
// the server's default config/hotline.yaml must agree with each other on
// ports, names, users, volumes and prompts.
package asterisk_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slobozhanske/hotline/config"
	"github.com/slobozhanske/hotline/telephony/sipprobe"
)

// --- locating and loading the files ----------------------------------------

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func path(t *testing.T, elem ...string) string {
	return filepath.Join(append([]string{repoRoot(t)}, elem...)...)
}

func conf(t *testing.T, name string) *confFile {
	t.Helper()
	cf, err := parseConf(path(t, "asterisk", name))
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

// section returns the single non-template section called name.
func section(t *testing.T, cf *confFile, name string) *confSection {
	t.Helper()
	objs := cf.Objects(name)
	if len(objs) != 1 {
		t.Fatalf("%s: want one [%s] section, found %d", cf.Path, name, len(objs))
	}
	return objs[0]
}

func get(t *testing.T, s *confSection, key string) string {
	t.Helper()
	v, ok := s.Get(key)
	if !ok {
		t.Fatalf("%s: [%s] has no %s", s.file.Path, s.Name, key)
	}
	return v
}

func dialplanOf(t *testing.T) *dialplan {
	t.Helper()
	dp, err := parseDialplan(conf(t, "extensions.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return dp
}

// compose is the part of docker-compose.yml the checks read. Environment,
// ports and volumes may be written in either of compose's forms.
type compose struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string `yaml:"image"`
	Build       any    `yaml:"build"`
	Environment any    `yaml:"environment"`
	Ports       []any  `yaml:"ports"`
	Volumes     []any  `yaml:"volumes"`
	DependsOn   any    `yaml:"depends_on"`
	Healthcheck *struct {
		Test    any  `yaml:"test"`
		Disable bool `yaml:"disable"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) *compose {
	t.Helper()
	data, err := os.ReadFile(path(t, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return &c
}

func (c *compose) service(t *testing.T, name string) service {
	t.Helper()
	s, ok := c.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q", name)
	}
	return s
}

// env returns a service's environment as written (before interpolation).
func (s service) env() map[string]string {
	out := map[string]string{}
	switch e := s.Environment.(type) {
	case map[string]any:
		for k, v := range e {
			if v == nil {
				out[k] = ""
			} else {
				out[k] = fmt.Sprint(v)
			}
		}
	case []any:
		for _, item := range e {
			k, v, _ := strings.Cut(fmt.Sprint(item), "=")
			out[k] = v
		}
	}
	return out
}

// mounts returns a service's volume mounts as source → target.
func (s service) mounts() map[string]string {
	out := map[string]string{}
	for _, v := range s.Volumes {
		switch m := v.(type) {
		case string:
			parts := strings.Split(m, ":")
			if len(parts) >= 2 {
				out[parts[0]] = parts[1]
			}
		case map[string]any:
			out[fmt.Sprint(m["source"])] = fmt.Sprint(m["target"])
		}
	}
	return out
}

// portMapping is one published port range.
type portMapping struct {
	HostIP                 string
	HostFirst, HostLast    int
	TargetFirst, TargetLst int
	Protocol               string
}

func parseRange(s string) (int, int, error) {
	a, b, isRange := strings.Cut(s, "-")
	first, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return first, first, nil
	}
	last, err := strconv.Atoi(b)
	return first, last, err
}

func (s service) ports(t *testing.T) []portMapping {
	t.Helper()
	var out []portMapping
	for _, p := range s.Ports {
		var m portMapping
		switch v := p.(type) {
		case string:
			spec, proto, _ := strings.Cut(v, "/")
			m.Protocol = proto
			parts := strings.Split(spec, ":")
			var host, target string
			switch len(parts) {
			case 3:
				m.HostIP, host, target = parts[0], parts[1], parts[2]
			case 2:
				host, target = parts[0], parts[1]
			default:
				t.Fatalf("port %q: publish it as [ip:]host:container", v)
			}
			var err1, err2 error
			m.HostFirst, m.HostLast, err1 = parseRange(host)
			m.TargetFirst, m.TargetLst, err2 = parseRange(target)
			if err := errors.Join(err1, err2); err != nil {
				t.Fatalf("port %q: %v", v, err)
			}
		case map[string]any:
			m.HostIP, _ = v["host_ip"].(string)
			m.Protocol, _ = v["protocol"].(string)
			var err1, err2 error
			m.HostFirst, m.HostLast, err1 = parseRange(fmt.Sprint(v["published"]))
			m.TargetFirst, m.TargetLst, err2 = parseRange(fmt.Sprint(v["target"]))
			if err := errors.Join(err1, err2); err != nil {
				t.Fatalf("port %v: %v", v, err)
			}
		}
		if m.Protocol == "" {
			m.Protocol = "tcp"
		}
		out = append(out, m)
	}
	return out
}

// --- compose variable interpolation -------------------------------------------

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)((:?[-?])([^}]*))?\}`)

// varsIn returns the names of the ${VARIABLES} in s (not $$-escaped ones).
func varsIn(s string) []string {
	s = strings.ReplaceAll(s, "$$", "")
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// interpolate expands s as compose does with the variables in env:
// ${V}, ${V:-default}, ${V-default}, ${V:?error}, ${V?error} and $$.
func interpolate(s string, env map[string]string) (string, error) {
	var errs []error
	const dollar = "\x00"
	s = strings.ReplaceAll(s, "$$", dollar)
	s = varRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		v, set := env[m[1]]
		op, arg := m[3], m[4]
		empty := !set || (strings.HasPrefix(op, ":") && v == "")
		switch {
		case op == "":
			return v
		case strings.HasSuffix(op, "-") && empty:
			return arg
		case strings.HasSuffix(op, "?") && empty:
			errs = append(errs, fmt.Errorf("%s: %s", m[1], arg))
		}
		return v
	})
	return strings.ReplaceAll(s, dollar, "$"), errors.Join(errs...)
}

// resolvedEnv returns a service's environment interpolated with vars.
func resolvedEnv(t *testing.T, s service, vars map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range s.env() {
		r, err := interpolate(v, vars)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out[k] = r
	}
	return out
}

// sampleVars are the values a filled-in .env could have.
var sampleVars = map[string]string{
	"ARI_PASSWORD":         "ari-secret",
	"ASTERISK_EXTERNAL_IP": "192.0.2.10",
	"TRUNK_HOST":           "sip.provider.example",
	"TRUNK_USERNAME":       "slobozhanske",
	"TRUNK_PASSWORD":       "trunk-secret",
	"POSTGRES_PASSWORD":    "pg-secret",
	"MONITOR_PASSWORD":     "monitor-secret",
}

// --- the server's default config --------------------------------------------------

type hotlineConfig struct {
	HTTP struct {
		Listen string `yaml:"listen"`
	} `yaml:"http"`
	ARI struct {
		URL         string `yaml:"url"`
		Application string `yaml:"application"`
		Username    string `yaml:"username"`
	} `yaml:"ari"`
	Calls struct {
		Language        string `yaml:"language"`
		FallbackContext string `yaml:"fallback_context"`
	} `yaml:"calls"`
	Queues []struct {
		Name     string `yaml:"name"`
		MOHClass string `yaml:"moh_class"`
	} `yaml:"queues"`
	Operators []struct {
		ID       string `yaml:"id"`
		Endpoint string `yaml:"endpoint"`
	} `yaml:"operators"`
	Escalation struct {
		TrunkEndpoint string `yaml:"trunk_endpoint"`
		Roster        []struct {
			People []struct {
				Name  string `yaml:"name"`
				Phone string `yaml:"phone"`
			} `yaml:"people"`
		} `yaml:"roster"`
	} `yaml:"escalation"`
}

// loadConfig reads config/hotline.yaml, or skips the test when it does not
// exist yet.
func loadConfig(t *testing.T) *hotlineConfig {
	t.Helper()
	data, err := os.ReadFile(path(t, "config", "hotline.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("config/hotline.yaml does not exist yet")
	}
	if err != nil {
		t.Fatal(err)
	}
	var c hotlineConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("config/hotline.yaml: %v", err)
	}
	return &c
}

// effectiveSetting is what the server in the container uses: the compose
// environment's HOTLINE_<KEY> if set, otherwise the config file's value.
func effectiveSetting(env map[string]string, envKey, fileValue string) string {
	if v, ok := env[envKey]; ok {
		return v
	}
	return fileValue
}

// stasisApp is the single application every Stasis() of the dialplan names.
func stasisApp(t *testing.T, dp *dialplan) string {
	t.Helper()
	steps := dp.Steps("Stasis")
	if len(steps) == 0 {
		t.Fatal("extensions.conf has no Stasis()")
	}
	app := splitArgs(steps[0].Args)[0]
	for _, st := range steps {
		if got := splitArgs(st.Args)[0]; got != app {
			t.Errorf("extensions.conf:%d: Stasis(%s) names another application than %q", st.Line, st.Args, app)
		}
	}
	return app
}

// --- compose ---------------------------------------------------------------------

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"asterisk", "postgres", "hotline", "prometheus"} {
		s := c.service(t, name)
		if s.Healthcheck == nil || s.Healthcheck.Disable || s.Healthcheck.Test == nil {
			t.Errorf("service %s has no health check", name)
		}
		if s.Image == "" && s.Build == nil {
			t.Errorf("service %s has neither image nor build", name)
		}
		if s.Image != "" {
			_, tag, ok := strings.Cut(s.Image, ":")
			if !ok || tag == "" || tag == "latest" {
				t.Errorf("service %s: image %q must be pinned to a tag", name, s.Image)
			}
		}
	}
	if img := c.service(t, "postgres").Image; img != "postgres:15" {
		t.Errorf("postgres image %q, want postgres:15", img)
	}
	if b := c.service(t, "asterisk").Build; fmt.Sprint(b) != "./asterisk" {
		t.Errorf("asterisk is built from %v, want ./asterisk", b)
	}
	if b := c.service(t, "hotline").Build; fmt.Sprint(b) != "." {
		t.Errorf("hotline is built from %v, want . (the root Dockerfile)", b)
	}

	// The server starts once the database is healthy and Asterisk started.
	deps, _ := c.service(t, "hotline").DependsOn.(map[string]any)
	for dep, want := range map[string]string{"postgres": "service_healthy", "asterisk": "service_started"} {
		d, _ := deps[dep].(map[string]any)
		if d == nil || d["condition"] != want {
			t.Errorf("hotline depends_on %s: want condition %s, got %v", dep, want, deps[dep])
		}
	}
}

func TestComposeVolumes(t *testing.T) {
	c := loadCompose(t)
	for _, v := range []string{"pgdata", "recordings"} {
		if _, ok := c.Volumes[v]; !ok {
			t.Errorf("docker-compose.yml declares no named volume %q", v)
		}
	}
	if got := c.service(t, "postgres").mounts()["pgdata"]; got != "/var/lib/postgresql/data" {
		t.Errorf("postgres mounts pgdata at %q, want /var/lib/postgresql/data", got)
	}

	// Recordings: where Asterisk's ARI stores them (astspooldir/recording),
	// and the same path in the server's container.
	spool := get(t, section(t, conf(t, "asterisk.conf"), "directories"), "astspooldir")
	want := spool + "/recording"
	if got := c.service(t, "asterisk").mounts()["recordings"]; got != want {
		t.Errorf("asterisk mounts recordings at %q, want %q (asterisk.conf astspooldir + /recording)", got, want)
	}
	if got := c.service(t, "hotline").mounts()["recordings"]; got != want {
		t.Errorf("hotline mounts recordings at %q, want %q", got, want)
	}
}

func TestComposeAsteriskPorts(t *testing.T) {
	c := loadCompose(t)
	ports := c.service(t, "asterisk").ports(t)
	has := func(first, last int, proto string) *portMapping {
		for i, p := range ports {
			if p.HostFirst == first && p.HostLast == last && p.TargetFirst == first && p.TargetLst == last && p.Protocol == proto {
				return &ports[i]
			}
		}
		return nil
	}
	for _, proto := range []string{"udp", "tcp"} {
		if has(5060, 5060, proto) == nil {
			t.Errorf("asterisk does not publish 5060/%s", proto)
		}
	}
	// RTP: exactly rtp.conf's range.
	rtp := section(t, conf(t, "rtp.conf"), "general")
	start, err1 := strconv.Atoi(get(t, rtp, "rtpstart"))
	end, err2 := strconv.Atoi(get(t, rtp, "rtpend"))
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if has(start, end, "udp") == nil {
		t.Errorf("asterisk does not publish rtp.conf's RTP range %d-%d/udp", start, end)
	}
	// The SIP transports listen on 5060.
	pjsip := conf(t, "pjsip.conf")
	for _, proto := range []string{"udp", "tcp"} {
		found := false
		for _, tr := range pjsip.OfType("transport") {
			if p, _ := tr.Get("protocol"); p == proto {
				found = true
				if b, _ := tr.Get("bind"); b != "0.0.0.0:5060" {
					t.Errorf("pjsip.conf [%s] binds %q, want 0.0.0.0:5060", tr.Name, b)
				}
			}
		}
		if !found {
			t.Errorf("pjsip.conf has no %s transport", proto)
		}
	}
	// ARI is never published beyond the host's loopback.
	http := section(t, conf(t, "http.conf"), "general")
	ari, _ := strconv.Atoi(get(t, http, "bindport"))
	for _, p := range ports {
		if p.TargetFirst <= ari && ari <= p.TargetLst && p.HostIP != "127.0.0.1" {
			t.Errorf("ARI port %d is published on %q; publish it on 127.0.0.1 only, or not at all", ari, p.HostIP)
		}
	}
}

func TestComposeHotlineTalksToAsterisk(t *testing.T) {
	c := loadCompose(t)
	env := resolvedEnv(t, c.service(t, "hotline"), sampleVars)
	http := section(t, conf(t, "http.conf"), "general")
	if v := get(t, http, "enabled"); v != "yes" {
		t.Errorf("http.conf enabled = %q, want yes", v)
	}
	if v := get(t, http, "bindaddr"); v != "0.0.0.0" {
		t.Errorf("http.conf bindaddr = %q, want 0.0.0.0 (the server connects over the Docker network)", v)
	}
	wantURL := "http://asterisk:" + get(t, http, "bindport") + "/ari"
	if got := env["HOTLINE_ARI_URL"]; got != wantURL {
		t.Errorf("HOTLINE_ARI_URL = %q, want %q (http.conf bindport)", got, wantURL)
	}

	ari := conf(t, "ari.conf")
	if v := get(t, section(t, ari, "general"), "enabled"); v != "yes" {
		t.Errorf("ari.conf enabled = %q, want yes", v)
	}
	users := ari.OfType("user")
	if len(users) != 1 {
		t.Fatalf("ari.conf: want one user, found %d", len(users))
	}
	user := users[0]
	if got := env["HOTLINE_ARI_USERNAME"]; got != user.Name {
		t.Errorf("HOTLINE_ARI_USERNAME = %q, ari.conf's user is %q", got, user.Name)
	}
	if pw := get(t, user, "password"); pw != "{{ASTERISK_ARI_PASSWORD}}" {
		t.Errorf("ari.conf [%s] password = %q: it must come from the environment ({{ASTERISK_ARI_PASSWORD}})", user.Name, pw)
	}

	// One secret, one variable: what Asterisk checks is what the server sends.
	raw := c.service(t, "hotline").env()["HOTLINE_ARI_PASSWORD"]
	astRaw := c.service(t, "asterisk").env()["ASTERISK_ARI_PASSWORD"]
	hv, av := varsIn(raw), varsIn(astRaw)
	if len(hv) != 1 || len(av) != 1 || hv[0] != av[0] {
		t.Errorf("HOTLINE_ARI_PASSWORD (%q) and ASTERISK_ARI_PASSWORD (%q) must be the same single variable", raw, astRaw)
	}
	if !strings.Contains(raw, ":?") || !strings.Contains(astRaw, ":?") {
		t.Errorf("the ARI password must be required (${VAR:?message}), got %q and %q", raw, astRaw)
	}

	app := stasisApp(t, dialplanOf(t))
	if got, ok := env["HOTLINE_ARI_APPLICATION"]; ok && got != app {
		t.Errorf("HOTLINE_ARI_APPLICATION = %q, extensions.conf's Stasis() names %q", got, app)
	}

	// The server sends callers it cannot take to a context that exists.
	if fc := env["HOTLINE_CALLS_FALLBACK_CONTEXT"]; fc != "" {
		dp := dialplanOf(t)
		if len(dp.Extension(fc, "s")) == 0 {
			t.Errorf("HOTLINE_CALLS_FALLBACK_CONTEXT = %q: extensions.conf has no [%s] with extension s", fc, fc)
		}
	}
}

func TestComposeDatabaseURL(t *testing.T) {
	c := loadCompose(t)
	pg := resolvedEnv(t, c.service(t, "postgres"), sampleVars)
	env := resolvedEnv(t, c.service(t, "hotline"), sampleVars)
	u, err := url.Parse(env["HOTLINE_DATABASE_URL"])
	if err != nil {
		t.Fatalf("HOTLINE_DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	for what, pair := range map[string][2]string{
		"scheme":   {u.Scheme, "postgres"},
		"host":     {u.Host, "postgres:5432"},
		"user":     {u.User.Username(), pg["POSTGRES_USER"]},
		"password": {pw, pg["POSTGRES_PASSWORD"]},
		"database": {strings.TrimPrefix(u.Path, "/"), pg["POSTGRES_DB"]},
	} {
		if pair[0] != pair[1] || pair[1] == "" {
			t.Errorf("HOTLINE_DATABASE_URL %s is %q, want %q (the postgres service's)", what, pair[0], pair[1])
		}
	}
	// With the defaults too (only the password set).
	required := map[string]string{"POSTGRES_PASSWORD": "x", "ARI_PASSWORD": "y", "MONITOR_PASSWORD": "z"}
	pg = resolvedEnv(t, c.service(t, "postgres"), required)
	env = resolvedEnv(t, c.service(t, "hotline"), required)
	want := fmt.Sprintf("postgres://%s:x@postgres:5432/%s", pg["POSTGRES_USER"], pg["POSTGRES_DB"])
	if !strings.HasPrefix(env["HOTLINE_DATABASE_URL"], want) {
		t.Errorf("HOTLINE_DATABASE_URL with the defaults = %q, want %q…", env["HOTLINE_DATABASE_URL"], want)
	}
	// Without a password, compose must refuse to start.
	if _, err := interpolate(c.service(t, "postgres").env()["POSTGRES_PASSWORD"], nil); err == nil {
		t.Error("POSTGRES_PASSWORD is not required (${POSTGRES_PASSWORD:?…})")
	}
}

func TestComposeHTTPAndPrometheus(t *testing.T) {
	c := loadCompose(t)
	env := resolvedEnv(t, c.service(t, "hotline"), sampleVars)
	host, port, err := net.SplitHostPort(env["HOTLINE_HTTP_LISTEN"])
	if err != nil || host != "0.0.0.0" {
		t.Fatalf("HOTLINE_HTTP_LISTEN = %q, want 0.0.0.0:<port> (reachable by prometheus)", env["HOTLINE_HTTP_LISTEN"])
	}
	p, _ := strconv.Atoi(port)
	published := false
	for _, m := range c.service(t, "hotline").ports(t) {
		if m.TargetFirst == p && m.TargetLst == p {
			published = true
		}
	}
	if !published {
		t.Errorf("the hotline service does not publish its HTTP port %d", p)
	}
	// The health check asks the same port.
	if hc := fmt.Sprint(c.service(t, "hotline").Healthcheck.Test); !strings.Contains(hc, ":"+port+"/healthz") {
		t.Errorf("the hotline health check %v does not ask :%s/healthz", hc, port)
	}

	prom := loadPrometheus(t)
	found := false
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			if slices.Contains(st.Targets, "hotline:"+port) {
				found = true
				if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
					t.Errorf("prometheus job %s scrapes %s, want /metrics", sc.JobName, sc.MetricsPath)
				}
			}
		}
	}
	if !found {
		t.Errorf("deploy/prometheus.yml does not scrape hotline:%s", port)
	}
	if got := c.service(t, "prometheus").mounts()["./deploy/prometheus.yml"]; got != "/etc/prometheus/prometheus.yml" {
		t.Errorf("prometheus mounts deploy/prometheus.yml at %q", got)
	}
}

// TestComposeAsteriskEnvironment: every {{VARIABLE}} of the templates is
// passed to the asterisk container.
func TestComposeAsteriskEnvironment(t *testing.T) {
	env := loadCompose(t).service(t, "asterisk").env()
	for _, v := range templateVars(t) {
		if _, ok := env[v]; !ok {
			t.Errorf("asterisk/*.conf uses {{%s}}, which docker-compose.yml does not pass to the asterisk service", v)
		}
	}
}

var placeholder = regexp.MustCompile(`\{\{([A-Z][A-Z0-9_]*)\}\}`)

// templateVars returns the {{VARIABLES}} used outside comments in asterisk/*.conf.
func templateVars(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(path(t, "asterisk", "*.conf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no asterisk/*.conf: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		cf, err := parseConf(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range cf.Sections {
			for _, l := range s.Lines {
				for _, m := range placeholder.FindAllStringSubmatch(l.Key+" "+l.Value, -1) {
					seen[m[1]] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// TestEnvExample: .env.example lists exactly the variables compose uses,
// with no secret filled in.
func TestEnvExample(t *testing.T) {
	data, err := os.ReadFile(path(t, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	// Compose interpolates values (not comments): collect from every string.
	used := map[string]bool{}
	var walk func(any)
	walk = func(n any) {
		switch v := n.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			for _, name := range varsIn(v) {
				used[name] = true
			}
		}
	}
	walk(doc)
	f, err := os.Open(path(t, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf(".env.example:%d: not NAME=value: %q", n, line)
			continue
		}
		listed[k] = true
		if strings.Contains(k, "PASSWORD") && v != "" {
			t.Errorf(".env.example:%d: %s has a value; secrets stay empty in the example", n, k)
		}
		if !used[k] {
			t.Errorf(".env.example:%d: %s is not used by docker-compose.yml", n, k)
		}
	}
	for v := range used {
		if !listed[v] {
			t.Errorf("docker-compose.yml uses ${%s}, which .env.example does not list", v)
		}
	}
}

// --- Asterisk's configuration -------------------------------------------------------

func TestPJSIPOperators(t *testing.T) {
	pjsip := conf(t, "pjsip.conf")
	dp := dialplanOf(t)
	for _, id := range []string{"op101", "op102", "op103", "op104", "op105"} {
		ep := pjsip.Object(id, "endpoint")
		if ep == nil {
			t.Errorf("pjsip.conf has no endpoint %s", id)
			continue
		}
		for key, want := range map[string]string{
			"context": "operators", "language": "uk", "direct_media": "no",
			"rtp_symmetric": "yes", "force_rport": "yes", "rewrite_contact": "yes",
		} {
			if got, _ := ep.Get(key); got != want {
				t.Errorf("endpoint %s: %s = %q, want %q", id, key, got, want)
			}
		}
		allow := strings.Join(ep.All("allow"), ",")
		for _, codec := range []string{"ulaw", "alaw"} {
			if !slices.Contains(strings.Split(allow, ","), codec) {
				t.Errorf("endpoint %s does not allow %s (allow = %s)", id, codec, allow)
			}
		}
		checkAuthAndAOR(t, pjsip, ep)
	}
	// Every endpoint's context exists in the dialplan.
	for _, ep := range pjsip.OfType("endpoint") {
		ctx, _ := ep.Get("context")
		if _, ok := dp.Contexts[ctx]; !ok {
			t.Errorf("endpoint %s: context %q is not in extensions.conf", ep.Name, ctx)
		}
	}
}

// checkAuthAndAOR: an endpoint's auth and aors name sections of those types,
// and its password comes from the environment.
func checkAuthAndAOR(t *testing.T, pjsip *confFile, ep *confSection) {
	t.Helper()
	authKey := "auth"
	if ep.Name == "trunk" {
		authKey = "outbound_auth"
	}
	authName, _ := ep.Get(authKey)
	auth := pjsip.Object(authName, "auth")
	if auth == nil {
		t.Errorf("endpoint %s: %s = %q is not an auth section", ep.Name, authKey, authName)
	} else {
		if u, _ := auth.Get("username"); u == "" {
			t.Errorf("auth %s has no username", auth.Name)
		}
		if pw, _ := auth.Get("password"); !placeholder.MatchString(pw) {
			t.Errorf("auth %s: password %q must come from the environment ({{VARIABLE}})", auth.Name, pw)
		}
	}
	aorName, _ := ep.Get("aors")
	if pjsip.Object(aorName, "aor") == nil {
		t.Errorf("endpoint %s: aors = %q is not an aor section", ep.Name, aorName)
	}
}

func TestPJSIPTrunk(t *testing.T) {
	pjsip := conf(t, "pjsip.conf")
	trunk := pjsip.Object("trunk", "endpoint")
	if trunk == nil {
		t.Fatal("pjsip.conf has no endpoint trunk")
	}
	for key, want := range map[string]string{"context": "from-trunk", "language": "uk"} {
		if got, _ := trunk.Get(key); got != want {
			t.Errorf("endpoint trunk: %s = %q, want %q", key, got, want)
		}
	}
	checkAuthAndAOR(t, pjsip, trunk)
	regs := pjsip.OfType("registration")
	if len(regs) != 1 {
		t.Fatalf("pjsip.conf: want one registration, found %d", len(regs))
	}
	if a, _ := regs[0].Get("outbound_auth"); pjsip.Object(a, "auth") == nil {
		t.Errorf("registration %s: outbound_auth %q is not an auth section", regs[0].Name, a)
	}
	for _, key := range []string{"server_uri", "client_uri"} {
		if v, _ := regs[0].Get(key); !strings.Contains(v, "{{TRUNK_HOST}}") {
			t.Errorf("registration %s: %s = %q should use {{TRUNK_HOST}}", regs[0].Name, key, v)
		}
	}
	ids := pjsip.OfType("identify")
	if len(ids) != 1 {
		t.Fatalf("pjsip.conf: want one identify, found %d", len(ids))
	}
	if ep, _ := ids[0].Get("endpoint"); ep != "trunk" {
		t.Errorf("identify %s: endpoint = %q, want trunk", ids[0].Name, ep)
	}
}

func TestDialplan(t *testing.T) {
	dp := dialplanOf(t)
	app := stasisApp(t, dp)
	if app != "hotline" {
		t.Errorf("Stasis application %q, want hotline", app)
	}
	for _, ctx := range []string{"from-trunk", "operators", "hotline-fallback", "hotline-outbound"} {
		if _, ok := dp.Contexts[ctx]; !ok {
			t.Errorf("extensions.conf has no context [%s]", ctx)
		}
	}

	// Residents' calls: the language is set before Stasis, and the dialplan
	// never answers (the server does).
	for _, exten := range []string{"{{HOTLINE_DID}}", "s"} {
		steps := dp.Extension("from-trunk", exten)
		lang, stasis := -1, -1
		for i, st := range steps {
			switch {
			case strings.EqualFold(st.App, "Set") && strings.ReplaceAll(st.Args, " ", "") == "CHANNEL(language)=uk":
				lang = i
			case strings.EqualFold(st.App, "Stasis") && stasis < 0:
				stasis = i
			}
		}
		if stasis < 0 || lang < 0 || lang > stasis {
			t.Errorf("from-trunk %s: want Set(CHANNEL(language)=uk) then Stasis(%s), got %+v", exten, app, steps)
		}
	}
	for _, st := range dp.Contexts["from-trunk"] {
		if strings.EqualFold(st.App, "Answer") {
			t.Errorf("extensions.conf:%d: from-trunk must not Answer(): the server answers", st.Line)
		}
	}

	// Operators: the internal number and the feature codes.
	if steps := dp.Extension("operators", "1580"); !slices.ContainsFunc(steps, func(s dialplanStep) bool {
		return strings.EqualFold(s.App, "Stasis") && s.Args == app
	}) {
		t.Errorf("operators 1580 does not go to Stasis(%s)", app)
	}
	for code, feature := range map[string]string{"*41": "login", "*42": "logout", "*43": "pause", "*44": "unpause"} {
		want := app + ",feature," + feature
		steps := dp.Extension("operators", code)
		if !slices.ContainsFunc(steps, func(s dialplanStep) bool {
			return strings.EqualFold(s.App, "Stasis") && strings.ReplaceAll(s.Args, " ", "") == want
		}) {
			t.Errorf("operators %s does not go to Stasis(%s)", code, want)
		}
	}

	// Every Goto/GotoIf with a context names one that exists, with that extension.
	for _, st := range append(dp.Steps("Goto"), dp.Steps("GotoIf")...) {
		targets := []string{st.Args}
		if strings.EqualFold(st.App, "GotoIf") {
			_, branches, _ := strings.Cut(st.Args, "?")
			targets = strings.Split(branches, ":")
		}
		for _, target := range targets {
			parts := splitArgs(target)
			if len(parts) != 3 {
				continue // same-context jumps
			}
			if len(dp.Extension(parts[0], parts[1])) == 0 {
				t.Errorf("extensions.conf:%d: %s(%s) jumps to %s,%s, which does not exist", st.Line, st.App, st.Args, parts[0], parts[1])
			}
		}
	}

	// Dialled PJSIP endpoints @name exist in pjsip.conf.
	pjsip := conf(t, "pjsip.conf")
	for _, st := range dp.Steps("Dial") {
		dest := splitArgs(st.Args)[0]
		if _, ep, ok := strings.Cut(dest, "@"); ok && pjsip.Object(ep, "endpoint") == nil {
			t.Errorf("extensions.conf:%d: Dial(%s): no endpoint %s in pjsip.conf", st.Line, st.Args, ep)
		}
	}
}

// TestDialplanPrompts: every sound the dialplan plays exists as a Ukrainian WAV.
func TestDialplanPrompts(t *testing.T) {
	dp := dialplanOf(t)
	n := 0
	for _, app := range []string{"Playback", "Background", "BackGround", "ControlPlayback"} {
		for _, st := range dp.Steps(app) {
			for _, sound := range strings.Split(splitArgs(st.Args)[0], "&") {
				n++
				f := path(t, "asterisk", "sounds", "uk", filepath.FromSlash(sound)+".wav")
				if err := checkWAV(f); err != nil {
					t.Errorf("extensions.conf:%d: %s(%s): %v", st.Line, st.App, st.Args, err)
				}
			}
		}
	}
	if n == 0 {
		t.Error("the dialplan plays no prompt (hotline-fallback should say hotline/line-busy)")
	}
	if !slices.ContainsFunc(dp.Contexts["hotline-fallback"], func(s dialplanStep) bool {
		return strings.EqualFold(s.App, "Playback") && strings.HasPrefix(s.Args, "hotline/line-busy")
	}) {
		t.Error("hotline-fallback does not play hotline/line-busy")
	}
}

// checkWAV: RIFF/WAVE, PCM, 8000 Hz, 16-bit, mono, with audio.
func checkWAV(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" || string(b[12:16]) != "fmt " {
		return fmt.Errorf("%s: not a plain RIFF/WAVE file", file)
	}
	format := binary.LittleEndian.Uint16(b[20:])
	channels := binary.LittleEndian.Uint16(b[22:])
	rate := binary.LittleEndian.Uint32(b[24:])
	bits := binary.LittleEndian.Uint16(b[34:])
	if format != 1 || channels != 1 || rate != 8000 || bits != 16 {
		return fmt.Errorf("%s: format %d, %d channels, %d Hz, %d-bit; want PCM mono 8000 Hz 16-bit", file, format, channels, rate, bits)
	}
	if len(b) < 44+1600 {
		return fmt.Errorf("%s: less than 0.1 s of audio", file)
	}
	return nil
}

func TestMusicOnHold(t *testing.T) {
	moh := conf(t, "musiconhold.conf")
	for _, class := range []string{"default", "hotline"} {
		s := moh.Object(class, "")
		if s == nil {
			t.Errorf("musiconhold.conf has no class [%s]", class)
			continue
		}
		if m, _ := s.Get("mode"); m != "files" {
			t.Errorf("musiconhold.conf [%s] mode = %q, want files", class, m)
		}
	}
	dir := get(t, moh.Object("hotline", ""), "directory")
	files, _ := filepath.Glob(path(t, "asterisk", "sounds", filepath.FromSlash(dir), "*.wav"))
	if len(files) == 0 {
		t.Fatalf("musiconhold.conf [hotline] directory %s: no WAV under asterisk/sounds/%s", dir, dir)
	}
	for _, f := range files {
		if err := checkWAV(f); err != nil {
			t.Error(err)
		}
	}
	// The image puts it where the class looks (astdatadir/<directory>).
	data := get(t, section(t, conf(t, "asterisk.conf"), "directories"), "astdatadir")
	want := "COPY sounds/" + dir + "/ " + data + "/" + dir + "/"
	if !slices.Contains(dockerfileLines(t, "asterisk", "Dockerfile"), want) {
		t.Errorf("asterisk/Dockerfile lacks %q", want)
	}
}

// TestAgainstServerConfig: config/hotline.yaml's defaults name things that
// exist in Asterisk's configuration.
func TestAgainstServerConfig(t *testing.T) {
	cfg := loadConfig(t)
	env := resolvedEnv(t, loadCompose(t).service(t, "hotline"), sampleVars)
	dp := dialplanOf(t)
	pjsip := conf(t, "pjsip.conf")

	if got := effectiveSetting(env, "HOTLINE_ARI_APPLICATION", cfg.ARI.Application); got != stasisApp(t, dp) {
		t.Errorf("the server's ARI application is %q, extensions.conf's Stasis() names %q", got, stasisApp(t, dp))
	}
	user := conf(t, "ari.conf").OfType("user")
	if len(user) == 1 {
		if cfg.ARI.Username != user[0].Name {
			t.Errorf("config ari.username default %q, ari.conf's user is %q", cfg.ARI.Username, user[0].Name)
		}
	}
	if cfg.ARI.URL != "" {
		u, err := url.Parse(cfg.ARI.URL)
		http := section(t, conf(t, "http.conf"), "general")
		if err != nil || u.Port() != get(t, http, "bindport") || u.Path != "/ari" {
			t.Errorf("config ari.url %q does not match http.conf (port %s, path /ari)", cfg.ARI.URL, get(t, http, "bindport"))
		}
	}
	if fc := effectiveSetting(env, "HOTLINE_CALLS_FALLBACK_CONTEXT", cfg.Calls.FallbackContext); fc != "" {
		if _, ok := dp.Contexts[fc]; !ok {
			t.Errorf("calls.fallback_context %q is not a context of extensions.conf", fc)
		}
	}
	// The channel language is the sounds directory and the endpoints' language.
	if lang := cfg.Calls.Language; lang != "" {
		if st, err := os.Stat(path(t, "asterisk", "sounds", lang)); err != nil || !st.IsDir() {
			t.Errorf("calls.language %q: no asterisk/sounds/%s", lang, lang)
		}
		for _, ep := range pjsip.OfType("endpoint") {
			if l, _ := ep.Get("language"); l != lang {
				t.Errorf("endpoint %s language %q, calls.language %q", ep.Name, l, lang)
			}
		}
	}
	moh := conf(t, "musiconhold.conf")
	for _, q := range cfg.Queues {
		if q.MOHClass != "" && moh.Object(q.MOHClass, "") == nil {
			t.Errorf("queue %s: moh_class %q is not in musiconhold.conf", q.Name, q.MOHClass)
		}
	}
	endpoint := func(where, dial string) {
		name, ok := strings.CutPrefix(dial, "PJSIP/")
		if !ok {
			return // an external number, dialled through the trunk
		}
		if _, at, ok := strings.Cut(name, "@"); ok {
			name = at
		}
		if pjsip.Object(name, "endpoint") == nil {
			t.Errorf("%s %q: no endpoint %s in pjsip.conf", where, dial, name)
		}
	}
	for _, op := range cfg.Operators {
		endpoint("operator "+op.ID, op.Endpoint)
	}
	if cfg.Escalation.TrunkEndpoint != "" {
		endpoint("escalation.trunk_endpoint", cfg.Escalation.TrunkEndpoint)
	}
	for _, r := range cfg.Escalation.Roster {
		for _, p := range r.People {
			endpoint("escalation roster "+p.Name, p.Phone)
		}
	}
}

// --- Dockerfiles ------------------------------------------------------------------------

// dockerfileLines returns a Dockerfile's instructions, continuation lines
// joined and spaces collapsed, comments dropped.
func dockerfileLines(t *testing.T, elem ...string) []string {
	t.Helper()
	data, err := os.ReadFile(path(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	cur := ""
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (cur == "" && trimmed == "") {
			continue
		}
		cont := strings.HasSuffix(trimmed, "\\")
		cur += " " + strings.TrimSuffix(trimmed, "\\")
		if !cont {
			out = append(out, strings.Join(strings.Fields(cur), " "))
			cur = ""
		}
	}
	return out
}

func withPrefix(lines []string, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func TestAsteriskDockerfile(t *testing.T) {
	lines := dockerfileLines(t, "asterisk", "Dockerfile")
	from := withPrefix(lines, "FROM ")
	if len(from) != 1 {
		t.Fatalf("asterisk/Dockerfile: want one FROM, got %q", from)
	}
	img := strings.Fields(from[0])[1]
	if _, tag, ok := strings.Cut(img, ":"); !ok || tag == "latest" || tag == "" {
		t.Errorf("asterisk/Dockerfile: base image %q must be pinned to a release", img)
	}
	data := get(t, section(t, conf(t, "asterisk.conf"), "directories"), "astdatadir")
	for _, want := range []string{
		"COPY sounds/uk/ " + data + "/sounds/uk/",
		"COPY *.conf /usr/local/share/hotline-asterisk/",
		"COPY --chmod=0755 docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh",
		`ENTRYPOINT ["docker-entrypoint.sh"]`,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("asterisk/Dockerfile lacks %q", want)
		}
	}
	if hc := withPrefix(lines, "HEALTHCHECK "); len(hc) != 1 || !strings.Contains(hc[0], "core show uptime") {
		t.Errorf("asterisk/Dockerfile: health check %q", hc)
	}
	cmd := withPrefix(lines, "CMD ")
	if len(cmd) != 1 || !strings.Contains(cmd[0], `"asterisk", "-f"`) {
		t.Errorf("asterisk/Dockerfile: CMD %q should run asterisk -f", cmd)
	}
	// EXPOSE lists the RTP range of rtp.conf.
	rtp := section(t, conf(t, "rtp.conf"), "general")
	rng := get(t, rtp, "rtpstart") + "-" + get(t, rtp, "rtpend") + "/udp"
	if exp := withPrefix(lines, "EXPOSE "); len(exp) != 1 || !strings.Contains(exp[0], rng) {
		t.Errorf("asterisk/Dockerfile: EXPOSE %q lacks %s", exp, rng)
	}
}

func TestHotlineDockerfile(t *testing.T) {
	lines := dockerfileLines(t, "Dockerfile")
	from := withPrefix(lines, "FROM ")
	if len(from) != 2 {
		t.Fatalf("Dockerfile: want a build and a runtime stage, got %q", from)
	}
	// The build stage uses go.mod's Go version.
	gomod, err := os.ReadFile(path(t, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	if want := "FROM golang:" + string(m[1]) + " AS build"; from[0] != want {
		t.Errorf("Dockerfile: %q, want %q", from[0], want)
	}
	if img := strings.Fields(from[1])[1]; !strings.Contains(img, ":") || strings.HasSuffix(img, ":latest") {
		t.Errorf("Dockerfile: runtime image %q must be pinned", img)
	}
	for _, want := range []string{
		"COPY config/hotline.yaml /etc/hotline/hotline.yaml",
		`CMD ["serve", "-c", "/etc/hotline/hotline.yaml"]`,
		`ENTRYPOINT ["hotline"]`,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if !slices.ContainsFunc(lines, func(l string) bool {
		return strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") && strings.HasSuffix(l, "./cmd/hotline")
	}) {
		t.Error("Dockerfile does not build ./cmd/hotline")
	}
	if _, err := os.Stat(path(t, "cmd", "hotline")); err != nil {
		t.Errorf("Dockerfile builds ./cmd/hotline: %v", err)
	}
	if hc := withPrefix(lines, "HEALTHCHECK "); len(hc) != 1 || !strings.Contains(hc[0], "/healthz") {
		t.Errorf("Dockerfile: health check %q should ask /healthz", hc)
	}
	if !slices.Contains(lines, "USER hotline") {
		t.Error("Dockerfile: the server should not run as root (USER hotline)")
	}
	// Secrets and local data stay out of the build context.
	ignore, err := os.ReadFile(path(t, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".env", ".data", ".git"} {
		if !slices.Contains(strings.Fields(string(ignore)), p) {
			t.Errorf(".dockerignore does not exclude %s", p)
		}
	}
}

// --- the entrypoint ----------------------------------------------------------------------

// runEntrypoint runs docker-entrypoint.sh with the templates of this
// directory, writing the config to a temporary directory, and "true" as the
// command instead of asterisk.
func runEntrypoint(t *testing.T, vars map[string]string) (string, string, error) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run docker-entrypoint.sh")
	}
	if _, err := exec.LookPath("awk"); err != nil {
		t.Skip("no awk to run docker-entrypoint.sh")
	}
	out := t.TempDir()
	cmd := exec.Command(sh, path(t, "asterisk", "docker-entrypoint.sh"), "true")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOTLINE_ASTERISK_TEMPLATES=" + path(t, "asterisk"),
		"ASTERISK_CONFIG_DIR=" + filepath.Join(out, "etc"),
		"ASTERISK_RECORDING_DIR=" + filepath.Join(out, "recording"),
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	return filepath.Join(out, "etc"), stderr.String(), err
}

func TestEntrypointRendersConfig(t *testing.T) {
	vars := map[string]string{
		"ASTERISK_ARI_PASSWORD":     `a&b\c|d/e$f`, // characters sed would trip over
		"ASTERISK_EXTERNAL_IP":      "192.0.2.10",
		"OPERATOR_PASSWORD_DEFAULT": "op-default",
		"OPERATOR_PASSWORD_OP102":   "op102-own",
		"TRUNK_HOST":                "sip.provider.example",
		"TRUNK_USERNAME":            "slobozhanske",
		"TRUNK_PASSWORD":            "trunk-secret",
		"MONITOR_PASSWORD":          "monitor-secret",
	}
	etc, stderr, err := runEntrypoint(t, vars)
	if err != nil {
		t.Fatalf("docker-entrypoint.sh: %v\n%s", err, stderr)
	}
	templates, _ := filepath.Glob(path(t, "asterisk", "*.conf"))
	for _, tmpl := range templates {
		rendered := filepath.Join(etc, filepath.Base(tmpl))
		cf, err := parseConf(rendered)
		if err != nil {
			t.Fatalf("rendered %s: %v", filepath.Base(tmpl), err)
		}
		for _, s := range cf.Sections {
			for _, l := range s.Lines {
				if placeholder.MatchString(l.Value) {
					t.Errorf("rendered %s [%s] %s = %s: placeholder left", filepath.Base(tmpl), s.Name, l.Key, l.Value)
				}
			}
		}
	}
	ari, err := parseConf(filepath.Join(etc, "ari.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := ari.Object("hotline", "user").Get("password"); pw != vars["ASTERISK_ARI_PASSWORD"] {
		t.Errorf("ari.conf password %q, want %q", pw, vars["ASTERISK_ARI_PASSWORD"])
	}
	pjsip, err := parseConf(filepath.Join(etc, "pjsip.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"op101": "op-default", "op102": "op102-own", "duty1": "op-default"} {
		if pw, _ := pjsip.Object(id, "auth").Get("password"); pw != want {
			t.Errorf("%s password %q, want %q", id, pw, want)
		}
	}
	if pw, _ := pjsip.Object("monitor", "auth").Get("password"); pw != vars["MONITOR_PASSWORD"] {
		t.Errorf("monitor password %q, want MONITOR_PASSWORD's", pw)
	}
	if m, _ := pjsip.Object("trunk-identify", "identify").Get("match"); m != vars["TRUNK_HOST"] {
		t.Errorf("trunk identify match = %q, want TRUNK_HOST by default", m)
	}
	if uri, _ := pjsip.Object("trunk-reg", "registration").Get("server_uri"); uri != "sip:sip.provider.example:5060" {
		t.Errorf("registration server_uri = %q", uri)
	}
	ext, err := parseConf(filepath.Join(etc, "extensions.conf"))
	if err != nil {
		t.Fatal(err)
	}
	dp, err := parseDialplan(ext)
	if err != nil {
		t.Fatal(err)
	}
	if len(dp.Extension("from-trunk", "_[+0-9a-zA-Z].")) == 0 {
		t.Error("without HOTLINE_DID, from-trunk should accept any number")
	}

	vars["HOTLINE_DID"] = "+380577001580"
	etc, stderr, err = runEntrypoint(t, vars)
	if err != nil {
		t.Fatalf("docker-entrypoint.sh: %v\n%s", err, stderr)
	}
	ext, _ = parseConf(filepath.Join(etc, "extensions.conf"))
	if dp, _ = parseDialplan(ext); len(dp.Extension("from-trunk", "+380577001580")) == 0 {
		t.Error("HOTLINE_DID is not the from-trunk extension")
	}
}

func TestEntrypointRefusesMissingSecrets(t *testing.T) {
	_, stderr, err := runEntrypoint(t, map[string]string{"ASTERISK_EXTERNAL_IP": "192.0.2.10"})
	if err == nil {
		t.Fatal("docker-entrypoint.sh started without passwords")
	}
	for _, v := range []string{"ASTERISK_ARI_PASSWORD", "OPERATOR_PASSWORD_OP101", "TRUNK_HOST", "TRUNK_PASSWORD", "MONITOR_PASSWORD"} {
		if !strings.Contains(stderr, v) {
			t.Errorf("the error does not name %s:\n%s", v, stderr)
		}
	}
	_, stderr, err = runEntrypoint(t, map[string]string{
		"ASTERISK_ARI_PASSWORD": "semi;colon", "ASTERISK_EXTERNAL_IP": "192.0.2.10",
		"OPERATOR_PASSWORD_DEFAULT": "x", "TRUNK_HOST": "h", "TRUNK_USERNAME": "u", "TRUNK_PASSWORD": "p",
	})
	if err == nil || !strings.Contains(stderr, "ASTERISK_ARI_PASSWORD") {
		t.Errorf("a password with ';' (a comment in Asterisk's config) was accepted: %v\n%s", err, stderr)
	}
}

// --- capacity, modules and the server's probes (issue 10) ---------------------------

// rtpRange is rtp.conf's rtpstart–rtpend.
func rtpRange(t *testing.T) (int, int) {
	t.Helper()
	rtp := section(t, conf(t, "rtp.conf"), "general")
	start, err1 := strconv.Atoi(get(t, rtp, "rtpstart"))
	end, err2 := strconv.Atoi(get(t, rtp, "rtpend"))
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("rtp.conf: %v", err)
	}
	if start >= end {
		t.Fatalf("rtp.conf: rtpstart %d is not below rtpend %d", start, end)
	}
	return start, end
}

// serverConfig is config/hotline.yaml as the server reads it (the config
// package's own Load: defaults, item defaults, validation), so the checks
// follow the real config rather than a copy of its schema.
func serverConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(path(t, "config", "hotline.yaml"))
	if err != nil {
		t.Fatalf("config/hotline.yaml: %v", err)
	}
	return cfg
}

// rtpMargin is how many times the RTP range must hold the most legs
// config/hotline.yaml can need at once: room for a larger burst than
// counted, for ports Asterisk has not released yet from calls that just
// ended, and for ports another process on the host holds.
const rtpMargin = 2

// TestRTPRangeCarriesTheConfiguredCalls: rtp.conf's range carries, with
// rtpMargin to spare, the most call legs config/hotline.yaml allows at once.
// Every leg holds one even port for RTP and the odd one above it for RTCP.
// The old range 10000–10100 (about 50 legs) refused calls with 488 "Unable
// to create RTP instance" at 60 simultaneous calls on a real Asterisk.
func TestRTPRangeCarriesTheConfiguredCalls(t *testing.T) {
	cfg := serverConfig(t)
	start, end := rtpRange(t)
	if start%2 != 0 {
		t.Errorf("rtp.conf: rtpstart %d is odd; Asterisk puts RTP on even ports, so one port is lost", start)
	}
	legs := (end - start + 1) / 2

	// Residents on hold: every queue full.
	waiting := 0
	for _, q := range cfg.Queues {
		waiting += q.MaxLength
	}
	// Every configured operator talking: the resident's leg and the operator's.
	talking := 2 * len(cfg.Operators)
	// Every phone of the duty roster on an escalation call at once, each
	// with its SOS caller still on the line (keep_caller_on_line) or just
	// recorded: the caller's leg and the duty leg.
	phones := map[string]bool{}
	for _, shift := range cfg.Escalation.Roster {
		for _, p := range shift.People {
			phones[p.Phone] = true
		}
	}
	escalation := 2 * len(phones)
	// Callers still in the menu: a burst as large as the queues hold,
	// arriving while they are full (each hears the menu before it is told so).
	menu := waiting
	need := waiting + talking + escalation + menu
	t.Logf("RTP %d–%d: %d legs; at most %d needed (%d waiting, %d talking, %d escalation, %d in the menu)",
		start, end, legs, need, waiting, talking, escalation, menu)
	if legs < rtpMargin*need {
		t.Errorf("rtp.conf %d–%d carries %d legs; config/hotline.yaml can need %d at once "+
			"(%d waiting in full queues, %d talking with operators, %d on escalation calls, %d in the menu): "+
			"widen it to at least %d ports (%d× margin), here, in docker-compose.yml and in the Dockerfile's EXPOSE",
			start, end, legs, need, waiting, talking, escalation, menu, 2*rtpMargin*need, rtpMargin)
	}
}

// TestRTPRangeIsPublishedExactly: docker-compose.yml publishes exactly
// rtp.conf's range (one-to-one, UDP), the Dockerfile EXPOSEs exactly it,
// and UDPTL (T.38) stays inside it, so no voice port is left unreachable
// and none is opened for nothing.
func TestRTPRangeIsPublishedExactly(t *testing.T) {
	start, end := rtpRange(t)
	want := fmt.Sprintf("%d-%d/udp", start, end)
	var published []string
	for _, p := range loadCompose(t).service(t, "asterisk").ports(t) {
		if p.Protocol != "udp" || (p.TargetFirst == 5060 && p.TargetLst == 5060) {
			continue
		}
		published = append(published, fmt.Sprintf("%d-%d:%d-%d/udp", p.HostFirst, p.HostLast, p.TargetFirst, p.TargetLst))
	}
	if wantPort := fmt.Sprintf("%d-%d:%d-%d/udp", start, end, start, end); !slices.Equal(published, []string{wantPort}) {
		t.Errorf("docker-compose.yml publishes the UDP ports %q besides SIP; want exactly %q (rtp.conf)", published, wantPort)
	}

	var exposed []string
	for _, l := range withPrefix(dockerfileLines(t, "asterisk", "Dockerfile"), "EXPOSE ") {
		for _, p := range strings.Fields(l)[1:] {
			if strings.HasSuffix(p, "/udp") && p != "5060/udp" {
				exposed = append(exposed, p)
			}
		}
	}
	if !slices.Equal(exposed, []string{want}) {
		t.Errorf("asterisk/Dockerfile EXPOSEs the UDP ports %q besides SIP; want exactly %q (rtp.conf)", exposed, want)
	}

	udptl := section(t, conf(t, "udptl.conf"), "general")
	first, err1 := strconv.Atoi(get(t, udptl, "udptlstart"))
	last, err2 := strconv.Atoi(get(t, udptl, "udptlend"))
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("udptl.conf: %v", err)
	}
	if first < start || last > end || first > last {
		t.Errorf("udptl.conf %d–%d is not inside the published range %d–%d", first, last, start, end)
	}
}

// moduleConfig is a configuration file a part of Asterisk reads when it
// loads.
type moduleConfig struct {
	module  string // "res_pjsip.so"; "core" for Asterisk's core, which always loads
	pkg     string // the Alpine package that installs the module
	file    string
	absence string // what Asterisk does when the file is missing
}

// moduleConfigs is every module of the image that reads a config file and
// that this deployment has to account for. The first group is what the real
// Asterisk 22.10.1 of issue 10 logged at start with the configuration of
// this directory, one ERROR line per missing file ("… .conf not found",
// five times for pjsip_wizard.conf; res_pjsip_notify and res_prometheus then
// declined to load). The second group is what the hotline itself relies on;
// ccss.conf is read by the core too, which only warns without it. A module
// added to the image, or an ERROR line seen on a new Asterisk, gets a line
// here.
var moduleConfigs = []moduleConfig{
	{"core", "asterisk", "acl.conf", "ERROR (named ACLs)"},
	{"core", "asterisk", "cel.conf", "ERROR (channel event logging)"},
	{"core", "asterisk", "features.conf", "ERROR (call features)"},
	{"core", "asterisk", "udptl.conf", "ERROR (T.38)"},
	{"res_pjproject.so", "asterisk", "pjproject.conf", "ERROR"},
	{"res_prometheus.so", "asterisk", "prometheus.conf", "ERROR, declines to load"},
	{"res_pjsip_notify.so", "asterisk", "pjsip_notify.conf", "ERROR, declines to load"},
	{"res_pjsip_config_wizard.so", "asterisk", "pjsip_wizard.conf", "ERROR, five times"},
	{"chan_websocket.so", "asterisk", "chan_websocket.conf", "ERROR"},
	{"res_websocket_client.so", "asterisk", "websocket_client.conf", "ERROR"},

	{"core", "asterisk", "ccss.conf", "WARNING (call completion defaults)"},
	{"core", "asterisk", "asterisk.conf", "starts with built-in directories"},
	{"core", "asterisk", "modules.conf", "loads nothing but the core"},
	{"core", "asterisk", "logger.conf", "logs to the console only, with defaults"},
	{"core", "asterisk", "http.conf", "no web server: no ARI"},
	{"core", "asterisk", "indications.conf", "no Ukrainian tones"},
	{"core", "asterisk", "cdr.conf", "writes CDRs"},
	{"res_pjsip.so", "asterisk", "pjsip.conf", "no SIP"},
	{"res_ari.so", "asterisk", "ari.conf", "no ARI"},
	{"res_rtp_asterisk.so", "asterisk", "rtp.conf", "RTP on 5000–31000, unpublished"},
	{"res_musiconhold.so", "asterisk", "musiconhold.conf", "no hold music"},
	{"pbx_config.so", "asterisk", "extensions.conf", "no dialplan"},
}

// imageModules is what asterisk/Dockerfile installs and modules.conf loads.
type imageModules struct {
	packages map[string]bool // apk packages installed
	disabled map[string]bool // modules a source build leaves out (menuselect --disable)
	autoload bool
	load     map[string]bool // load => / preload =>
	noload   map[string]bool
}

func readImageModules(t *testing.T) imageModules {
	t.Helper()
	im := imageModules{packages: map[string]bool{}, disabled: map[string]bool{}, load: map[string]bool{}, noload: map[string]bool{}}
	for _, l := range withPrefix(dockerfileLines(t, "asterisk", "Dockerfile"), "RUN ") {
		f := strings.Fields(l)
		for i := 0; i+1 < len(f); i++ {
			switch {
			case f[i] == "apk" && f[i+1] == "add":
				for _, p := range f[i+2:] {
					if p == "&&" || p == ";" {
						break
					}
					if !strings.HasPrefix(p, "-") {
						im.packages[p] = true
					}
				}
			case strings.HasSuffix(f[i], "menuselect") && f[i+1] != "":
				// A source build: "menuselect/menuselect --disable res_x …".
				for j := i + 1; j+1 < len(f); j++ {
					if f[j] == "--disable" {
						im.disabled[f[j+1]+".so"] = true
					}
				}
			}
		}
	}
	mods := section(t, conf(t, "modules.conf"), "modules")
	im.autoload = get(t, mods, "autoload") == "yes"
	for _, l := range mods.Lines {
		switch l.Key {
		case "load", "preload", "require", "preload-require":
			im.load[l.Value] = true
		case "noload":
			im.noload[l.Value] = true
		}
	}
	return im
}

// loads reports whether the image runs the module.
func (im imageModules) loads(m moduleConfig) bool {
	if !im.packages[m.pkg] || im.disabled[m.module] {
		return false
	}
	return m.module == "core" || im.load[m.module] || (im.autoload && !im.noload[m.module])
}

// TestEveryLoadedModuleHasItsConfig: Asterisk starts without an ERROR line
// from the shipped configuration: every module of moduleConfigs that the
// image installs and modules.conf loads has its file in this directory
// (which the entrypoint renders into /etc/asterisk), and the rest are
// noload'ed.
func TestEveryLoadedModuleHasItsConfig(t *testing.T) {
	im := readImageModules(t)
	if !im.packages["asterisk"] {
		t.Fatalf("asterisk/Dockerfile does not install the asterisk package (installs %v); update moduleConfigs for the new build", im.packages)
	}
	for mod := range im.noload {
		if !strings.HasSuffix(mod, ".so") {
			t.Errorf("modules.conf: noload => %s is not a module file name (….so)", mod)
		}
	}
	for _, m := range moduleConfigs {
		_, err := os.Stat(path(t, "asterisk", m.file))
		shipped := err == nil
		switch loads := im.loads(m); {
		case loads && !shipped && m.module == "core":
			t.Errorf("Asterisk's core reads %s, which asterisk/ lacks: ship it (without it: %s)", m.file, m.absence)
		case loads && !shipped:
			t.Errorf("%s loads (modules.conf) and reads %s, which asterisk/ lacks: ship it or noload the module (without it: %s)", m.module, m.file, m.absence)
		case loads:
			if _, err := parseConf(path(t, "asterisk", m.file)); err != nil {
				t.Errorf("%s reads %s: %v", m.module, m.file, err)
			}
		case m.module == "core":
			t.Errorf("the core does not load? (%s, %v)", m.file, im.packages)
		default:
			t.Logf("%s is not loaded; %s not needed", m.module, m.file)
		}
	}
	// The configuration of a module that does not load would mislead whoever
	// reads this directory.
	for _, m := range moduleConfigs {
		if _, err := os.Stat(path(t, "asterisk", m.file)); err == nil && !im.loads(m) {
			t.Errorf("asterisk/%s is shipped but %s is noload'ed", m.file, m.module)
		}
	}
}

// TestShippedConfigsAreWellFormed: every asterisk/*.conf parses (sections,
// key = value lines, templates defined before use), and every one is read
// by a module of moduleConfigs, so no file sits here that nothing reads.
func TestShippedConfigsAreWellFormed(t *testing.T) {
	files, err := filepath.Glob(path(t, "asterisk", "*.conf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no asterisk/*.conf: %v", err)
	}
	read := map[string]bool{}
	for _, m := range moduleConfigs {
		read[m.file] = true
	}
	for _, f := range files {
		if _, err := parseConf(f); err != nil {
			t.Error(err)
		}
		if !read[filepath.Base(f)] {
			t.Errorf("asterisk/%s: no module of moduleConfigs reads it", filepath.Base(f))
		}
	}
}

// TestAsteriskMetricsReachPrometheus: res_prometheus serves Asterisk's
// metrics on the web server of http.conf (the one that carries ARI), and the
// stack's Prometheus scrapes them there.
func TestAsteriskMetricsReachPrometheus(t *testing.T) {
	prom := section(t, conf(t, "prometheus.conf"), "general")
	if v := get(t, prom, "enabled"); v != "yes" {
		t.Errorf("prometheus.conf enabled = %q, want yes", v)
	}
	uri := "metrics"
	if v, ok := prom.Get("uri"); ok {
		uri = v
	}
	if _, ok := prom.Get("auth_username"); ok {
		t.Error("prometheus.conf sets auth_username; deploy/prometheus.yml would need the credentials")
	}
	http := section(t, conf(t, "http.conf"), "general")
	if v := get(t, http, "enabled"); v != "yes" {
		t.Errorf("http.conf enabled = %q: res_prometheus has no web server to serve on", v)
	}
	if p, _ := http.Get("prefix"); p != "" {
		uri = strings.Trim(p, "/") + "/" + uri
	}
	target := "asterisk:" + get(t, http, "bindport")

	cfg := loadPrometheus(t)
	found := false
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			if !slices.Contains(st.Targets, target) {
				continue
			}
			found = true
			mp := sc.MetricsPath
			if mp == "" {
				mp = "/metrics"
			}
			if mp != "/"+uri {
				t.Errorf("prometheus job %s scrapes %s%s; res_prometheus serves /%s", sc.JobName, target, mp, uri)
			}
		}
	}
	if !found {
		t.Errorf("deploy/prometheus.yml does not scrape Asterisk at %s/%s", target, uri)
	}
}

// TestSIPProbeIsAKnownEndpoint: the server's SIP OPTIONS probe
// (telephony/sipprobe) is identified by its From user as an endpoint of its
// own, so Asterisk answers it instead of logging "No matching endpoint
// found" every 30 s; the endpoint can do nothing else.
func TestSIPProbeIsAKnownEndpoint(t *testing.T) {
	pjsip := conf(t, "pjsip.conf")
	ep := pjsip.Object(sipprobe.Identity, "endpoint")
	if ep == nil {
		t.Fatalf("pjsip.conf has no endpoint [%s] (sipprobe.Identity, the probe's From user)", sipprobe.Identity)
	}
	if by := strings.Split(get(t, ep, "identify_by"), ","); !slices.Contains(by, "username") {
		t.Errorf("endpoint %s: identify_by = %q, want username (the probe's address changes with its container)", ep.Name, by)
	}
	order := strings.Split(get(t, section(t, pjsip, "global"), "endpoint_identifier_order"), ",")
	if !slices.Contains(order, "username") {
		t.Errorf("pjsip.conf [global] endpoint_identifier_order = %q: the username identifier does not run", order)
	}
	// Nothing to register as, nothing to authenticate, no codec for a call.
	for _, key := range []string{"aors", "auth", "outbound_auth", "allow"} {
		if v, ok := ep.Get(key); ok {
			t.Errorf("endpoint %s: %s = %q; the probe's endpoint must not take calls or registrations", ep.Name, key, v)
		}
	}
	if v := get(t, ep, "disallow"); v != "all" {
		t.Errorf("endpoint %s: disallow = %q, want all", ep.Name, v)
	}
	// Its context refuses whatever reaches it.
	ctx := get(t, ep, "context")
	steps, ok := dialplanOf(t).Contexts[ctx]
	if !ok || len(steps) == 0 {
		t.Fatalf("endpoint %s: context %q is not in extensions.conf", ep.Name, ctx)
	}
	for _, st := range steps {
		if !strings.EqualFold(st.App, "Hangup") {
			t.Errorf("extensions.conf:%d: [%s] runs %s(%s); it must only hang up", st.Line, ctx, st.App, st.Args)
		}
	}
	// The probe in the stack targets a transport this endpoint can be reached on.
	env := resolvedEnv(t, loadCompose(t).service(t, "hotline"), sampleVars)
	host, port, err := net.SplitHostPort(env["HOTLINE_SIP_PROBE_TARGET"])
	if err != nil || host != "asterisk" {
		t.Fatalf("HOTLINE_SIP_PROBE_TARGET = %q, want asterisk:<SIP port>", env["HOTLINE_SIP_PROBE_TARGET"])
	}
	cfg := serverConfig(t)
	transport := effectiveSetting(env, "HOTLINE_SIP_PROBE_TRANSPORT", cfg.SIP.ProbeTransport)
	bound := false
	for _, tr := range pjsip.OfType("transport") {
		p, _ := tr.Get("protocol")
		b, _ := tr.Get("bind")
		if _, bp, _ := net.SplitHostPort(b); p == transport && bp == port {
			bound = true
		}
	}
	if !bound {
		t.Errorf("the probe sends %s to port %s; pjsip.conf has no %s transport there", transport, port, transport)
	}
}

// soundLength is how long a shipped prompt plays (checkWAV's format: 8000
// Hz, 16-bit mono; any chunk besides the audio counts too, which only
// errs long).
func soundLength(t *testing.T, id string) time.Duration {
	t.Helper()
	f := path(t, "asterisk", "sounds", "uk", "hotline", id+".wav")
	if err := checkWAV(f); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(st.Size()-44) * time.Second / (8000 * 2)
}

// TestSOSPromptsFitTheDutyCallBound: the prompts of the SOS dialogue (ivr's
// sos-intro, and around each recording sos-record, the beep and
// recording-empty) play within the time config counts for them when it
// bounds the wait for the duty call (config.Escalation.SOSWorstWait against
// escalation.dial_within), so the bound holds with the shipped sounds.
func TestSOSPromptsFitTheDutyCallBound(t *testing.T) {
	intro := soundLength(t, "sos-intro")
	attempt := soundLength(t, "sos-record") + soundLength(t, "beep") + soundLength(t, "recording-empty")
	if intro > config.SOSIntroPromptTime {
		t.Errorf("sos-intro plays %s; config.SOSIntroPromptTime counts %s", intro, config.SOSIntroPromptTime)
	}
	if attempt > config.SOSAttemptPromptTime {
		t.Errorf("sos-record, the beep and recording-empty play %s; config.SOSAttemptPromptTime counts %s", attempt, config.SOSAttemptPromptTime)
	}
	e := serverConfig(t).Escalation
	attempts := time.Duration(e.RecordRetries + 1)
	if worst := intro + attempts*(attempt+e.RecordMax); worst > e.DialWithin {
		t.Errorf("with the shipped sounds an SOS without audio waits %s for the duty call; escalation.dial_within is %s", worst, e.DialWithin)
	}
}

// --- the server's probe call (issue 19) ---------------------------------------------

// TestProbeCallEndpoint: the server's probe call (telephony/sipcall, config
// probe_call) reaches the hotline through the endpoint monitor: the user
// and number the server's config names, a password from the environment
// that Asterisk and the server get from one variable, G.711 and RFC 4733
// like a resident's phone, a context that hands the number to the Stasis
// application, the compose stack calling the SIP transport, and an alert
// on two failures in a row that Prometheus loads.
func TestProbeCallEndpoint(t *testing.T) {
	pjsip := conf(t, "pjsip.conf")
	cfg := serverConfig(t)
	c := loadCompose(t)
	env := resolvedEnv(t, c.service(t, "hotline"), sampleVars)
	user := effectiveSetting(env, "HOTLINE_PROBE_CALL_USERNAME", cfg.ProbeCall.Username)
	number := effectiveSetting(env, "HOTLINE_PROBE_CALL_NUMBER", cfg.ProbeCall.Number)

	ep := pjsip.Object(user, "endpoint")
	if ep == nil {
		t.Fatalf("pjsip.conf has no endpoint [%s] (probe_call.username)", user)
	}
	if by := strings.Split(get(t, ep, "identify_by"), ","); !slices.Contains(by, "username") {
		t.Errorf("endpoint %s: identify_by = %q, want username", ep.Name, by)
	}
	for key, want := range map[string]string{"language": "uk", "dtmf_mode": "rfc4733", "direct_media": "no",
		"rtp_symmetric": "yes", "force_rport": "yes", "disallow": "all"} {
		if got, _ := ep.Get(key); got != want {
			t.Errorf("endpoint %s: %s = %q, want %q", ep.Name, key, got, want)
		}
	}
	allow := strings.Split(strings.Join(ep.All("allow"), ","), ",")
	for _, codec := range []string{"alaw", "ulaw"} { // what sipcall offers
		if !slices.Contains(allow, codec) {
			t.Errorf("endpoint %s does not allow %s (allow = %v)", ep.Name, codec, allow)
		}
	}
	if v, ok := ep.Get("aors"); ok {
		t.Errorf("endpoint %s: aors = %q; nothing should register as the probe", ep.Name, v)
	}
	auth := pjsip.Object(get(t, ep, "auth"), "auth")
	if auth == nil {
		t.Fatalf("endpoint %s: auth %q is not an auth section", ep.Name, get(t, ep, "auth"))
	}
	if u := get(t, auth, "username"); u != user {
		t.Errorf("auth %s: username %q, the server calls as %q", auth.Name, u, user)
	}
	pw := placeholder.FindStringSubmatch(get(t, auth, "password"))
	if pw == nil {
		t.Fatalf("auth %s: the password must come from the environment ({{VARIABLE}})", auth.Name)
	}
	// One secret, one variable, required on both sides.
	astRaw := c.service(t, "asterisk").env()[pw[1]]
	raw := c.service(t, "hotline").env()["HOTLINE_PROBE_CALL_PASSWORD"]
	hv, av := varsIn(raw), varsIn(astRaw)
	if len(hv) != 1 || len(av) != 1 || hv[0] != av[0] || !strings.Contains(raw, ":?") || !strings.Contains(astRaw, ":?") {
		t.Errorf("HOTLINE_PROBE_CALL_PASSWORD (%q) and the asterisk service's %s (%q) must be one required variable", raw, pw[1], astRaw)
	}

	// The context hands the number to the hotline's Stasis application, and
	// nothing else can be dialled from it.
	dp := dialplanOf(t)
	ctx := get(t, ep, "context")
	steps := dp.Extension(ctx, number)
	if !slices.ContainsFunc(steps, func(s dialplanStep) bool {
		return strings.EqualFold(s.App, "Stasis") && splitArgs(s.Args)[0] == stasisApp(t, dp)
	}) {
		t.Errorf("[%s] %s does not go to Stasis(%s): %+v", ctx, number, stasisApp(t, dp), steps)
	}
	for _, st := range dp.Contexts[ctx] {
		if st.Exten != number {
			t.Errorf("extensions.conf:%d: [%s] has extension %s besides %s", st.Line, ctx, st.Exten, number)
		}
		if strings.EqualFold(st.App, "Playback") || strings.Contains(st.Args, "hotline-fallback") {
			t.Errorf("extensions.conf:%d: [%s] plays or falls back to a message the probe would take for an answer", st.Line, ctx)
		}
	}

	// The stack's server calls the UDP transport (sipcall is UDP only).
	host, port, err := net.SplitHostPort(env["HOTLINE_PROBE_CALL_TARGET"])
	if err != nil || host != "asterisk" {
		t.Fatalf("HOTLINE_PROBE_CALL_TARGET = %q, want asterisk:<SIP port>: the compose stack enables the probe", env["HOTLINE_PROBE_CALL_TARGET"])
	}
	bound := false
	for _, tr := range pjsip.OfType("transport") {
		p, _ := tr.Get("protocol")
		b, _ := tr.Get("bind")
		if _, bp, _ := net.SplitHostPort(b); p == "udp" && bp == port {
			bound = true
		}
	}
	if !bound {
		t.Errorf("the probe calls UDP port %s; pjsip.conf has no udp transport there", port)
	}
	if every := effectiveSetting(env, "HOTLINE_PROBE_CALL_EVERY", cfg.ProbeCall.Every.String()); every == "0s" || every == "0" {
		t.Errorf("probe_call.every is %s in the stack: no periodic probe", every)
	}

	// Prometheus loads the rules file compose mounts, and it alerts on two
	// failures in a row.
	var prom struct {
		RuleFiles []string `yaml:"rule_files"`
	}
	data, err := os.ReadFile(path(t, "deploy", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &prom); err != nil {
		t.Fatal(err)
	}
	mounted := c.service(t, "prometheus").mounts()["./deploy/prometheus-rules.yml"]
	if mounted == "" || !slices.Contains(prom.RuleFiles, mounted) {
		t.Fatalf("prometheus mounts deploy/prometheus-rules.yml at %q; prometheus.yml loads %v", mounted, prom.RuleFiles)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	data, err = os.ReadFile(path(t, "deploy", "prometheus-rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatalf("deploy/prometheus-rules.yml: %v", err)
	}
	found := false
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" && strings.ReplaceAll(r.Expr, " ", "") == "hotline_probe_call_consecutive_failures>=2" {
				found = true
			}
		}
	}
	if !found {
		t.Error("deploy/prometheus-rules.yml has no alert on hotline_probe_call_consecutive_failures >= 2")
	}
}

// prometheusConfig is the part of deploy/prometheus.yml the checks read.
type prometheusConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func loadPrometheus(t *testing.T) prometheusConfig {
	t.Helper()
	var prom prometheusConfig
	data, err := os.ReadFile(path(t, "deploy", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &prom); err != nil {
		t.Fatalf("deploy/prometheus.yml: %v", err)
	}
	return prom
}
