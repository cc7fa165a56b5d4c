package ivr

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slobozhanske/hotline/ivr/prompts"
)

func TestTheDefaultMenuIsValidAgainstTheCatalogue(t *testing.T) {
	m, err := NewMenu(defaultMenuNodes(), prompts.Has, "main", "lunch", "after_hours")
	if err != nil {
		t.Fatal(err)
	}
	main, _ := m.Node("main")
	if main.Name != "main" || !slices.Equal(main.RetryPrompts, []string{"main-menu"}) {
		t.Errorf("main = %+v", main)
	}
	info, _ := m.Node("info")
	if !slices.Equal(info.RetryPrompts, []string{"info-hours"}) {
		t.Errorf("info retry prompts = %v", info.RetryPrompts)
	}
}

func TestNewMenuFillsDefaults(t *testing.T) {
	m, err := NewMenu(map[string]*Node{"root": {Prompts: []string{"greeting"}}}, prompts.Has)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := m.Node("root")
	want := Node{Name: "root", Prompts: []string{"greeting"}, RetryPrompts: []string{"greeting"},
		FirstKeyTimeout: 6 * time.Second, InterKeyTimeout: 3 * time.Second, MaxRetries: 3,
		InvalidPrompt: "invalid-choice", NoInputPrompt: "no-input", OnExhausted: Action{Kind: ActOperator}}
	if n.Name != want.Name || !slices.Equal(n.RetryPrompts, want.RetryPrompts) || n.FirstKeyTimeout != want.FirstKeyTimeout ||
		n.InterKeyTimeout != want.InterKeyTimeout || n.MaxRetries != want.MaxRetries || n.InvalidPrompt != want.InvalidPrompt ||
		n.NoInputPrompt != want.NoInputPrompt || n.OnExhausted != want.OnExhausted {
		t.Errorf("node = %+v\nwant %+v", n, want)
	}
}

func TestNewMenuReportsEveryProblemAtOnce(t *testing.T) {
	nodes := map[string]*Node{
		"main": {
			Prompts: []string{"greeting", "no-such-prompt"},
			Options: map[byte]Action{
				'1': {Kind: ActGoto, Node: "nowhere"},
				'2': {Kind: "dance"},
				'3': {Kind: ActQueue},
				'4': {Kind: ActPlay},
				'5': {Kind: ActPlay, Prompt: "missing-too"},
				'x': {Kind: ActRepeat},
			},
			OnExhausted: Action{Kind: ActGoto, Node: "gone"},
		},
		"empty":    {},
		"nil":      nil,
		"named":    {Name: "other", Prompts: []string{"greeting"}},
		"negative": {Prompts: []string{"greeting"}, MaxRetries: -1},
	}
	_, err := NewMenu(nodes, prompts.Has, "main", "closed_node")
	if err == nil {
		t.Fatal("NewMenu accepted a broken menu")
	}
	for _, want := range []string{
		`"no-such-prompt" is not in the catalogue`,
		`goto "nowhere": no such node`,
		`unknown menu action "dance"`,
		`option "3": queue: no queue name`,
		`option "4": play: empty prompt id`,
		`"missing-too" is not in the catalogue`,
		`option key "x"`,
		`on exhausted: goto "gone"`,
		`menu node "empty": no prompts`,
		`menu node "nil": nil`,
		`named "other"`,
		`menu node "negative": negative`,
		`entry node "closed_node": no such node`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestNewMenuWithoutACatalogueSkipsThePromptCheck(t *testing.T) {
	if _, err := NewMenu(map[string]*Node{"a": {Prompts: []string{"anything"}}}, nil); err != nil {
		t.Error(err)
	}
	if _, err := NewMenu(nil, nil); err == nil {
		t.Error("an empty menu was accepted")
	}
}

func TestNewMenuCopiesTheNodes(t *testing.T) {
	nodes := defaultMenuNodes()
	m, err := NewMenu(nodes, nil)
	if err != nil {
		t.Fatal(err)
	}
	nodes["main"].Options['9'] = Action{Kind: ActHangup}
	nodes["main"].Prompts[0] = "changed"
	main, _ := m.Node("main")
	if _, ok := main.Options['9']; ok || main.Prompts[0] != "greeting" {
		t.Error("changing the nodes changed the menu")
	}
}

func TestParseKeyAndAction(t *testing.T) {
	for _, s := range []string{"0", "9", "*", "#"} {
		if k, err := ParseKey(s); err != nil || k != s[0] {
			t.Errorf("ParseKey(%q) = %q, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "10", "a", "A"} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	for _, s := range []string{"goto", "queue", "operator", "sos", "status", "message", "play", "repeat", "back", "hangup"} {
		if k, err := ParseActionKind(s); err != nil || string(k) != s {
			t.Errorf("ParseActionKind(%q) = %q, %v", s, k, err)
		}
	}
	if _, err := ParseActionKind("transfer"); err == nil {
		t.Error("ParseActionKind accepted transfer")
	}
}
