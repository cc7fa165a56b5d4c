package sipcall

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// RTP (RFC 3550) as far as a G.711 caller needs it: the fixed header, CSRCs,
// the header extension and padding are parsed (so a packet that has them is
// read correctly) but never produced.

// rtpHeader is the fixed part of an RTP packet.
type rtpHeader struct {
	Marker      bool
	PayloadType uint8
	Seq         uint16
	Timestamp   uint32
	SSRC        uint32
}

const rtpHeaderLen = 12

var errNotRTP = errors.New("not an RTP packet")

// parseRTP splits a packet into its header and payload; a packet too short
// for what its header announces is an error, never a panic.
func parseRTP(b []byte) (rtpHeader, []byte, error) {
	if len(b) < rtpHeaderLen {
		return rtpHeader{}, nil, fmt.Errorf("%w: %d bytes", errNotRTP, len(b))
	}
	if v := b[0] >> 6; v != 2 {
		return rtpHeader{}, nil, fmt.Errorf("%w: version %d", errNotRTP, v)
	}
	h := rtpHeader{
		Marker:      b[1]&0x80 != 0,
		PayloadType: b[1] & 0x7f,
		Seq:         binary.BigEndian.Uint16(b[2:]),
		Timestamp:   binary.BigEndian.Uint32(b[4:]),
		SSRC:        binary.BigEndian.Uint32(b[8:]),
	}
	off := rtpHeaderLen + 4*int(b[0]&0x0f) // CSRC list
	if b[0]&0x10 != 0 {                    // header extension: 4 bytes, then its length in words
		if len(b) < off+4 {
			return rtpHeader{}, nil, fmt.Errorf("%w: truncated header extension", errNotRTP)
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	end := len(b)
	if b[0]&0x20 != 0 { // padding: its count is the last byte
		end -= int(b[len(b)-1])
	}
	if off > end {
		return rtpHeader{}, nil, fmt.Errorf("%w: header of %d bytes, packet of %d", errNotRTP, off, len(b))
	}
	return h, b[off:end], nil
}

// appendRTP writes a packet with the fixed header only.
func appendRTP(dst []byte, h rtpHeader, payload []byte) []byte {
	var hdr [rtpHeaderLen]byte
	hdr[0] = 2 << 6
	hdr[1] = h.PayloadType & 0x7f
	if h.Marker {
		hdr[1] |= 0x80
	}
	binary.BigEndian.PutUint16(hdr[2:], h.Seq)
	binary.BigEndian.PutUint32(hdr[4:], h.Timestamp)
	binary.BigEndian.PutUint32(hdr[8:], h.SSRC)
	return append(append(dst, hdr[:]...), payload...)
}

// TelephoneEvent is the payload of an RFC 4733 named-event packet.
type TelephoneEvent struct {
	Event    uint8 // 0–9 digits, 10 '*', 11 '#', 12–15 A–D
	End      bool
	Volume   uint8  // 0–63, in -dBm0
	Duration uint16 // in timestamp units (1/8000 s for G.711)
}

// ParseTelephoneEvent reads an RFC 4733 event payload (4 bytes; RFC 4733
// allows several events in one packet only for redundancy, which is not
// used here, so only the first is read).
func ParseTelephoneEvent(b []byte) (TelephoneEvent, error) {
	if len(b) < 4 {
		return TelephoneEvent{}, fmt.Errorf("telephone-event payload of %d bytes, want 4", len(b))
	}
	return TelephoneEvent{
		Event: b[0], End: b[1]&0x80 != 0, Volume: b[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(b[2:]),
	}, nil
}

func (e TelephoneEvent) marshal() []byte {
	b := []byte{e.Event, e.Volume & 0x3f, 0, 0}
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], e.Duration)
	return b
}

// EventCode is the RFC 4733 code of a DTMF key, or false for anything else.
func EventCode(key rune) (uint8, bool) {
	switch {
	case key >= '0' && key <= '9':
		return uint8(key - '0'), true
	case key == '*':
		return 10, true
	case key == '#':
		return 11, true
	case key >= 'A' && key <= 'D':
		return uint8(12 + key - 'A'), true
	}
	return 0, false
}

// EventKey is the DTMF key of an RFC 4733 event code, or 0.
func EventKey(code uint8) rune {
	switch {
	case code <= 9:
		return rune('0' + code)
	case code == 10:
		return '*'
	case code == 11:
		return '#'
	case code <= 15:
		return rune('A' + code - 12)
	}
	return 0
}
