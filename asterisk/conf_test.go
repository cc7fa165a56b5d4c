package asterisk_test

// A small reader of Asterisk's configuration syntax, enough to check the
// files of this directory: sections "[name]", templates "[name](!)",
// sections built on templates "[name](tmpl,…)", "key = value" and
// "key => value" lines, ";" comments (and ";-- … --;" blocks), and the
// dialplan's "exten =>" / "same =>" lines.

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

type confLine struct {
	Key, Value string
	Line       int
}

type confSection struct {
	Name     string
	Template bool     // "(!)": a template, not an object of its own
	Inherits []string // templates named in the parentheses
	Lines    []confLine
	Line     int
	file     *confFile
	index    int // position in file.Sections
}

type confFile struct {
	Path     string
	Sections []*confSection
}

// stripComment removes a ";" comment, honouring "\;" (a literal semicolon),
// and keeps track of ";-- … --;" block comments across lines.
func stripComment(line string, inBlock *bool) string {
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		if *inBlock {
			if strings.HasPrefix(line[i:], "--;") {
				*inBlock = false
				i += 2
			}
			continue
		}
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == ';':
			b.WriteByte(';')
			i++
		case strings.HasPrefix(line[i:], ";--"):
			*inBlock = true
			i += 2
		case line[i] == ';':
			return b.String()
		default:
			b.WriteByte(line[i])
		}
	}
	return b.String()
}

func parseConf(path string) (*confFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cf := &confFile{Path: path}
	var cur *confSection
	inBlock := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(stripComment(sc.Text(), &inBlock))
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			return nil, fmt.Errorf("%s:%d: directives (%q) are not used in this deployment", path, n, line)
		}
		if strings.HasPrefix(line, "[") {
			end := strings.Index(line, "]")
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: unterminated section header %q", path, n, line)
			}
			s := &confSection{Name: strings.TrimSpace(line[1:end]), Line: n, file: cf, index: len(cf.Sections)}
			if s.Name == "" {
				return nil, fmt.Errorf("%s:%d: empty section name", path, n)
			}
			rest := strings.TrimSpace(line[end+1:])
			if rest != "" {
				if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
					return nil, fmt.Errorf("%s:%d: unexpected %q after the section name", path, n, rest)
				}
				for _, opt := range strings.Split(rest[1:len(rest)-1], ",") {
					switch opt = strings.TrimSpace(opt); opt {
					case "!":
						s.Template = true
					case "+", "":
					default:
						s.Inherits = append(s.Inherits, opt)
					}
				}
			}
			cf.Sections = append(cf.Sections, s)
			cur = s
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: %q outside any section", path, n, line)
		}
		eq := strings.Index(line, "=")
		if eq <= 0 {
			return nil, fmt.Errorf("%s:%d: not a key = value line: %q", path, n, line)
		}
		key := strings.TrimSpace(line[:eq])
		val := line[eq+1:]
		val = strings.TrimPrefix(val, ">") // "key => value"
		cur.Lines = append(cur.Lines, confLine{Key: key, Value: strings.TrimSpace(val), Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// Every template a section names must come before it.
	for _, s := range cf.Sections {
		for _, t := range s.Inherits {
			if cf.before(t, s.index) == nil {
				return nil, fmt.Errorf("%s:%d: [%s] uses template %q, which is not defined above it", path, s.Line, s.Name, t)
			}
		}
	}
	return cf, nil
}

// before returns the last section called name that comes before index,
// preferring a template, as Asterisk resolves "[x](name)".
func (cf *confFile) before(name string, index int) *confSection {
	var found *confSection
	for _, s := range cf.Sections[:index] {
		if s.Name == name && (found == nil || s.Template || !found.Template) {
			found = s
		}
	}
	return found
}

// effective returns a section's lines with its templates' lines first.
func (s *confSection) effective() []confLine {
	var out []confLine
	for _, t := range s.Inherits {
		out = append(out, s.file.before(t, s.index).effective()...)
	}
	return append(out, s.Lines...)
}

// Get returns the last value of key (with templates) and whether it is set;
// on a nil section (one that was not found) it returns "", false.
func (s *confSection) Get(key string) (string, bool) {
	if s == nil {
		return "", false
	}
	val, ok := "", false
	for _, l := range s.effective() {
		if l.Key == key {
			val, ok = l.Value, true
		}
	}
	return val, ok
}

// All returns every value of key (with templates), in order.
func (s *confSection) All(key string) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, l := range s.effective() {
		if l.Key == key {
			out = append(out, l.Value)
		}
	}
	return out
}

