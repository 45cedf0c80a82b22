// Package wav decodes and encodes RIFF/WAVE audio. The Reader streams a file as
// per-channel float32 samples in [-1, 1] from integer PCM (8-bit unsigned, 16, 24 and
// 32-bit signed), IEEE float (32 and 64-bit) and WAVE_FORMAT_EXTENSIBLE files carrying
// either. Chunks may come in any order, unknown chunks are skipped, and corrupt input
// yields an error wrapping ErrNotWAV, ErrUnsupportedFormat or ErrTruncated — never a
// panic or an allocation sized by the file's own claims.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Sentinel errors; every error from this package that concerns the data wraps one of them.
var (
	// ErrNotWAV means the input is not a RIFF/WAVE stream or lacks a fmt or data chunk.
	ErrNotWAV = errors.New("wav: not a RIFF/WAVE file")
	// ErrUnsupportedFormat means a well-formed file uses an encoding this package does not decode.
	ErrUnsupportedFormat = errors.New("wav: unsupported format")
	// ErrTruncated means the stream ended inside a chunk it had announced.
	ErrTruncated = errors.New("wav: truncated")
)

// MaxChannels is the largest channel count accepted.
const MaxChannels = 64

// Format tags (wFormatTag) understood by the reader.
const (
	tagPCM        = 0x0001
	tagFloat      = 0x0003
	tagExtensible = 0xFFFE
)

// unknownSize is the data chunk size streaming writers put in when the length is unknown.
const unknownSize = 0xFFFFFFFF

// maxFmtSize bounds how much of a fmt chunk is held in memory; the rest is skipped.
const maxFmtSize = 1024

// readBufSize is the size of the Reader's byte buffer.
const readBufSize = 32 << 10

// guidSuffix is the tail shared by the KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT GUIDs; the
// first two bytes of the GUID carry the format tag.
var guidSuffix = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// Format describes a decoded stream. BitsPerSample is the container size (8, 16, 24, 32, 64).
type Format struct {
	SampleRate    int
	Channels      int
	BitsPerSample int
	Float         bool
}

// Reader streams the samples of a WAV file. It is not safe for concurrent use.
type Reader struct {
	r        io.Reader
	format   Format
	bps      int   // bytes per sample
	align    int   // bytes per frame
	frames   int64 // declared frames, -1 if unknown
	left     int64 // frames not yet delivered, -1 if unknown
	pos      int64 // frames delivered
	buf      []byte
	have     int // valid bytes at the start of buf (a partial frame carried over)
	err      error
	decodeFn func(dst [][]float32, off int, src []byte)
}

// NewReader parses the RIFF header and the chunks up to the data chunk. If the data chunk
// comes before the fmt chunk, r must be an io.Seeker.
func NewReader(r io.Reader) (*Reader, error) {
	p := parser{r: r}
	if s, ok := r.(io.Seeker); ok {
		p.seeker = s
		if base, err := s.Seek(0, io.SeekCurrent); err == nil {
			p.base = base
		} else {
			p.seeker = nil
		}
	}
	return p.parse()
}

type parser struct {
	r      io.Reader
	seeker io.Seeker
	base   int64 // seeker offset of the stream start
	off    int64 // bytes consumed since the stream start
}

func (p *parser) read(b []byte) error {
	n, err := io.ReadFull(p.r, b)
	p.off += int64(n)
	return err
}

