package sipcall

import "testing"

// Known values from the G.711 tables: silence, the extremes and a few codes
// in between.
func TestG711Decoders(t *testing.T) {
	for _, c := range []struct {
		u    byte
		want int16
	}{{0xff, 0}, {0x7f, 0}, {0x80, 32124}, {0x00, -32124}, {0xf0, 120}, {0x70, -120}, {0xe0, 372}} {
		if got := DecodeULaw(c.u); got != c.want {
			t.Errorf("µ-law %#x: %d, want %d", c.u, got, c.want)
		}
	}
	for _, c := range []struct {
		a    byte
		want int16
	}{{0xd5, 8}, {0x55, -8}, {0xaa, 32256}, {0x2a, -32256}, {0xc5, 264}, {0xe5, 1056}} {
		if got := DecodeALaw(c.a); got != c.want {
			t.Errorf("A-law %#x: %d, want %d", c.a, got, c.want)
		}
	}
}

// Every code decodes and re-encodes to itself (both laws are bijective on
// their code space, except µ-law's two zeros), and encoding any sample is
// within the law's quantisation step of it.
func TestG711RoundTrip(t *testing.T) {
	for c := 0; c < 256; c++ {
		if got := EncodeALaw(DecodeALaw(byte(c))); got != byte(c) {
			t.Errorf("A-law %#x → %d → %#x", c, DecodeALaw(byte(c)), got)
		}
		if c == 0x7f {
			continue // -0, encodes as +0 (0xff)
		}
		if got := EncodeULaw(DecodeULaw(byte(c))); got != byte(c) {
			t.Errorf("µ-law %#x → %d → %#x", c, DecodeULaw(byte(c)), got)
		}
	}
	for s := -32768; s < 32768; s += 7 {
		for name, rt := range map[string]int{"µ": int(DecodeULaw(EncodeULaw(int16(s)))), "A": int(DecodeALaw(EncodeALaw(int16(s))))} {
			if d := rt - s; d > 1100 || d < -1100 || (abs(s) < 256 && (d > 16 || d < -16)) {
				t.Fatalf("%s-law %d → %d", name, s, rt)
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