// Objects returns the non-template sections called name.
func (cf *confFile) Objects(name string) []*confSection {
	var out []*confSection
	for _, s := range cf.Sections {
		if s.Name == name && !s.Template {
			out = append(out, s)
		}
	}
	return out
}

// Object returns the non-template section called name whose "type" is typ
// (for pjsip.conf, where an endpoint, its auth and its aor share a name);
// typ "" matches any section.
func (cf *confFile) Object(name, typ string) *confSection {
	for _, s := range cf.Objects(name) {
		if t, _ := s.Get("type"); typ == "" || t == typ {
			return s
		}
	}
	return nil
}

// OfType returns every non-template section whose "type" is typ.
func (cf *confFile) OfType(typ string) []*confSection {
	var out []*confSection
	for _, s := range cf.Sections {
		if t, _ := s.Get("type"); !s.Template && t == typ {
			out = append(out, s)
		}
	}
	return out
}

// --- dialplan ---------------------------------------------------------------

type dialplanStep struct {
	Context, Exten, Priority string
	App                      string // application name, e.g. "Stasis"
	Args                     string // everything between its parentheses
	Line                     int
}

type dialplan struct {
	Contexts map[string][]dialplanStep // context → steps in order
	Order    []string
}

// parseDialplan reads extensions.conf's contexts. "same =>" continues the
// extension of the line before it.
func parseDialplan(cf *confFile) (*dialplan, error) {
	dp := &dialplan{Contexts: map[string][]dialplanStep{}}
	for _, s := range cf.Sections {
		if s.Name == "general" || s.Name == "globals" {
			continue
		}
		if _, dup := dp.Contexts[s.Name]; dup {
			return nil, fmt.Errorf("%s:%d: context [%s] defined twice", cf.Path, s.Line, s.Name)
		}
		dp.Contexts[s.Name] = nil
		dp.Order = append(dp.Order, s.Name)
		exten := ""
		for _, l := range s.Lines {
			var step dialplanStep
			var rest string
			switch l.Key {
			case "exten":
				parts := strings.SplitN(l.Value, ",", 3)
				if len(parts) != 3 {
					return nil, fmt.Errorf("%s:%d: exten needs name,priority,application: %q", cf.Path, l.Line, l.Value)
				}
				exten = strings.TrimSpace(parts[0])
				step.Priority, rest = strings.TrimSpace(parts[1]), parts[2]
			case "same":
				if exten == "" {
					return nil, fmt.Errorf("%s:%d: same => before any exten", cf.Path, l.Line)
				}
				parts := strings.SplitN(l.Value, ",", 2)
				if len(parts) != 2 {
					return nil, fmt.Errorf("%s:%d: same needs priority,application: %q", cf.Path, l.Line, l.Value)
				}
				step.Priority, rest = strings.TrimSpace(parts[0]), parts[1]
			case "include", "switch", "ignorepat":
				continue
			default:
				return nil, fmt.Errorf("%s:%d: unexpected %q in context [%s]", cf.Path, l.Line, l.Key, s.Name)
			}
			step.Context, step.Exten, step.Line = s.Name, exten, l.Line
			rest = strings.TrimSpace(rest)
			if open := strings.Index(rest, "("); open >= 0 {
				if !strings.HasSuffix(rest, ")") {
					return nil, fmt.Errorf("%s:%d: unbalanced parentheses in %q", cf.Path, l.Line, rest)
				}
				step.App, step.Args = rest[:open], rest[open+1:len(rest)-1]
			} else {
				step.App = rest
			}
			dp.Contexts[s.Name] = append(dp.Contexts[s.Name], step)
		}
	}
	return dp, nil
}

// Steps returns every step running application app (case-insensitive).
func (dp *dialplan) Steps(app string) []dialplanStep {
	var out []dialplanStep
	for _, ctx := range dp.Order {
		for _, st := range dp.Contexts[ctx] {
			if strings.EqualFold(st.App, app) {
				out = append(out, st)
			}
		}
	}
	return out
}

// Extension returns the steps of one extension of a context.
func (dp *dialplan) Extension(context, exten string) []dialplanStep {
	var out []dialplanStep
	for _, st := range dp.Contexts[context] {
		if st.Exten == exten {
			out = append(out, st)
		}
	}
	return out
}

// splitArgs splits application arguments at top-level commas.
func splitArgs(args string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range args {
		switch r {
		case '(', '{', '[':
			depth++
		case ')', '}', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(args[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(args[start:]))
}
