package sipcall

// G.711 (ITU-T G.711) companding, written out because it is a few lines and
// the probe needs nothing else of a media library. Decoding is exact (the
// standard's tables); encoding is used for the probe's own outgoing frames
// and by the test server.

// Payload types of RFC 3551's static assignments.
const (
	PayloadPCMU = 0 // G.711 µ-law
	PayloadPCMA = 8 // G.711 A-law
)

// DecodeULaw turns one µ-law byte into a 16-bit linear sample.
func DecodeULaw(u byte) int16 {
	u = ^u
	t := (int32(u&0x0f) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

// DecodeALaw turns one A-law byte into a 16-bit linear sample.
func DecodeALaw(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0f) << 4
	switch seg := (a & 0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// EncodeULaw turns a 16-bit linear sample into µ-law.
func EncodeULaw(s int16) byte {
	const bias, clip = 0x84, 32635
	x := int32(s)
	sign := byte(0)
	if x < 0 {
		x = -x
		sign = 0x80
	}
	x = min(x, clip) + bias
	exp := byte(7)
	for mask := int32(0x4000); x&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := byte(x>>(exp+3)) & 0x0f
	return ^(sign | exp<<4 | mant)
}

// EncodeALaw turns a 16-bit linear sample into A-law.
func EncodeALaw(s int16) byte {
	x := int32(s) >> 3 // A-law works on 13 bits
	sign := byte(0x80)
	if x < 0 {
		x = -x - 1
		sign = 0
	}
	var out byte
	if x < 32 {
		out = byte(x >> 1)
	} else {
		exp := byte(1)
		for v := x >> 5; v > 1 && exp < 7; v >>= 1 {
			exp++
		}
		if x >= 4096 {
			exp, x = 7, 4095
		}
		out = exp<<4 | byte(x>>exp)&0x0f
	}
	return (out | sign) ^ 0x55
}

// decoder returns the decoder of a G.711 law (lawU, lawA), or nil.
func decoder(law uint8) func(byte) int16 {
	switch law {
	case lawU:
		return DecodeULaw
	case lawA:
		return DecodeALaw
	}
	return nil
}

// encoder returns the encoder of a G.711 law, or nil.
func encoder(law uint8) func(int16) byte {
	switch law {
	case lawU:
		return EncodeULaw
	case lawA:
		return EncodeALaw
	}
	return nil
}
