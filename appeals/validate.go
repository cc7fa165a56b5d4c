package appeals

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field limits, in characters.
const (
	maxName     = 100
	maxAddress  = 300
	maxEssence  = 4000
	maxEmail    = 254
	maxReason   = 2000
	maxRef      = 2000
	maxComment  = 4000
	maxCallID   = 200
	maxAction   = 64
	maxDetailKV = 40
)

// NormalizePhone turns what an operator types or the network sends into
// one form, so searches by phone find the card: Ukrainian numbers become
// +380XXXXXXXXX, others keep their digits (and a leading +).
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	plus := strings.HasPrefix(s, "+")
	var d strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || (r == '+' && i == 0):
		default:
			return "", false
		}
	}
	digits := d.String()
	switch {
	case len(digits) < 5 || len(digits) > 15:
		return "", false
	case len(digits) == 10 && digits[0] == '0' && !plus:
		return "+38" + digits, true
	case len(digits) == 12 && strings.HasPrefix(digits, "380"):
		return "+" + digits, true
	case plus:
		return "+" + digits, true
	}
	return digits, true
}

// cleanText trims s and checks its length and that it holds no control
// characters (multiline allows line breaks and tabs).
func cleanText(field, s string, max int, multiline bool) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", invalid(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", invalid(field, "is %d characters long; at most %d", n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return "", invalid(field, "contains control characters")
		}
	}
	return s, nil
}

// cleanPerson validates and normalises personal data.
func cleanPerson(p Person) (Person, error) {
	var err error
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"surname", &p.Surname, maxName}, {"first_name", &p.FirstName, maxName},
		{"patronymic", &p.Patronymic, maxName}, {"address", &p.Address, maxAddress}} {
		if *f.v, err = cleanText(f.name, *f.v, f.max, false); err != nil {
			return p, err
		}
	}
	phone, ok := NormalizePhone(p.ContactPhone)
	if !ok {
		return p, invalid("contact_phone", "is not a phone number (5–15 digits, e.g. 050 123 45 67)")
	}
	p.ContactPhone = phone
	if p.Email, err = cleanText("email", p.Email, maxEmail, false); err != nil {
		return p, err
	}
	if p.Email != "" {
		a, perr := mail.ParseAddress(p.Email)
		if perr != nil || a.Address != p.Email {
			return p, invalid("email", "is not an e-mail address")
		}
	}
	return p, nil
}

// checkAnonymous enforces art. 4.4.2 as decided here: an anonymous card
// keeps no personal data at all, so it is an error to send any.
func checkAnonymous(p Person) error {
	for _, f := range []struct{ name, v string }{{"surname", p.Surname}, {"first_name", p.FirstName},
		{"patronymic", p.Patronymic}, {"address", p.Address}, {"contact_phone", p.ContactPhone}, {"email", p.Email}} {
		if f.v != "" {
			return invalid(f.name, "an anonymous appeal keeps no personal data")
		}
	}
	return nil
}

// checkRequired checks the fields the config requires on a named card.
func checkRequired(required []string, p Person, location string) error {
	for _, f := range required {
		var v string
		switch f {
		case "surname":
			v = p.Surname
		case "first_name":
			v = p.FirstName
		case "patronymic":
			v = p.Patronymic
		case "address":
			v = p.Address
		case "contact_phone":
			v = p.ContactPhone
		case "email":
			v = p.Email
		case "contact":
			v = p.ContactPhone + p.Email
		case "location":
			v = location
		}
		if v == "" {
			if f == "contact" {
				return invalid("contact_phone", "a phone or an e-mail is required (art. 5 of the Law \"On citizens' appeals\"), or register the appeal as anonymous")
			}
			return invalid(f, "is required (art. 5 of the Law \"On citizens' appeals\"), or register the appeal as anonymous")
		}
	}
	return nil
}

// checkAction keeps history action names short and machine-friendly.
func checkAction(a string) error {
	if a == "" || len(a) > maxAction {
		return invalid("action", "must be 1–%d characters", maxAction)
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return invalid("action", "must be lower-case letters, digits, _ and .")
		}
	}
	return nil
}
