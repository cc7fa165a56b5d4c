package ivr

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// ActionKind is what a menu option does.
type ActionKind string

// Action kinds (config menu.nodes.*.options.*.action).
const (
	ActGoto     ActionKind = "goto"     // enter Node
	ActQueue    ActionKind = "queue"    // join Queue
	ActOperator ActionKind = "operator" // join the operator queue (Options.OperatorQueue)
	ActSOS      ActionKind = "sos"      // emergency: head of the queue when open, else record and escalate
	ActStatus   ActionKind = "status"   // appeal status by number
	ActMessage  ActionKind = "message"  // leave a message (opens a card)
	ActPlay     ActionKind = "play"     // play Prompt, then back to the node
	ActRepeat   ActionKind = "repeat"   // the node again
	ActBack     ActionKind = "back"     // the previous node (the node again at the root)
	ActHangup   ActionKind = "hangup"   // goodbye
)

var actionKinds = []ActionKind{ActGoto, ActQueue, ActOperator, ActSOS, ActStatus, ActMessage, ActPlay, ActRepeat, ActBack, ActHangup}

// ParseActionKind reads an action name from the config.
func ParseActionKind(s string) (ActionKind, error) {
	k := ActionKind(s)
	if slices.Contains(actionKinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("unknown menu action %q (one of %v)", s, actionKinds)
}

// ParseKey reads an option key from the config: one of 0–9, * and #.
func ParseKey(s string) (byte, error) {
	if len(s) != 1 || !isKey(s[0]) {
		return 0, fmt.Errorf("option key %q: must be one of 0–9, * or #", s)
	}
	return s[0], nil
}

func isKey(b byte) bool   { return isDigit(b) || b == '*' || b == '#' }
func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// Action is what a key, or running out of retries, does.
type Action struct {
	Kind   ActionKind
	Node   string // goto
	Queue  string // queue
	Prompt string // play: a prompt id
}

// Node is one level of the menu.
type Node struct {
	Name string
	// Prompts play, interruptibly, the first time a call enters the node.
	Prompts []string
	// RetryPrompts play instead of Prompts on a retry and whenever the call
	// comes back to the node (repeat, back, play, status). NewMenu defaults
	// them to Prompts without its first entry when there are several (the
	// greeting is said once a call), else to Prompts.
	RetryPrompts    []string
	FirstKeyTimeout time.Duration // after the prompts, for the first key (default 6s)
	InterKeyTimeout time.Duration // between the keys of a number (default 3s)
	MaxRetries      int           // invalid keys and timeouts before OnExhausted (default 3)
	InvalidPrompt   string        // default invalid-choice
	NoInputPrompt   string        // default no-input
	Options         map[byte]Action
	OnExhausted     Action // default operator
}

// Node defaults.
const (
	DefaultFirstKeyTimeout = 6 * time.Second
	DefaultInterKeyTimeout = 3 * time.Second
	DefaultMaxRetries      = 3
)

func (n *Node) firstKey() time.Duration {
	if n.FirstKeyTimeout > 0 {
		return n.FirstKeyTimeout
	}
	return DefaultFirstKeyTimeout
}

func (n *Node) interKey() time.Duration {
	if n.InterKeyTimeout > 0 {
		return n.InterKeyTimeout
	}
	return DefaultInterKeyTimeout
}

func (n *Node) maxRetries() int {
	if n.MaxRetries > 0 {
		return n.MaxRetries
	}
	return DefaultMaxRetries
}

func (n *Node) retryPrompts() []string {
	if len(n.RetryPrompts) > 0 {
		return n.RetryPrompts
	}
	if len(n.Prompts) > 1 {
		return n.Prompts[1:]
	}
	return n.Prompts
}

func (n *Node) invalidPrompt() string {
	if n.InvalidPrompt != "" {
		return n.InvalidPrompt
	}
	return promptInvalid
}

func (n *Node) noInputPrompt() string {
	if n.NoInputPrompt != "" {
		return n.NoInputPrompt
	}
	return promptNoInput
}

// Menu is the voice menu tree. Build it with NewMenu; Flow only reads it, so
// one Menu serves every call.
type Menu struct {
	Nodes map[string]*Node
}

// Node returns the node with the given name.
func (m *Menu) Node(name string) (*Node, bool) {
	if m == nil {
		return nil, false
	}
	n, ok := m.Nodes[name]
	return n, ok && n != nil
}

// NewMenu checks a menu and fills in its defaults: every node has prompts,
// every option key is 0–9, * or #, every action is known and complete, goto
// targets exist, every prompt exists (promptExists, usually prompts.Has; nil
// skips that check) and so does every entry node (the nodes calls start at,
// from the routing). It reports every problem at once. The nodes are
// copied: changing them afterwards does not change the menu.
func NewMenu(nodes map[string]*Node, promptExists func(id string) bool, entries ...string) (*Menu, error) {
	var errs []error
	if len(nodes) == 0 {
		errs = append(errs, errors.New("menu: no nodes"))
	}
	m := &Menu{Nodes: make(map[string]*Node, len(nodes))}
	names := make([]string, 0, len(nodes))
	for name := range nodes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		n, nerrs := copyNode(name, nodes[name])
		errs = append(errs, nerrs...)
		if n != nil {
			m.Nodes[name] = n
		}
	}
	for _, name := range names {
		n := m.Nodes[name]
		if n == nil {
			continue
		}
		prefix := fmt.Sprintf("menu node %q", name)
		checkPrompt := func(where, id string) {
			switch {
			case id == "":
				errs = append(errs, fmt.Errorf("%s: empty prompt id", where))
			case promptExists != nil && !promptExists(id):
				errs = append(errs, fmt.Errorf("%s: prompt %q is not in the catalogue", where, id))
			}
		}
		for _, id := range n.Prompts {
			checkPrompt(prefix+": prompts", id)
		}
		for _, id := range n.RetryPrompts {
			checkPrompt(prefix+": retry prompts", id)
		}
		checkPrompt(prefix+": invalid prompt", n.InvalidPrompt)
		checkPrompt(prefix+": no-input prompt", n.NoInputPrompt)
		keys := make([]byte, 0, len(n.Options))
		for k := range n.Options {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !isKey(k) {
				errs = append(errs, fmt.Errorf("%s: option key %q: must be one of 0–9, * or #", prefix, string(k)))
			}
			errs = append(errs, checkAction(m, fmt.Sprintf("%s: option %q", prefix, string(k)), n.Options[k], checkPrompt)...)
		}
		errs = append(errs, checkAction(m, prefix+": on exhausted", n.OnExhausted, checkPrompt)...)
	}
	for _, e := range entries {
		if _, ok := m.Node(e); !ok {
			errs = append(errs, fmt.Errorf("menu: entry node %q: no such node", e))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// copyNode copies a node and fills its defaults.
func copyNode(name string, in *Node) (*Node, []error) {
	prefix := fmt.Sprintf("menu node %q", name)
	if in == nil {
		return nil, []error{fmt.Errorf("%s: nil", prefix)}
	}
	var errs []error
	if name == "" {
		errs = append(errs, errors.New("menu: a node has an empty name"))
	}
	if in.Name != "" && in.Name != name {
		errs = append(errs, fmt.Errorf("%s: named %q", prefix, in.Name))
	}
	n := *in
	n.Name = name
	n.Prompts = slices.Clone(in.Prompts)
	n.RetryPrompts = slices.Clone(in.RetryPrompts)
	n.Options = make(map[byte]Action, len(in.Options))
	for k, a := range in.Options {
		n.Options[k] = a
	}
	if len(n.Prompts) == 0 {
		errs = append(errs, fmt.Errorf("%s: no prompts", prefix))
	}
	if len(n.RetryPrompts) == 0 {
		n.RetryPrompts = slices.Clone(n.retryPrompts())
	}
	if n.FirstKeyTimeout < 0 || n.InterKeyTimeout < 0 || n.MaxRetries < 0 {
		errs = append(errs, fmt.Errorf("%s: negative timeout or max retries", prefix))
	}
	n.FirstKeyTimeout, n.InterKeyTimeout, n.MaxRetries = n.firstKey(), n.interKey(), n.maxRetries()
	n.InvalidPrompt, n.NoInputPrompt = n.invalidPrompt(), n.noInputPrompt()
	if n.OnExhausted.Kind == "" {
		n.OnExhausted = Action{Kind: ActOperator}
	}
	return &n, errs
}

func checkAction(m *Menu, where string, a Action, checkPrompt func(where, id string)) []error {
	var errs []error
	if _, err := ParseActionKind(string(a.Kind)); err != nil {
		return []error{fmt.Errorf("%s: %w", where, err)}
	}
	switch a.Kind {
	case ActGoto:
		if _, ok := m.Node(a.Node); !ok {
			errs = append(errs, fmt.Errorf("%s: goto %q: no such node", where, a.Node))
		}
	case ActQueue:
		if a.Queue == "" {
			errs = append(errs, fmt.Errorf("%s: queue: no queue name", where))
		}
	case ActPlay:
		checkPrompt(where+": play", a.Prompt)
	}
	return errs
}