// skip discards n bytes, seeking when possible.
func (p *parser) skip(n int64) error {
	if n == 0 {
		return nil
	}
	if p.seeker != nil {
		if _, err := p.seeker.Seek(p.base+p.off+n, io.SeekStart); err != nil {
			return err
		}
		p.off += n
		return nil
	}
	m, err := io.CopyN(io.Discard, p.r, n)
	p.off += m
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (p *parser) parse() (*Reader, error) {
	var hdr [12]byte
	if err := p.read(hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: header too short", ErrNotWAV)
	}
	switch string(hdr[0:4]) {
	case "RIFF":
	case "RIFX":
		return nil, fmt.Errorf("%w: big-endian RIFX", ErrUnsupportedFormat)
	case "RF64":
		return nil, fmt.Errorf("%w: RF64", ErrUnsupportedFormat)
	default:
		return nil, fmt.Errorf("%w: missing RIFF signature", ErrNotWAV)
	}
	if string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: RIFF form type %q is not WAVE", ErrNotWAV, hdr[8:12])
	}

	var (
		f        Format
		haveFmt  bool
		decodeFn func([][]float32, int, []byte)
		dataOff  int64 = -1
		dataSize uint32
		chunk    [8]byte
		fmtBuf   [maxFmtSize]byte
	)
	for {
		if err := p.read(chunk[:]); err != nil {
			if err == io.EOF {
				if !haveFmt {
					return nil, fmt.Errorf("%w: no fmt chunk", ErrNotWAV)
				}
				return nil, fmt.Errorf("%w: no data chunk", ErrNotWAV)
			}
			return nil, fmt.Errorf("%w: chunk header", ErrTruncated)
		}
		id := string(chunk[0:4])
		size := binary.LittleEndian.Uint32(chunk[4:8])
		pad := int64(size & 1)
		switch id {
		case "fmt ":
			if haveFmt {
				return nil, fmt.Errorf("%w: more than one fmt chunk", ErrNotWAV)
			}
			n := min(int64(size), maxFmtSize)
			if err := p.read(fmtBuf[:n]); err != nil {
				return nil, fmt.Errorf("%w: fmt chunk", ErrTruncated)
			}
			var err error
			f, decodeFn, err = parseFmt(fmtBuf[:n])
			if err != nil {
				return nil, err
			}
			haveFmt = true
			if err := p.skip(int64(size) - n + pad); err != nil {
				if dataOff < 0 {
					return nil, fmt.Errorf("%w: fmt chunk", ErrTruncated)
				}
			}
			if dataOff >= 0 {
				// The data chunk came first; go back to it.
				if _, err := p.seeker.Seek(p.base+dataOff, io.SeekStart); err != nil {
					return nil, fmt.Errorf("wav: seek back to data chunk: %w", err)
				}
				p.off = dataOff
				return newReader(p.r, f, decodeFn, dataSize), nil
			}
		case "data":
			if haveFmt {
				return newReader(p.r, f, decodeFn, size), nil
			}
			if p.seeker == nil {
				return nil, fmt.Errorf("%w: data chunk before fmt chunk in a stream that cannot seek", ErrUnsupportedFormat)
			}
			if size == unknownSize {
				return nil, fmt.Errorf("%w: data chunk of unknown size before fmt chunk", ErrUnsupportedFormat)
			}
			dataOff, dataSize = p.off, size
			if err := p.skip(int64(size) + pad); err != nil {
				return nil, fmt.Errorf("wav: skip data chunk: %w", err)
			}
		default:
			if err := p.skip(int64(size) + pad); err != nil {
				return nil, fmt.Errorf("%w: %q chunk", ErrTruncated, chunk[0:4])
			}
		}
	}
}

// parseFmt validates a fmt chunk and picks the decoder.
func parseFmt(b []byte) (Format, func([][]float32, int, []byte), error) {
	if len(b) < 16 {
		return Format{}, nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrNotWAV, len(b))
	}
	le := binary.LittleEndian
	tag := le.Uint16(b[0:2])
	channels := int(le.Uint16(b[2:4]))
	rate := le.Uint32(b[4:8])
	align := int(le.Uint16(b[12:14]))
	bits := int(le.Uint16(b[14:16]))
	if tag == tagExtensible {
		if len(b) < 40 || le.Uint16(b[16:18]) < 22 {
			return Format{}, nil, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes", ErrNotWAV, len(b))
		}
		valid := int(le.Uint16(b[18:20]))
		if valid > bits {
			return Format{}, nil, fmt.Errorf("%w: %d valid bits in a %d-bit container", ErrUnsupportedFormat, valid, bits)
		}
		guid := b[24:40]
		if [14]byte(guid[2:]) != guidSuffix {
			return Format{}, nil, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE sub-format GUID %s", ErrUnsupportedFormat, guidString(guid))
		}
		tag = le.Uint16(guid[0:2])
		if tag == tagExtensible {
			return Format{}, nil, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE sub-format GUID %s", ErrUnsupportedFormat, guidString(guid))
		}
	}
	if channels < 1 || channels > MaxChannels {
		return Format{}, nil, fmt.Errorf("%w: %d channels (want 1..%d)", ErrUnsupportedFormat, channels, MaxChannels)
	}
	if rate == 0 || rate > math.MaxInt32 {
		return Format{}, nil, fmt.Errorf("%w: sample rate %d", ErrUnsupportedFormat, rate)
	}
	f := Format{SampleRate: int(rate), Channels: channels, BitsPerSample: bits}
	var dec func([][]float32, int, []byte)
	switch tag {
	case tagPCM:
		switch bits {
		case 8:
			dec = decodeU8
		case 16:
			dec = decodeS16
		case 24:
			dec = decodeS24
		case 32:
			dec = decodeS32
		default:
			return Format{}, nil, fmt.Errorf("%w: PCM with %d bits per sample", ErrUnsupportedFormat, bits)
		}
	case tagFloat:
		f.Float = true
		switch bits {
		case 32:
			dec = decodeF32
		case 64:
			dec = decodeF64
		default:
			return Format{}, nil, fmt.Errorf("%w: IEEE float with %d bits per sample", ErrUnsupportedFormat, bits)
		}
	default:
		return Format{}, nil, fmt.Errorf("%w: format tag 0x%04X", ErrUnsupportedFormat, tag)
	}
	if want := channels * bits / 8; align != want {
		return Format{}, nil, fmt.Errorf("%w: block align %d, want %d for %d channels of %d bits",
			ErrUnsupportedFormat, align, want, channels, bits)
	}
	return f, dec, nil
}

