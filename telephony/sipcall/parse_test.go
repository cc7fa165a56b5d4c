package sipcall

import (
	"strings"
	"testing"
)

// Malformed SDP is an error naming what is wrong, never a panic.
func TestParseSDPRefusesGarbage(t *testing.T) {
	good := "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 10000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
	d, err := parseSDP([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if d.Addr.String() != "10.0.0.1:10000" || d.EventPT != 101 || d.Dir != "sendrecv" {
		t.Errorf("%+v", d)
	}
	if pt, law, ok := d.audioCodec(); !ok || pt != 8 || law != lawA {
		t.Errorf("codec %d %c %v", pt, law, ok)
	}
	for name, body := range map[string]string{
		"empty":        "",
		"not sdp":      "hello world",
		"no audio":     "v=0\r\nc=IN IP4 10.0.0.1\r\nm=video 1 RTP/AVP 96\r\n",
		"bad port":     "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 99999 RTP/AVP 0\r\n",
		"bad pt":       "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 1000 RTP/AVP 0 x\r\n",
		"pt too big":   "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 1000 RTP/AVP 200\r\n",
		"no address":   "v=0\r\nm=audio 1000 RTP/AVP 0\r\n",
		"name address": "v=0\r\nc=IN IP4 asterisk\r\nm=audio 1000 RTP/AVP 0\r\n",
		"bad conn":     "v=0\r\nc=IN\r\nm=audio 1000 RTP/AVP 0\r\n",
		"srtp":         "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 1000 RTP/SAVP 0\r\n",
		"bad rtpmap":   "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 1000 RTP/AVP 0\r\na=rtpmap:zz PCMU/8000\r\n",
		"truncated m":  "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio\r\n",
	} {
		if _, err := parseSDP([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Without G.711 the description parses but offers nothing to send.
	d, err = parseSDP([]byte("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 1000 RTP/AVP 9 18\r\n"))
	if _, _, ok := d.audioCodec(); err != nil || ok {
		t.Errorf("G.722/G.729 only: %v, codec found %v", err, ok)
	}
}

// The answer to an offer is a subset of it, with its numbers, and its
// direction turned round.
func TestAnswerToAnOffer(t *testing.T) {
	o, err := parseSDP([]byte("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 1000 RTP/AVP 0 9 96\r\na=rtpmap:96 telephone-event/8000\r\na=sendonly\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	ans, err := localMedia{IP: []byte{127, 0, 0, 1}, Port: 4000, Session: 7, Version: 1}.answer(o)
	if err != nil {
		t.Fatal(err)
	}
	s := string(ans)
	for _, want := range []string{"m=audio 4000 RTP/AVP 0 96\r\n", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 telephone-event/8000", "a=recvonly", "c=IN IP4 127.0.0.1"} {
		if !strings.Contains(s, want) {
			t.Errorf("answer lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "PCMA") || strings.Contains(s, " 9 ") {
		t.Errorf("answer has what was not offered:\n%s", s)
	}
	if _, err := (localMedia{IP: []byte{127, 0, 0, 1}}).answer(sessionDesc{Codecs: []uint8{9}}); err == nil {
		t.Error("answered an offer without G.711")
	}
}

// Malformed RTP is an error, never a panic; well-formed packets with
// CSRCs, an extension and padding are read right.
func TestParseRTP(t *testing.T) {
	pkt := appendRTP(nil, rtpHeader{PayloadType: 8, Seq: 7, Timestamp: 160, SSRC: 1, Marker: true}, []byte{1, 2, 3})
	h, p, err := parseRTP(pkt)
	if err != nil || h.PayloadType != 8 || h.Seq != 7 || h.Timestamp != 160 || !h.Marker || string(p) != "\x01\x02\x03" {
		t.Fatalf("%+v %v %v", h, p, err)
	}
	// One CSRC, a one-word extension, two bytes of padding.
	full := []byte{0xb1, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 0xbe, 0xde, 0, 1, 5, 5, 5, 5, 0xaa, 0, 2}
	if _, p, err := parseRTP(full); err != nil || len(p) != 1 || p[0] != 0xaa {
		t.Errorf("payload %v, %v", p, err)
	}
	for name, b := range map[string][]byte{
		"short":           {0x80, 0},
		"version 1":       append([]byte{0x40}, make([]byte, 20)...),
		"csrc overflow":   append([]byte{0x8f}, make([]byte, 12)...),
		"ext overflow":    {0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
		"padding too big": {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 200},
	} {
		if _, _, err := parseRTP(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseTelephoneEvent([]byte{1, 2}); err == nil {
		t.Error("short telephone-event accepted")
	}
	ev, err := ParseTelephoneEvent(TelephoneEvent{Event: 11, End: true, Volume: 10, Duration: 800}.marshal())
	if err != nil || ev.Event != 11 || !ev.End || ev.Volume != 10 || ev.Duration != 800 {
		t.Errorf("%+v %v", ev, err)
	}
	for _, k := range "0123456789*#ABCD" {
		if code, ok := EventCode(k); !ok || EventKey(code) != k {
			t.Errorf("key %c → %d → %c", k, code, EventKey(code))
		}
	}
	if _, ok := EventCode('x'); ok {
		t.Error("x is a key")
	}
}
