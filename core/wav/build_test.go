package wav

import (
	"encoding/binary"
	"fmt"
	"math"
)

// A test encoder for every format the reader accepts, plus chunk-level builders for
// hand-made (and deliberately broken) files.

type spec struct {
	tag  uint16 // tagPCM or tagFloat
	bits int
	ext  bool // wrap as WAVE_FORMAT_EXTENSIBLE
	rate int
	ch   int
}

func (s spec) name() string {
	n := "pcm"
	if s.tag == tagFloat {
		n = "float"
	}
	if s.ext {
		n = "ext-" + n
	}
	return fmt.Sprintf("%s%d-ch%d", n, s.bits, s.ch)
}

func fmtChunk(s spec) []byte {
	le := binary.LittleEndian
	align := s.ch * s.bits / 8
	b := make([]byte, 16, 40)
	tag := s.tag
	if s.ext {
		tag = tagExtensible
	}
	le.PutUint16(b[0:], tag)
	le.PutUint16(b[2:], uint16(s.ch))
	le.PutUint32(b[4:], uint32(s.rate))
	le.PutUint32(b[8:], uint32(s.rate*align))
	le.PutUint16(b[12:], uint16(align))
	le.PutUint16(b[14:], uint16(s.bits))
	if s.ext {
		b = b[:40]
		le.PutUint16(b[16:], 22)
		le.PutUint16(b[18:], uint16(s.bits))
		le.PutUint32(b[20:], 0) // channel mask
		le.PutUint16(b[24:], s.tag)
		copy(b[26:], guidSuffix[:])
	}
	return chunk("fmt ", b)
}

func chunk(id string, body []byte) []byte {
	b := make([]byte, 8, 8+len(body)+1)
	copy(b, id)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func riff(chunks ...[]byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		b = append(b, c...)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// quantize maps x in [-1, 1] to the stored sample bytes and to the value the reader must
// return for them.
func quantize(s spec, x float64) ([]byte, float32) {
	le := binary.LittleEndian
	clip := func(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
	switch {
	case s.tag == tagFloat && s.bits == 32:
		b := make([]byte, 4)
		le.PutUint32(b, math.Float32bits(float32(x)))
		return b, float32(x)
	case s.tag == tagFloat && s.bits == 64:
		b := make([]byte, 8)
		le.PutUint64(b, math.Float64bits(x))
		return b, float32(x)
	case s.bits == 8:
		v := clip(math.Round(x*128), -128, 127)
		return []byte{byte(int(v) + 128)}, float32(v / 128)
	case s.bits == 16:
		v := clip(math.Round(x*32768), -32768, 32767)
		b := make([]byte, 2)
		le.PutUint16(b, uint16(int16(v)))
		return b, float32(v / 32768)
	case s.bits == 24:
		v := clip(math.Round(x*(1<<23)), -(1 << 23), 1<<23-1)
		u := uint32(int32(v))
		return []byte{byte(u), byte(u >> 8), byte(u >> 16)}, float32(v / (1 << 23))
	case s.bits == 32:
		v := clip(math.Round(x*(1<<31)), -(1 << 31), 1<<31-1)
		b := make([]byte, 4)
		le.PutUint32(b, uint32(int32(v)))
		return b, float32(v / (1 << 31))
	}
	panic("quantize: bad spec")
}

// encodeSpec returns the interleaved data bytes and the expected decoded samples.
func encodeSpec(s spec, x [][]float64) ([]byte, [][]float32) {
	var data []byte
	want := make([][]float32, len(x))
	for c := range x {
		want[c] = make([]float32, len(x[c]))
	}
	for i := range x[0] {
		for c := range x {
			b, v := quantize(s, x[c][i])
			data = append(data, b...)
			want[c][i] = v
		}
	}
	return data, want
}

// testSignal is a deterministic multi-tone signal reaching both full-scale ends.
func testSignal(ch, n int) [][]float64 {
	x := make([][]float64, ch)
	for c := range x {
		x[c] = make([]float64, n)
		for i := range x[c] {
			x[c][i] = 0.9 * math.Sin(2*math.Pi*float64(i*(c+1))/37.0+float64(c))
		}
		if n > 2 {
			x[c][0], x[c][1] = -1, 1
		}
	}
	return x
}

// allSpecs lists every format the reader supports.
func allSpecs(rate, ch int) []spec {
	var out []spec
	for _, ext := range []bool{false, true} {
		for _, b := range []int{8, 16, 24, 32} {
			out = append(out, spec{tag: tagPCM, bits: b, ext: ext, rate: rate, ch: ch})
		}
		for _, b := range []int{32, 64} {
			out = append(out, spec{tag: tagFloat, bits: b, ext: ext, rate: rate, ch: ch})
		}
	}
	return out
}

// buildFile returns a complete file for s and the samples the reader must return.
func buildFile(s spec, frames int) ([]byte, [][]float32) {
	data, want := encodeSpec(s, testSignal(s.ch, frames))
	return riff(fmtChunk(s), chunk("data", data)), want
}
