package sipcall

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// SDP (RFC 4566) and the offer/answer model (RFC 3264), reduced to one audio
// stream of G.711 with RFC 4733 telephone-events, which is what Asterisk's
// endpoints here allow (pjsip.conf: allow = alaw,ulaw; dtmf_mode = rfc4733).

// DefaultEventPayload is the telephone-event payload type used when the
// other side names none; 101 is what Asterisk and most phones use.
const DefaultEventPayload = 101

// sessionDesc is what the caller needs from a session description.
type sessionDesc struct {
	Addr    netip.AddrPort // where to send RTP
	Codecs  []uint8        // payload types of the audio m-line, in its order
	Names   map[uint8]string
	EventPT int    // telephone-event payload type, -1 if none
	Dir     string // sendrecv, sendonly, recvonly or inactive, as the other side says
	Port0   bool   // m=audio 0: the stream is rejected
}

var errBadSDP = errors.New("malformed SDP")

// parseSDP reads the first audio stream of a session description. Anything
// it cannot use is an error naming the line, never a panic.
func parseSDP(body []byte) (sessionDesc, error) {
	d := sessionDesc{EventPT: -1, Names: map[uint8]string{}}
	var sessionConn, mediaConn, sessionDir, mediaDir string
	inAudio, seenAudio := false, false
	sc := bufio.NewScanner(bytes.NewReader(body))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' {
			return d, fmt.Errorf("%w: line %d %q is not type=value", errBadSDP, n, line)
		}
		typ, val := line[0], line[2:]
		switch typ {
		case 'm':
			inAudio = false
			if seenAudio {
				continue // only the first audio stream is used
			}
			f := strings.Fields(val)
			if len(f) < 4 || f[0] != "audio" {
				continue
			}
			if !strings.HasPrefix(f[2], "RTP/AVP") {
				return d, fmt.Errorf("%w: line %d: transport %q, want RTP/AVP", errBadSDP, n, f[2])
			}
			port, err := strconv.ParseUint(strings.SplitN(f[1], "/", 2)[0], 10, 16)
			if err != nil {
				return d, fmt.Errorf("%w: line %d: port %q", errBadSDP, n, f[1])
			}
			for _, p := range f[3:] {
				pt, err := strconv.ParseUint(p, 10, 7)
				if err != nil {
					return d, fmt.Errorf("%w: line %d: payload type %q", errBadSDP, n, p)
				}
				d.Codecs = append(d.Codecs, uint8(pt))
			}
			d.Port0 = port == 0
			d.Addr = netip.AddrPortFrom(netip.Addr{}, uint16(port))
			inAudio, seenAudio = true, true
		case 'c':
			f := strings.Fields(val)
			if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
				return d, fmt.Errorf("%w: line %d: connection %q", errBadSDP, n, val)
			}
			addr := strings.SplitN(f[2], "/", 2)[0] // multicast TTL is not for us
			if inAudio {
				mediaConn = addr
			} else if !seenAudio {
				sessionConn = addr
			}
		case 'a':
			isDir := val == "sendrecv" || val == "sendonly" || val == "recvonly" || val == "inactive"
			if !inAudio {
				if isDir && !seenAudio {
					sessionDir = val
				}
				continue
			}
			switch {
			case isDir:
				mediaDir = val
			case strings.HasPrefix(val, "rtpmap:"):
				pt, enc, ok := strings.Cut(strings.TrimPrefix(val, "rtpmap:"), " ")
				num, err := strconv.ParseUint(pt, 10, 7)
				if !ok || err != nil {
					return d, fmt.Errorf("%w: line %d: %q", errBadSDP, n, line)
				}
				d.Names[uint8(num)] = strings.ToLower(strings.TrimSpace(enc))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return d, fmt.Errorf("%w: %v", errBadSDP, err)
	}
	if !seenAudio {
		return d, fmt.Errorf("%w: no audio stream", errBadSDP)
	}
	d.Dir = "sendrecv"
	if mediaDir != "" {
		d.Dir = mediaDir
	} else if sessionDir != "" {
		d.Dir = sessionDir
	}
	conn := mediaConn
	if conn == "" {
		conn = sessionConn
	}
	ip, err := netip.ParseAddr(conn)
	if err != nil {
		return d, fmt.Errorf("%w: connection address %q is not an IP address", errBadSDP, conn)
	}
	d.Addr = netip.AddrPortFrom(ip.Unmap(), d.Addr.Port())
	for _, pt := range d.Codecs {
		if strings.HasPrefix(d.Names[pt], "telephone-event/8000") {
			d.EventPT = int(pt)
			break
		}
	}
	return d, nil
}

