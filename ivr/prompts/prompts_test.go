package prompts

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// repoRoot walks up from the package directory to the directory holding go.mod.
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
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}

func soundsDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "asterisk", "sounds", "uk")
}

// The ids the server and the dialplan rely on (the brief's list).
var requiredIDs = []string{
	"greeting", "main-menu", "invalid-choice", "no-input", "info-hours", "goodbye",
	"line-busy", "technical-problem", "transfer-operator",
	"queue-welcome", "queue-position", "queue-wait-minutes", "queue-wait-under-minute",
	"queue-leave-message-offer", "queue-full", "rating-request", "rating-thanks",
	"sos-intro", "sos-record", "message-record", "beep", "recording-empty",
	"sos-alerted", "sos-stay-on-line", "message-saved",
	"appeal-registered", "appeal-number-repeat", "appeal-enter-number", "appeal-not-found",
	"appeal-status-intro", "status-registered", "status-sent", "status-accepted",
	"status-in-progress", "status-resolved", "status-closed", "status-returned",
	"appeal-due-date",
	"after-hours-greeting", "after-hours-menu", "break-message",
	"duty-alert", "duty-category", "duty-caller-phone", "duty-recording-intro",
	"duty-press-accept", "duty-accepted", "duty-connecting-caller",
	"cat-water", "cat-heating", "cat-electricity", "cat-gas", "cat-flooding",
	"cat-roads", "cat-lighting", "cat-waste", "cat-housing", "cat-other",
	"agent-logged-in", "agent-logged-out", "agent-paused", "agent-unpaused", "agent-unknown",
}

func TestCatalogueHasEveryRequiredPrompt(t *testing.T) {
	ids := append([]string(nil), requiredIDs...)
	for m := 1; m <= 12; m++ {
		ids = append(ids, fmt.Sprintf("month-%02d", m))
	}
	for n := 0; n <= 59; n++ {
		ids = append(ids, fmt.Sprintf("digits/%d", n))
	}
	for d := 1; d <= 31; d++ {
		ids = append(ids, fmt.Sprintf("day-%02d", d))
	}
	for h := 0; h <= 23; h++ {
		ids = append(ids, fmt.Sprintf("hour-%02d", h))
	}
	for _, id := range ids {
		if !Has(id) {
			t.Errorf("catalogue has no prompt %q", id)
		}
	}
}

func TestAPI(t *testing.T) {
	all := All()
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].ID < all[j].ID }) {
		t.Error("All() is not sorted by id")
	}
	all[0].ID = "changed"
	if All()[0].ID == "changed" {
		t.Error("All() returns the package's own slice")
	}
	if txt, ok := Text("goodbye"); !ok || txt != "Дякуємо за дзвінок. До побачення." {
		t.Errorf("Text(goodbye) = %q, %v", txt, ok)
	}
	// Folded YAML texts come out on one line without trailing space.
	if txt, _ := Text("greeting"); strings.ContainsAny(txt, "\n\t") || strings.HasSuffix(txt, " ") {
		t.Errorf("greeting text is not one clean line: %q", txt)
	}
	if _, ok := Text("no-such-prompt"); ok || Has("no-such-prompt") {
		t.Error("unknown id reported as present")
	}
	for id, want := range map[string]string{
		"greeting":  "hotline/greeting",
		"month-01":  "hotline/month-01",
		"beep":      "hotline/beep",
		"digits/0":  "digits/0",
		"digits/59": "digits/59",
	} {
		if got := SoundPath(id); got != want {
			t.Errorf("SoundPath(%q) = %q, want %q", id, got, want)
		}
	}
	if got := Media("line-busy"); got != "sound:hotline/line-busy" {
		t.Errorf("Media(line-busy) = %q", got)
	}
	if p := all[len(all)-1]; p.Text == "" {
		t.Errorf("prompt %s has no text", p.ID)
	}
	if beep, ok := byID["beep"]; !ok || !beep.Tone {
		t.Error("beep should be a tone")
	}
}

func TestParseRejectsBadCatalogues(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":         "prompts: []\n",
		"duplicate":     "prompts:\n  - {id: a, text: x}\n  - {id: a, text: y}\n",
		"bad id":        "prompts:\n  - {id: Greeting, text: x}\n",
		"path id":       "prompts:\n  - {id: hotline/greeting, text: x}\n",
		"empty text":    "prompts:\n  - {id: a, text: \"  \"}\n",
		"unknown field": "prompts:\n  - {id: a, text: x, voice: uk}\n",
	} {
		if _, err := parse([]byte(doc)); err == nil {
			t.Errorf("%s: parse accepted %q", name, doc)
		}
	}
}

