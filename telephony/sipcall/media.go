package sipcall

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// levels is what the receiver tells the script about the audio: the first
// frame above the threshold since a moment the script chose, and the last
// one. notify is signalled (coalescing) after every loud frame. The recent
// loud frames are kept so a moment chosen a little late (the keys' end,
// known once its repeats are sent) still finds the first frame after it.
type levels struct {
	mu     sync.Mutex
	since  time.Time
	first  time.Time
	last   time.Time
	recent []time.Time // the last recentLoud loud frames, oldest first
	notify chan struct{}
}

const recentLoud = 64 // 1.28 s of frames

func (l *levels) init() { l.notify = make(chan struct{}, 1) }

// watch starts looking for audio from t on.
func (l *levels) watch(t time.Time) {
	l.mu.Lock()
	l.since, l.first = t, time.Time{}
	for _, at := range l.recent {
		if !at.Before(t) {
			l.first = at
			break
		}
	}
	found := !l.first.IsZero()
	l.mu.Unlock()
	if found {
		select {
		case l.notify <- struct{}{}:
		default:
		}
	}
}

func (l *levels) loud(at time.Time) {
	l.mu.Lock()
	l.last = at
	if len(l.recent) == recentLoud {
		l.recent = append(l.recent[:0], l.recent[1:]...)
	}
	l.recent = append(l.recent, at)
	if l.first.IsZero() && !at.Before(l.since) {
		l.first = at
	}
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *levels) read() (first, last time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first, l.last
}

// receive reads RTP until the socket is closed: it decodes the audio of the
// negotiated codec, measures it in 20 ms frames and records it. Packets it
// cannot read are counted, not fatal: a stray packet on the port must not
// end a call.
func (c *call) receive(rec *wavWriter) {
	buf := make([]byte, 2048)
	var fr framer
	var pcm []int16
	var ssrc, nextTS uint32
	haveTS := false
	for {
		n, _, err := c.rtp.ReadFromUDP(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				c.a.log.Warn("RTP socket failed", "call_id", c.callID, "err", err)
			}
			return
		}
		at := time.Now()
		h, payload, err := parseRTP(buf[:n])
		c.mu.Lock()
		law, isAudio := c.media.decode[h.PayloadType]
		if err != nil {
			c.stats.BadPackets++
		} else {
			c.stats.Packets++
		}
		c.mu.Unlock()
		if err != nil || !isAudio {
			continue // telephone-events, comfort noise: not audio to measure
		}
		dec := decoder(law)
		pcm = pcm[:0]
		for _, b := range payload {
			pcm = append(pcm, dec(b))
		}
		if rec != nil {
			// A gap in the timestamps (the server sent nothing while it
			// had nothing to play) is silence to whoever listens.
			if haveTS && h.SSRC == ssrc {
				if gap := int32(h.Timestamp - nextTS); gap > 0 && gap < 8000*30 {
					c.record(rec, make([]int16, gap))
				}
			}
			c.record(rec, pcm)
		}
		ssrc, nextTS, haveTS = h.SSRC, h.Timestamp+uint32(len(payload)), true
		fr.push(pcm, func(dbfs float64) {
			loud := dbfs > c.opts.Threshold
			c.mu.Lock()
			c.stats.Frames++
			if loud {
				c.stats.LoudFrames++
			}
			if dbfs > c.stats.PeakDBFS {
				c.stats.PeakDBFS = dbfs
			}
			c.mu.Unlock()
			if loud {
				c.levels.loud(at)
			}
		})
	}
}

func (c *call) record(rec *wavWriter, pcm []int16) {
	if err := rec.write(pcm); err != nil {
		c.mu.Lock()
		if c.stats.RecordErr == nil {
			c.stats.RecordErr = err
		}
		c.mu.Unlock()
	}
}

// DTMF timing: each key is an event of 100 ms, its end packet sent three
// times (RFC 4733 §2.5.1.4), then 100 ms of audio before the next key.
const (
	keyPackets   = 5 // of 20 ms each
	endRepeats   = 3
	keyGapFrames = 5
	eventVolume  = 10 // -10 dBm0
	samplesPer   = frameSamples
)

// send transmits a 20 ms packet every 20 ms until ctx ends: silence in the
// negotiated codec, as a phone whose microphone hears nothing, or the
// events of the keys asked for on keys (when the last one ended, its first
// end packet, goes to keysDone once its repeats are sent too).
// Sending from the start keeps NAT bindings and Asterisk's symmetric RTP
// latched on us.
func (c *call) send(ctx context.Context, keys <-chan string, keysDone chan<- time.Time) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	ssrc, seq, ts := randomUint32(), uint16(randomUint32()), randomUint32()
	marker := true // the first packet of a talkspurt (RFC 3551 §4.1)
	var pending []uint8
	var silence [samplesPer]byte
	var pkt []byte
	// The event in progress: its code, start timestamp and packets sent.
	type event struct {
		code  uint8
		start uint32
		sent  int
	}
	var ev *event
	gap := 0
	// When the last key's first end packet left: the key is complete for
	// the server from then (Asterisk acts on the first end packet).
	var lastEnd time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case k := <-keys:
			for _, r := range k {
				if code, ok := EventCode(r); ok {
					pending = append(pending, code)
				}
			}
			continue
		case <-tick.C:
		}
		c.mu.Lock()
		m := c.media
		c.mu.Unlock()
		if ev == nil && gap == 0 && len(pending) > 0 {
			ev = &event{code: pending[0], start: ts}
			pending = pending[1:]
		}
		var payload []byte
		h := rtpHeader{Seq: seq, Timestamp: ts, SSRC: ssrc}
		isEvent, lastKey := ev != nil, false
		if isEvent {
			// Every packet of an event carries its start timestamp and the
			// duration so far; the first has the marker bit, the last three
			// the end bit and the final duration (RFC 4733 §2.5.1).
			ev.sent++
			dur := uint16(min(ev.sent, keyPackets) * samplesPer)
			te := TelephoneEvent{Event: ev.code, Volume: eventVolume, Duration: dur, End: ev.sent >= keyPackets}
			h.PayloadType, h.Timestamp, h.Marker = m.eventPT, ev.start, ev.sent == 1
			payload = te.marshal()
			if ev.sent == keyPackets+endRepeats-1 {
				ev, gap, lastKey = nil, keyGapFrames, len(pending) == 0
				c.count(func(s *callStats) { s.EventsSent++ })
			}
		} else {
			if gap > 0 {
				gap--
			}
			enc := encoder(m.law)
			if enc == nil {
				ts += samplesPer
				continue
			}
			if silence[0] != enc(0) {
				for i := range silence {
					silence[i] = enc(0)
				}
			}
			h.PayloadType, h.Marker = m.sendPT, marker
			marker = false
			payload = silence[:]
		}
		ts += samplesPer // the clock runs on whatever is sent
		if isEvent && ev != nil && ev.sent == keyPackets && len(pending) == 0 {
			lastEnd = time.Now()
		}
		if m.send {
			seq++
			pkt = appendRTP(pkt[:0], h, payload)
			_, err := c.rtp.WriteToUDPAddrPort(pkt, m.dest)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Any other error (ICMP from a port not open yet) is the next
			// packet's chance.
			if err == nil {
				c.count(func(s *callStats) {
					if isEvent {
						s.EventPacketsSent++
					} else {
						s.AudioPacketsSent++
					}
				})
			}
		}
		if lastKey {
			select {
			case keysDone <- lastEnd:
			default:
			}
		}
	}
}
