package wav

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Encode writes ch (one slice per channel, equal lengths) as a 16-bit PCM WAV file.
// Samples are scaled by 32768, rounded and clipped, so a decoded file re-encodes exactly.
func Encode(w io.Writer, rate int, ch [][]float32) error {
	return encode(w, rate, ch, tagPCM, 16, func(b []byte, x float32) {
		binary.LittleEndian.PutUint16(b, uint16(toInt16(x)))
	})
}

// EncodeFloat32 writes ch as a 32-bit IEEE float WAV file (lossless for float32 samples).
func EncodeFloat32(w io.Writer, rate int, ch [][]float32) error {
	return encode(w, rate, ch, tagFloat, 32, func(b []byte, x float32) {
		binary.LittleEndian.PutUint32(b, math.Float32bits(x))
	})
}

func toInt16(x float32) int16 {
	v := math.Round(float64(x) * 32768)
	switch {
	case v != v: // NaN
		return 0
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}

func encode(w io.Writer, rate int, ch [][]float32, tag uint16, bits int, put func([]byte, float32)) error {
	if len(ch) < 1 || len(ch) > MaxChannels {
		return fmt.Errorf("wav: encode %d channels (want 1..%d)", len(ch), MaxChannels)
	}
	if rate <= 0 || rate > math.MaxInt32 {
		return fmt.Errorf("wav: encode sample rate %d", rate)
	}
	frames := len(ch[0])
	for _, c := range ch[1:] {
		if len(c) != frames {
			return errors.New("wav: encode channels of unequal length")
		}
	}
	bps := bits / 8
	align := bps * len(ch)
	dataSize := int64(frames) * int64(align)
	if dataSize+36 > math.MaxUint32 {
		return fmt.Errorf("wav: encode %d frames: too long for a RIFF file", frames)
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	var h [44]byte
	le := binary.LittleEndian
	copy(h[0:4], "RIFF")
	le.PutUint32(h[4:8], uint32(36+dataSize+dataSize&1))
	copy(h[8:16], "WAVEfmt ")
	le.PutUint32(h[16:20], 16)
	le.PutUint16(h[20:22], tag)
	le.PutUint16(h[22:24], uint16(len(ch)))
	le.PutUint32(h[24:28], uint32(rate))
	le.PutUint32(h[28:32], uint32(rate*align))
	le.PutUint16(h[32:34], uint16(align))
	le.PutUint16(h[34:36], uint16(bits))
	copy(h[36:40], "data")
	le.PutUint32(h[40:44], uint32(dataSize))
	if _, err := bw.Write(h[:]); err != nil {
		return fmt.Errorf("wav: encode: %w", err)
	}
	var s [8]byte
	for i := range frames {
		for _, c := range ch {
			put(s[:bps], c[i])
			if _, err := bw.Write(s[:bps]); err != nil {
				return fmt.Errorf("wav: encode: %w", err)
			}
		}
	}
	if dataSize&1 == 1 {
		bw.WriteByte(0)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("wav: encode: %w", err)
	}
	return nil
}