// wavInfo is what matters of a WAV file to Asterisk's format_wav.
type wavInfo struct {
	format, channels, bits uint16
	rate                   uint32
	dataBytes              uint32
}

// readWAV parses a RIFF/WAVE file's chunks: fmt must come before data.
func readWAV(path string) (wavInfo, error) {
	var w wavInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return w, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, errors.New("not a RIFF/WAVE file")
	}
	if riff := binary.LittleEndian.Uint32(b[4:8]); int(riff)+8 != len(b) {
		return w, fmt.Errorf("RIFF size %d does not match the file size %d", riff, len(b))
	}
	var haveFmt bool
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		if body+size > len(b) {
			return w, fmt.Errorf("chunk %q runs past the end of the file", id)
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return w, fmt.Errorf("fmt chunk of %d bytes", size)
			}
			w.format = binary.LittleEndian.Uint16(b[body:])
			w.channels = binary.LittleEndian.Uint16(b[body+2:])
			w.rate = binary.LittleEndian.Uint32(b[body+4:])
			w.bits = binary.LittleEndian.Uint16(b[body+14:])
			haveFmt = true
		case "data":
			if !haveFmt {
				return w, errors.New("data chunk before fmt chunk")
			}
			w.dataBytes = uint32(size)
			return w, nil
		}
		off = body + size + size%2 // chunks are word-aligned
	}
	return w, errors.New("no data chunk")
}

func TestEveryPromptHasAValidWAV(t *testing.T) {
	dir := soundsDir(t)
	for _, p := range All() {
		path := filepath.Join(dir, filepath.FromSlash(SoundPath(p.ID))+".wav")
		w, err := readWAV(path)
		if err != nil {
			t.Errorf("%s: %s: %v (run `make sounds`)", p.ID, path, err)
			continue
		}
		if w.format != 1 || w.rate != 8000 || w.bits != 16 || w.channels != 1 {
			t.Errorf("%s: format %d, %d Hz, %d-bit, %d channels; want PCM (1), 8000 Hz, 16-bit, mono",
				p.ID, w.format, w.rate, w.bits, w.channels)
		}
		// At least 0.1 s of audio: an empty or truncated file plays as silence.
		if w.dataBytes < 1600 {
			t.Errorf("%s: only %d bytes of audio", p.ID, w.dataBytes)
		}
	}
}

func TestNoWAVWithoutACatalogueEntry(t *testing.T) {
	dir := soundsDir(t)
	known := map[string]bool{}
	for _, p := range All() {
		known[SoundPath(p.ID)] = true
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name, ok := strings.CutSuffix(rel, ".wav")
		if !ok {
			t.Errorf("%s: not a WAV file; asterisk/sounds/uk holds only the catalogue's prompts", rel)
			return nil
		}
		if !known[name] {
			t.Errorf("%s: no prompt in catalogue.yaml has this sound (remove it, or add the prompt)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestConfigPromptsExist checks that every prompt the server's default
// configuration names is in the catalogue.
func TestConfigPromptsExist(t *testing.T) {
	path := filepath.Join(repoRoot(t), "config", "hotline.yaml")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("config/hotline.yaml does not exist yet")
	}
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Menu struct {
			Nodes map[string]struct {
				Prompts       []string `yaml:"prompts"`
				InvalidPrompt string   `yaml:"invalid_prompt"`
				NoInputPrompt string   `yaml:"no_input_prompt"`
				Options       map[string]struct {
					Action string `yaml:"action"`
					Prompt string `yaml:"prompt"`
				} `yaml:"options"`
			} `yaml:"nodes"`
		} `yaml:"menu"`
		Appeals struct {
			Categories []struct {
				Code   string `yaml:"code"`
				Prompt string `yaml:"prompt"`
			} `yaml:"categories"`
		} `yaml:"appeals"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	check := func(where, id string) {
		if id != "" && !Has(id) {
			t.Errorf("config %s names prompt %q, which is not in catalogue.yaml", where, id)
		}
	}
	for name, n := range cfg.Menu.Nodes {
		for i, id := range n.Prompts {
			check(fmt.Sprintf("menu.nodes.%s.prompts[%d]", name, i), id)
		}
		check("menu.nodes."+name+".invalid_prompt", n.InvalidPrompt)
		check("menu.nodes."+name+".no_input_prompt", n.NoInputPrompt)
		for key, o := range n.Options {
			check("menu.nodes."+name+".options."+key+".prompt", o.Prompt)
		}
	}
	for i, c := range cfg.Appeals.Categories {
		check(fmt.Sprintf("appeals.categories[%d] (%s).prompt", i, c.Code), c.Prompt)
	}
}
