package appeals

import (
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/slobozhanske/hotline/internal/fielderr"
)

// Numbering formats card numbers and the digits told to the caller, and
// reads back what a caller keys in.
type Numbering struct {
	tpl    *template.Template
	digits int
	spoken string
}

// numberFields are what the number template sees. Both are strings, as the
// config validator renders them.
type numberFields struct {
	Year string
	Seq  string
}

// NewNumbering checks the template: it must render, and different years and
// sequence numbers must give different numbers (they are unique forever).
func NewNumbering(format string, seqDigits int, spoken string) (*Numbering, error) {
	var errs []error
	tpl, err := template.New("number").Option("missingkey=error").Parse(format)
	if err != nil {
		errs = append(errs, fielderr.Value("number_format", format, "not a valid template: %v", err))
	}
	if seqDigits < 1 || seqDigits > 12 {
		errs = append(errs, fielderr.Value("seq_digits", strconv.Itoa(seqDigits), "must be 1–12"))
	}
	if spoken != SpokenSeq && spoken != SpokenFull {
		errs = append(errs, fielderr.Value("spoken_part", spoken, "must be %q or %q", SpokenSeq, SpokenFull))
	}
	if tpl != nil {
		if err := probe(&Numbering{tpl: tpl, digits: max(seqDigits, 1), spoken: spoken}, format); err != nil {
			errs = append(errs, err)
		}
	}
	if err := fielderr.Join(errs...); err != nil {
		return nil, err
	}
	return &Numbering{tpl: tpl, digits: seqDigits, spoken: spoken}, nil
}

// probe formats a few numbers: the format must know its fields and give
// every card of every year its own number.
func probe(n *Numbering, format string) error {
	seen := map[string]bool{}
	for _, p := range [][2]int64{{2026, 1}, {2026, 2}, {2027, 1}} {
		s, err := n.Format(int(p[0]), p[1])
		if err != nil {
			return fielderr.Value("number_format", format, "%v (only {{.Year}} and {{.Seq}} are known)", err)
		}
		if seen[s] {
			return fielderr.Value("number_format", format, "must contain {{.Year}} and {{.Seq}}: numbers must differ between years and cards")
		}
		seen[s] = true
	}
	return nil
}

// Format renders the number of the seq-th card of the year.
func (n *Numbering) Format(year int, seq int64) (string, error) {
	var b strings.Builder
	err := n.tpl.Execute(&b, numberFields{Year: strconv.Itoa(year), Seq: fmt.Sprintf("%0*d", n.digits, seq)})
	if err != nil {
		return "", fmt.Errorf("format appeal number: %w", err)
	}
	return b.String(), nil
}

// Spoken returns the digits read to the caller: the sequence without
// leading zeros ("123"), which is what they key in later, or every digit of
// the number.
func (n *Numbering) Spoken(number string, seq int64) string {
	if n.spoken == SpokenFull {
		return DigitsOf(number)
	}
	return strconv.FormatInt(seq, 10)
}

// DigitsOf keeps only the ASCII digits of s ("2026-000123" → "2026000123").
func DigitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Keyed is what a caller's keyed digits may mean, in the order to try.
type Keyed struct {
	// Seq is set when the digits are short enough to be a sequence number
	// (the spoken form "123" or the padded "000123"): look it up in the
	// current year, then the previous one.
	Seq int64
	// Digits is set when the digits may be a whole number ("2026000123"):
	// match the digits of stored numbers.
	Digits string
	// Year and YearSeq split a whole number keyed without padding
	// ("2026123"), tried after Digits.
	Year    int
	YearSeq int64
}

// ParseKeyed reads what a caller keyed in. ok is false when it cannot be a
// number at all.
func (n *Numbering) ParseKeyed(keyed string) (k Keyed, ok bool) {
	d := DigitsOf(keyed)
	if d == "" || len(d) > 24 {
		return Keyed{}, false
	}
	if len(d) <= n.digits {
		seq, err := strconv.ParseInt(d, 10, 64)
		if err != nil || seq == 0 {
			return Keyed{}, false
		}
		return Keyed{Seq: seq}, true
	}
	k.Digits = d
	if len(d) > 4 {
		year, _ := strconv.Atoi(d[:4])
		seq, err := strconv.ParseInt(d[4:], 10, 64)
		if err == nil && seq > 0 && year >= 2000 {
			k.Year, k.YearSeq = year, seq
		}
	}
	return k, true
}