func newReader(r io.Reader, f Format, dec func([][]float32, int, []byte), size uint32) *Reader {
	bps := f.BitsPerSample / 8
	align := bps * f.Channels
	rd := &Reader{r: r, format: f, bps: bps, align: align, frames: -1, left: -1, decodeFn: dec}
	if size != unknownSize {
		rd.frames = int64(size) / int64(align)
		rd.left = rd.frames
	}
	// The buffer holds a whole number of frames.
	rd.buf = make([]byte, max(1, readBufSize/align)*align)
	return rd
}

// Format returns the stream's format.
func (r *Reader) Format() Format { return r.format }

// Frames returns the number of frames the data chunk declares, or -1 if its size is
// unknown (a streamed file). A truncated file delivers fewer.
func (r *Reader) Frames() int64 { return r.frames }

// Read decodes up to len(dst[0]) frames into dst, one slice per channel (len(dst) must equal
// the channel count and the slices must have equal length). It returns n > 0 with a nil
// error while samples remain, then 0 and io.EOF at the end. If the data chunk is shorter
// than declared, every complete frame is delivered first and then an error wrapping both
// ErrTruncated and io.ErrUnexpectedEOF is returned. Integer samples are scaled by
// 2^(bits-1) (8-bit ones offset by 128 first); float samples pass through unchanged, so
// they may exceed [-1, 1] if the file's do.
func (r *Reader) Read(dst [][]float32) (int, error) {
	if len(dst) != r.format.Channels {
		return 0, fmt.Errorf("wav: read into %d channels, stream has %d", len(dst), r.format.Channels)
	}
	want := len(dst[0])
	for _, d := range dst[1:] {
		if len(d) != want {
			return 0, errors.New("wav: read into channel slices of unequal length")
		}
	}
	n := 0
	for n < want && r.err == nil {
		k := want - n
		if r.left >= 0 && int64(k) > r.left {
			k = int(r.left)
		}
		if k == 0 {
			r.err = io.EOF
			break
		}
		k = min(k, len(r.buf)/r.align)
		need := k * r.align
		m, err := io.ReadAtLeast(r.r, r.buf[r.have:need], need-r.have)
		got := r.have + m
		frames := got / r.align
		r.decodeFn(dst, n, r.buf[:frames*r.align])
		// Keep a partial frame for the next call (only possible after an error).
		rest := got - frames*r.align
		copy(r.buf, r.buf[frames*r.align:got])
		r.have = rest
		n += frames
		r.pos += int64(frames)
		if r.left >= 0 {
			r.left -= int64(frames)
		}
		if err != nil {
			r.err = r.endError(err)
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, r.err
}

// endError turns the underlying reader's error at the end of the data into the Reader's.
func (r *Reader) endError(err error) error {
	if err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("wav: read data: %w", err)
	}
	if r.left < 0 && r.have == 0 {
		return io.EOF // unknown length ends at a frame boundary
	}
	if r.left < 0 {
		return fmt.Errorf("%w: data ends inside frame %d: %w", ErrTruncated, r.pos, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w: data chunk ends at frame %d of %d: %w", ErrTruncated, r.pos, r.frames, io.ErrUnexpectedEOF)
}

// ReadFile decodes a whole file. Errors name the file.
func ReadFile(path string) (Format, [][]float32, error) {
	fh, err := os.Open(path)
	if err != nil {
		return Format{}, nil, err
	}
	defer fh.Close()
	rd, err := NewReader(fh)
	if err != nil {
		return Format{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	f := rd.Format()
	// Preallocate what the file can actually hold, not what the header claims.
	capFrames := int64(0)
	if st, err := fh.Stat(); err == nil {
		capFrames = st.Size() / int64(rd.align)
	}
	if rd.frames >= 0 {
		capFrames = min(capFrames, rd.frames)
	}
	out := make([][]float32, f.Channels)
	for c := range out {
		out[c] = make([]float32, 0, capFrames)
	}
	const block = 4096
	tmp := make([][]float32, f.Channels)
	for c := range tmp {
		tmp[c] = make([]float32, block)
	}
	for {
		n, err := rd.Read(tmp)
		for c := range out {
			out[c] = append(out[c], tmp[c][:n]...)
		}
		if err == io.EOF {
			return f, out, nil
		}
		if err != nil {
			return f, out, fmt.Errorf("%s: %w", path, err)
		}
	}
}

// guidString formats a little-endian GUID the way Windows headers write it.
func guidString(g []byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("{%08X-%04X-%04X-%X-%X}", le.Uint32(g[0:4]), le.Uint16(g[4:6]), le.Uint16(g[6:8]), g[8:10], g[10:16])
}
