package sipcall

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// wavWriter writes 8 kHz 16-bit mono PCM, the format of the prompts in
// asterisk/sounds, so what the probe heard can be compared with them. The
// RIFF sizes are written at Close, once the length is known.
type wavWriter struct {
	f       *os.File
	samples int64
	buf     []byte
}

func createWAV(path string) (*wavWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}
	w := &wavWriter{f: f}
	if _, err := f.Write(wavHeader(0)); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write recording %s: %w", path, err)
	}
	return w, nil
}

func wavHeader(samples int64) []byte {
	const rate, bits, channels = 8000, 16, 1
	data := uint32(samples * 2)
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+data)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], channels)
	binary.LittleEndian.PutUint32(h[24:], rate)
	binary.LittleEndian.PutUint32(h[28:], rate*channels*bits/8)
	binary.LittleEndian.PutUint16(h[32:], channels*bits/8)
	binary.LittleEndian.PutUint16(h[34:], bits)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], data)
	return h
}

// write appends samples.
func (w *wavWriter) write(pcm []int16) error {
	w.buf = w.buf[:0]
	for _, s := range pcm {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(s))
	}
	if _, err := w.f.Write(w.buf); err != nil {
		return fmt.Errorf("write recording: %w", err)
	}
	w.samples += int64(len(pcm))
	return nil
}

// Close writes the final sizes and closes the file.
func (w *wavWriter) Close() error {
	_, err := w.f.Seek(0, io.SeekStart)
	if err == nil {
		_, err = w.f.Write(wavHeader(w.samples))
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("finish recording %s: %w", w.f.Name(), err)
	}
	return nil
}
