// Package prompts is the catalogue of the hotline's voice prompts: every
// prompt id with the Ukrainian text it says, and where its sound lives.
//
// The catalogue is catalogue.yaml, embedded in the binary. The sounds are
// WAV files under asterisk/sounds/uk/, generated from the texts by
// scripts/gen-sounds.sh and copied into the Asterisk image, where Asterisk
// finds them for channels whose language is "uk":
//
//	greeting  → sounds/uk/hotline/greeting.wav  media "sound:hotline/greeting"
//	digits/7  → sounds/uk/digits/7.wav          media "sound:digits/7"
//
// Menu prompts live under hotline/ so they never collide with Asterisk's own
// English sounds; numbers keep Asterisk's digits/N layout so that "digits:"
// media read with the same voice.
package prompts

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Prompt is one entry of the catalogue.
type Prompt struct {
	ID   string `yaml:"id"`
	Text string `yaml:"text"`
	// Tone marks a prompt that is a generated tone rather than speech (beep);
	// its Text only describes it.
	Tone bool `yaml:"tone"`
}

// Dir is the sound directory of the menu prompts (everything but digits).
const Dir = "hotline"

//go:embed catalogue.yaml
var catalogueYAML []byte

var (
	all  []Prompt
	byID map[string]Prompt
)

var (
	idPattern    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	digitPattern = regexp.MustCompile(`^digits/(0|[1-9][0-9]*)$`)
)

func init() {
	p, err := parse(catalogueYAML)
	if err != nil {
		panic("ivr/prompts: catalogue.yaml: " + err.Error())
	}
	all = p
	byID = make(map[string]Prompt, len(p))
	for _, e := range p {
		byID[e.ID] = e
	}
}

// parse reads and checks a catalogue: known fields only, ids well formed and
// unique, texts not empty. The result is sorted by id.
func parse(data []byte) ([]Prompt, error) {
	var doc struct {
		Prompts []Prompt `yaml:"prompts"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if len(doc.Prompts) == 0 {
		return nil, fmt.Errorf("no prompts")
	}
	seen := make(map[string]bool, len(doc.Prompts))
	out := make([]Prompt, 0, len(doc.Prompts))
	for i, p := range doc.Prompts {
		p.Text = strings.TrimSpace(p.Text)
		switch {
		case !idPattern.MatchString(p.ID) && !digitPattern.MatchString(p.ID):
			return nil, fmt.Errorf("prompts[%d]: id %q: use lower-case letters, digits and \"-\", or digits/<n>", i, p.ID)
		case seen[p.ID]:
			return nil, fmt.Errorf("prompts[%d]: id %q appears twice", i, p.ID)
		case p.Text == "":
			return nil, fmt.Errorf("prompts[%d] (%s): empty text", i, p.ID)
		}
		seen[p.ID] = true
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// All returns every prompt of the catalogue, sorted by id. The slice is a
// copy: callers may keep or change it.
func All() []Prompt {
	return append([]Prompt(nil), all...)
}

// Text returns the Ukrainian text of a prompt.
func Text(id string) (string, bool) {
	p, ok := byID[id]
	return p.Text, ok
}

// Has reports whether id is in the catalogue.
func Has(id string) bool {
	_, ok := byID[id]
	return ok
}

// SoundPath returns the sound name of a prompt as Asterisk knows it, without
// language or extension: "hotline/greeting" for greeting, "digits/7" for
// digits/7. It is the path under sounds/<language>/ and what follows
// "sound:" in an ARI media URI. It does not check the catalogue (use Has):
// an id that is not there maps to where such a prompt would live.
func SoundPath(id string) string {
	if strings.HasPrefix(id, "digits/") {
		return id
	}
	return Dir + "/" + id
}

// Media returns the ARI media URI of a prompt: "sound:" + SoundPath(id).
func Media(id string) string {
	return "sound:" + SoundPath(id)
}
