package wav

import (
	"encoding/binary"
	"math"
)

// Decoders turn whole frames of interleaved little-endian samples in src into dst[c][off:].

func decodeU8(dst [][]float32, off int, src []byte) {
	ch := len(dst)
	if ch == 1 {
		d := dst[0][off : off+len(src)]
		for i, b := range src {
			d[i] = float32(int(b)-128) / 128
		}
		return
	}
	for i := 0; i < len(src); i += ch {
		for c := range ch {
			dst[c][off] = float32(int(src[i+c])-128) / 128
		}
		off++
	}
}

func decodeS16(dst [][]float32, off int, src []byte) {
	ch := len(dst)
	if ch == 1 {
		d := dst[0][off : off+len(src)/2]
		for i := range d {
			d[i] = float32(int16(binary.LittleEndian.Uint16(src[2*i:]))) / 32768
		}
		return
	}
	for i := 0; i+2*ch <= len(src); i += 2 * ch {
		for c := range ch {
			dst[c][off] = float32(int16(binary.LittleEndian.Uint16(src[i+2*c:]))) / 32768
		}
		off++
	}
}

func s24(b []byte) float32 {
	v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
	return float32(v) / (1 << 23)
}

func decodeS24(dst [][]float32, off int, src []byte) {
	ch := len(dst)
	for i := 0; i+3*ch <= len(src); i += 3 * ch {
		for c := range ch {
			dst[c][off] = s24(src[i+3*c:])
		}
		off++
	}
}

func decodeS32(dst [][]float32, off int, src []byte) {
	ch := len(dst)
	for i := 0; i+4*ch <= len(src); i += 4 * ch {
		for c := range ch {
			dst[c][off] = float32(float64(int32(binary.LittleEndian.Uint32(src[i+4*c:]))) / (1 << 31))
		}
		off++
	}
}

func decodeF32(dst [][]float32, off int, src []byte) {
	ch := len(dst)
	for i := 0; i+4*ch <= len(src); i += 4 * ch {
		for c := range ch {
			dst[c][off] = math.Float32frombits(binary.LittleEndian.Uint32(src[i+4*c:]))
		}
		off++
	}
}

func decodeF64(dst [][]float32, off int, src []byte) {
	ch := len(dst)
	for i := 0; i+8*ch <= len(src); i += 8 * ch {
		for c := range ch {
			dst[c][off] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[i+8*c:])))
		}
		off++
	}
}