// law is the G.711 law a payload type carries in this description: its
// rtpmap if it has one, else its static number (RFC 3551); 0 for neither.
func (d sessionDesc) law(pt uint8) uint8 {
	switch name := d.Names[pt]; {
	case strings.HasPrefix(name, "pcmu/8000"):
		return lawU
	case strings.HasPrefix(name, "pcma/8000"):
		return lawA
	case name == "" && pt == PayloadPCMU:
		return lawU
	case name == "" && pt == PayloadPCMA:
		return lawA
	}
	return 0
}

const (
	lawU = 'u'
	lawA = 'a'
)

// audioCodec is the payload type to send audio with, the stream's first
// G.711 one, and its law; false if it has none.
func (d sessionDesc) audioCodec() (pt, law uint8, ok bool) {
	for _, pt := range d.Codecs {
		if l := d.law(pt); l != 0 {
			return pt, l, true
		}
	}
	return 0, 0, false
}

// localMedia is this side's stream, from which offers and answers are made.
type localMedia struct {
	IP      net.IP
	Port    int
	Session uint64 // o= session id
	Version uint64 // o= version, bumped when the description changes
}

// sdpCodecNames are the rtpmap lines of what the caller can do.
var sdpCodecNames = map[uint8]string{PayloadPCMA: "PCMA/8000", PayloadPCMU: "PCMU/8000"}

// offer lists A-law first (the European standard, as pjsip.conf), then
// µ-law, and telephone-event 0–16 on eventPT.
func (m localMedia) offer(eventPT uint8) []byte {
	return m.describe([]uint8{PayloadPCMA, PayloadPCMU}, sdpCodecNames, int(eventPT), "sendrecv")
}

// answer answers an offer with what it has in common with the caller: its
// G.711 codecs in its order and its telephone-event, as RFC 3264 §6 wants
// (a subset of the offer, with the offer's payload numbers).
func (m localMedia) answer(o sessionDesc) ([]byte, error) {
	var codecs []uint8
	names := map[uint8]string{}
	for _, pt := range o.Codecs {
		switch o.law(pt) {
		case lawU:
			codecs, names[pt] = append(codecs, pt), "PCMU/8000"
		case lawA:
			codecs, names[pt] = append(codecs, pt), "PCMA/8000"
		}
	}
	if len(codecs) == 0 {
		return nil, fmt.Errorf("the offer has no G.711 codec (payload types %v)", o.Codecs)
	}
	dir := map[string]string{"sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}[o.Dir]
	if dir == "" {
		dir = "sendrecv"
	}
	return m.describe(codecs, names, o.EventPT, dir), nil
}

func (m localMedia) describe(codecs []uint8, names map[uint8]string, eventPT int, dir string) []byte {
	ipv := "IP4"
	if m.IP.To4() == nil {
		ipv = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=hotline %d %d IN %s %s\r\ns=hotline\r\nc=IN %s %s\r\nt=0 0\r\n",
		m.Session, m.Version, ipv, m.IP, ipv, m.IP)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP", m.Port)
	for _, pt := range codecs {
		fmt.Fprintf(&b, " %d", pt)
	}
	if eventPT >= 0 {
		fmt.Fprintf(&b, " %d", eventPT)
	}
	b.WriteString("\r\n")
	for _, pt := range codecs {
		fmt.Fprintf(&b, "a=rtpmap:%d %s\r\n", pt, names[pt])
	}
	if eventPT >= 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", eventPT, eventPT)
	}
	fmt.Fprintf(&b, "a=ptime:20\r\na=%s\r\n", dir)
	return []byte(b.String())
}
