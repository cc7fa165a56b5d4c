package sipcall

import "math"

// frameSamples is 20 ms at 8 kHz, the frame the level is measured over
// (and the packet size Asterisk sends G.711 in).
const frameSamples = 160

// rmsDBFS is the RMS level of samples in dB relative to a full-scale
// square wave; silence (all zero) is -inf.
func rmsDBFS(pcm []int16) float64 {
	if len(pcm) == 0 {
		return math.Inf(-1)
	}
	var sum float64
	for _, s := range pcm {
		f := float64(s)
		sum += f * f
	}
	rms := math.Sqrt(sum / float64(len(pcm)))
	if rms == 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(rms/32768)
}

// framer cuts a stream of samples into 20 ms frames, whatever size the
// packets are, so the threshold means the same for any ptime.
type framer struct {
	buf []int16
}

// push adds samples and calls f with each complete frame's level.
func (fr *framer) push(pcm []int16, f func(dbfs float64)) {
	fr.buf = append(fr.buf, pcm...)
	for len(fr.buf) >= frameSamples {
		f(rmsDBFS(fr.buf[:frameSamples]))
		fr.buf = append(fr.buf[:0], fr.buf[frameSamples:]...)
	}
}
