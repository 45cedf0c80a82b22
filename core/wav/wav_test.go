package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"signalcraft/core/shareddata"
)

// readAll drains rd in blocks of block frames.
func readAll(t *testing.T, rd *Reader, block int) ([][]float32, error) {
	t.Helper()
	ch := rd.Format().Channels
	out := make([][]float32, ch)
	buf := make([][]float32, ch)
	for c := range buf {
		buf[c] = make([]float32, block)
	}
	for {
		n, err := rd.Read(buf)
		if n < 0 || n > block {
			t.Fatalf("Read returned n=%d for a %d-frame buffer", n, block)
		}
		if n > 0 && err != nil {
			t.Fatalf("Read returned n=%d with error %v", n, err)
		}
		for c := range out {
			out[c] = append(out[c], buf[c][:n]...)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func equalSamples(t *testing.T, got, want [][]float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d channels, want %d", len(got), len(want))
	}
	for c := range want {
		if len(got[c]) != len(want[c]) {
			t.Fatalf("channel %d: got %d frames, want %d", c, len(got[c]), len(want[c]))
		}
		for i := range want[c] {
			if got[c][i] != want[c][i] {
				t.Fatalf("channel %d frame %d: got %v, want %v", c, i, got[c][i], want[c][i])
			}
		}
	}
}

func TestRoundTripEveryFormat(t *testing.T) {
	const frames = 1001
	for _, ch := range []int{1, 2, 3} {
		for _, s := range allSpecs(16000, ch) {
			t.Run(s.name(), func(t *testing.T) {
				file, want := buildFile(s, frames)
				rd, err := NewReader(bytes.NewReader(file))
				if err != nil {
					t.Fatal(err)
				}
				wantFmt := Format{SampleRate: 16000, Channels: ch, BitsPerSample: s.bits, Float: s.tag == tagFloat}
				if rd.Format() != wantFmt {
					t.Errorf("Format() = %+v, want %+v", rd.Format(), wantFmt)
				}
				if rd.Frames() != frames {
					t.Errorf("Frames() = %d, want %d", rd.Frames(), frames)
				}
				got, err := readAll(t, rd, 7) // odd block size: crosses buffer boundaries
				if err != nil {
					t.Fatal(err)
				}
				equalSamples(t, got, want)
				if got[0][0] != -1 {
					t.Errorf("full-scale negative decoded as %v, want -1", got[0][0])
				}
			})
		}
	}
}

func TestLargeReadsCrossInternalBuffer(t *testing.T) {
	s := spec{tag: tagPCM, bits: 24, rate: 48000, ch: 3}
	file, want := buildFile(s, 50000) // 450 kB: many internal buffer refills
	rd, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, rd, 20000)
	if err != nil {
		t.Fatal(err)
	}
	equalSamples(t, got, want)
}

func TestEncodeRoundTrip(t *testing.T) {
	x := testSignal(2, 500)
	in := make([][]float32, 2)
	for c := range in {
		in[c] = make([]float32, len(x[c]))
		for i, v := range x[c] {
			in[c][i] = float32(v)
		}
	}
	t.Run("pcm16", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Encode(&buf, 8000, in); err != nil {
			t.Fatal(err)
		}
		_, want := encodeSpec(spec{tag: tagPCM, bits: 16, ch: 2}, x)
		rd, err := NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if f := rd.Format(); f != (Format{8000, 2, 16, false}) {
			t.Errorf("format %+v", f)
		}
		got, err := readAll(t, rd, 64)
		if err != nil {
			t.Fatal(err)
		}
		equalSamples(t, got, want)
		// Decoded PCM16 re-encodes to the same bytes.
		var again, first bytes.Buffer
		Encode(&first, 8000, got)
		Encode(&again, 8000, got)
		if !bytes.Equal(first.Bytes(), again.Bytes()) {
			t.Error("re-encoding is not stable")
		}
	})
	t.Run("float32", func(t *testing.T) {
		var buf bytes.Buffer
		if err := EncodeFloat32(&buf, 44100, in); err != nil {
			t.Fatal(err)
		}
		rd, err := NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if f := rd.Format(); f != (Format{44100, 2, 32, true}) {
			t.Errorf("format %+v", f)
		}
		got, err := readAll(t, rd, 100)
		if err != nil {
			t.Fatal(err)
		}
		equalSamples(t, got, in)
	})
	t.Run("clipping", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Encode(&buf, 8000, [][]float32{{2, -2, 1, 0.5}}); err != nil {
			t.Fatal(err)
		}
		rd, _ := NewReader(&buf)
		got, err := readAll(t, rd, 10)
		if err != nil {
			t.Fatal(err)
		}
		equalSamples(t, got, [][]float32{{32767.0 / 32768, -1, 32767.0 / 32768, 0.5}})
	})
	t.Run("odd data size is padded", func(t *testing.T) {
		// 1 channel × 16 bit is always even; EncodeFloat32 too: check the RIFF size instead.
		var buf bytes.Buffer
		if err := Encode(&buf, 8000, [][]float32{{0, 0, 0}}); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		if got := binary.LittleEndian.Uint32(b[4:]); int(got) != len(b)-8 {
			t.Errorf("RIFF size %d, file has %d bytes after the header", got, len(b)-8)
		}
	})
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		rate int
		ch   [][]float32
		want string
	}{
		{"no channels", 8000, nil, "wav: encode 0 channels (want 1..64)"},
		{"bad rate", 0, [][]float32{{0}}, "wav: encode sample rate 0"},
		{"unequal", 8000, [][]float32{{0}, {0, 1}}, "wav: encode channels of unequal length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Encode(io.Discard, tt.rate, tt.ch)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// noSeek hides a reader's Seek method.
type noSeek struct{ io.Reader }

func TestChunkLayouts(t *testing.T) {
	s := spec{tag: tagPCM, bits: 16, rate: 16000, ch: 2}
	data, want := encodeSpec(s, testSignal(2, 301))
	odd := chunk("junk", []byte{1, 2, 3}) // odd size: one pad byte follows
	list := chunk("LIST", []byte("INFOISFT\x05\x00\x00\x00Lavf\x00\x00"))
	tests := []struct {
		name   string
		file   []byte
		noSeek bool
	}{
		{"plain", riff(fmtChunk(s), chunk("data", data)), false},
		{"chunks before fmt", riff(list, odd, fmtChunk(s), chunk("data", data)), true},
		{"odd chunk between fmt and data", riff(fmtChunk(s), odd, chunk("data", data)), true},
		{"chunks after data", riff(fmtChunk(s), chunk("data", data), list, odd), true},
		{"data before fmt (seekable)", riff(odd, chunk("data", data), list, fmtChunk(s), odd), false},
		{"fmt chunk with extra bytes", riff(extendFmt(fmtChunk(s), 7), chunk("data", data)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(tt.file)
			if tt.noSeek {
				r = noSeek{r}
			}
			rd, err := NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, rd, 50)
			if err != nil {
				t.Fatal(err)
			}
			equalSamples(t, got, want)
		})
	}
}

// extendFmt appends n bytes to the body of a fmt chunk (a cbSize-style extension).
func extendFmt(c []byte, n int) []byte {
	body := append(append([]byte{}, c[8:8+binary.LittleEndian.Uint32(c[4:])]...), make([]byte, n)...)
	return chunk("fmt ", body)
}

func TestTruncatedData(t *testing.T) {
	s := spec{tag: tagPCM, bits: 24, rate: 8000, ch: 2}
	file, want := buildFile(s, 1000)
	// Keep 400 whole frames and half of the next one.
	cut := 12 + 24 + 8 + 400*6 + 3
	rd, err := NewReader(bytes.NewReader(file[:cut]))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, rd, 64)
	if !errors.Is(err, ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want ErrTruncated and io.ErrUnexpectedEOF", err)
	}
	const msg = "wav: truncated: data chunk ends at frame 400 of 1000: unexpected EOF"
	if err.Error() != msg {
		t.Errorf("err = %q, want %q", err, msg)
	}
	equalSamples(t, got, [][]float32{want[0][:400], want[1][:400]})
	// The error is sticky.
	if _, err2 := rd.Read([][]float32{make([]float32, 4), make([]float32, 4)}); err2 != err {
		t.Errorf("second Read err = %v, want %v", err2, err)
	}
}

func TestUnknownDataSize(t *testing.T) {
	s := spec{tag: tagPCM, bits: 16, rate: 8000, ch: 1}
	data, want := encodeSpec(s, testSignal(1, 777))
	c := chunk("data", data)
	binary.LittleEndian.PutUint32(c[4:], unknownSize)
	rd, err := NewReader(noSeek{bytes.NewReader(riff(fmtChunk(s), c))})
	if err != nil {
		t.Fatal(err)
	}
	if rd.Frames() != -1 {
		t.Errorf("Frames() = %d, want -1", rd.Frames())
	}
	got, err := readAll(t, rd, 100)
	if err != nil {
		t.Fatal(err)
	}
	equalSamples(t, got, want)

	// Ending inside a frame is reported.
	rd, _ = NewReader(bytes.NewReader(append(riff(fmtChunk(spec{tag: tagPCM, bits: 16, rate: 8000, ch: 2}), c), 1)))
	_, err = readAll(t, rd, 100)
	if !errors.Is(err, ErrTruncated) || err.Error() != "wav: truncated: data ends inside frame 388: unexpected EOF" {
		t.Errorf("err = %v", err)
	}
}

func TestReadArguments(t *testing.T) {
	file, _ := buildFile(spec{tag: tagPCM, bits: 16, rate: 8000, ch: 2}, 10)
	rd, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Read([][]float32{make([]float32, 4)}); err == nil || err.Error() != "wav: read into 1 channels, stream has 2" {
		t.Errorf("err = %v", err)
	}
	if _, err := rd.Read([][]float32{make([]float32, 4), make([]float32, 3)}); err == nil || err.Error() != "wav: read into channel slices of unequal length" {
		t.Errorf("err = %v", err)
	}
	if n, err := rd.Read([][]float32{{}, {}}); n != 0 || err != nil {
		t.Errorf("empty read = %d, %v", n, err)
	}
}

func TestHeaderErrors(t *testing.T) {
	s := spec{tag: tagPCM, bits: 16, rate: 8000, ch: 1}
	data := make([]byte, 20)
	fmtWith := func(mod func(b []byte)) []byte {
		c := fmtChunk(s)
		mod(c[8:])
		return c
	}
	le := binary.LittleEndian
	ext := spec{tag: tagPCM, bits: 16, rate: 8000, ch: 1, ext: true}
	badGUID := fmtChunk(ext)
	badGUID[8+24+5] = 0x42
	tests := []struct {
		name   string
		file   []byte
		noSeek bool
		is     error
		want   string
	}{
		{"empty", nil, false, ErrNotWAV, "wav: not a RIFF/WAVE file: header too short"},
		{"not riff", []byte("ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00"), false, ErrNotWAV, "wav: not a RIFF/WAVE file: missing RIFF signature"},
		{"riff avi", []byte("RIFF\x04\x00\x00\x00AVI "), false, ErrNotWAV, `wav: not a RIFF/WAVE file: RIFF form type "AVI " is not WAVE`},
		{"rifx", []byte("RIFX\x04\x00\x00\x00WAVE"), false, ErrUnsupportedFormat, "wav: unsupported format: big-endian RIFX"},
		{"no chunks", riff(), false, ErrNotWAV, "wav: not a RIFF/WAVE file: no fmt chunk"},
		{"no data", riff(fmtChunk(s)), false, ErrNotWAV, "wav: not a RIFF/WAVE file: no data chunk"},
		{"data only", riff(chunk("data", data)), false, ErrNotWAV, "wav: not a RIFF/WAVE file: no fmt chunk"},
		{"data before fmt, no seek", riff(chunk("data", data), fmtChunk(s)), true, ErrUnsupportedFormat,
			"wav: unsupported format: data chunk before fmt chunk in a stream that cannot seek"},
		{"two fmt", riff(fmtChunk(s), fmtChunk(s), chunk("data", data)), false, ErrNotWAV, "wav: not a RIFF/WAVE file: more than one fmt chunk"},
		{"short fmt", riff(chunk("fmt ", make([]byte, 14)), chunk("data", data)), false, ErrNotWAV, "wav: not a RIFF/WAVE file: fmt chunk of 14 bytes"},
		{"truncated fmt", riff(fmtChunk(s))[:12+8+10], false, ErrTruncated, "wav: truncated: fmt chunk"},
		{"truncated chunk header", riff(fmtChunk(s))[:12+24+5], false, ErrTruncated, "wav: truncated: chunk header"},
		{"truncated unknown chunk", riff(fmtChunk(s), chunk("LIST", make([]byte, 100)))[:12+24+50], true, ErrTruncated, `wav: truncated: "LIST" chunk`},
		{"mp3", riff(fmtWith(func(b []byte) { le.PutUint16(b, 0x0055) }), chunk("data", data)), false, ErrUnsupportedFormat,
			"wav: unsupported format: format tag 0x0055"},
		{"adpcm in extensible", riff(func() []byte { c := fmtChunk(ext); le.PutUint16(c[8+24:], 0x0002); return c }(), chunk("data", data)), false, ErrUnsupportedFormat,
			"wav: unsupported format: format tag 0x0002"},
		{"foreign GUID", riff(badGUID, chunk("data", data)), false, ErrUnsupportedFormat,
			"wav: unsupported format: WAVE_FORMAT_EXTENSIBLE sub-format GUID {00000001-4200-0010-8000-00AA00389B71}"},
		{"short extensible", riff(fmtWith(func(b []byte) { le.PutUint16(b, tagExtensible) }), chunk("data", data)), false, ErrNotWAV,
			"wav: not a RIFF/WAVE file: WAVE_FORMAT_EXTENSIBLE fmt chunk of 16 bytes"},
		{"12-bit pcm", riff(fmtWith(func(b []byte) { le.PutUint16(b[14:], 12) }), chunk("data", data)), false, ErrUnsupportedFormat,
			"wav: unsupported format: PCM with 12 bits per sample"},
		{"16-bit float", riff(fmtWith(func(b []byte) { le.PutUint16(b, tagFloat) }), chunk("data", data)), false, ErrUnsupportedFormat,
			"wav: unsupported format: IEEE float with 16 bits per sample"},
		{"zero channels", riff(fmtWith(func(b []byte) { le.PutUint16(b[2:], 0) }), chunk("data", data)), false, ErrUnsupportedFormat,
			"wav: unsupported format: 0 channels (want 1..64)"},
		{"65 channels", riff(fmtWith(func(b []byte) { le.PutUint16(b[2:], 65) }), chunk("data", data)), false, ErrUnsupportedFormat,
			"wav: unsupported format: 65 channels (want 1..64)"},
		{"zero rate", riff(fmtWith(func(b []byte) { le.PutUint32(b[4:], 0) }), chunk("data", data)), false, ErrUnsupportedFormat,
			"wav: unsupported format: sample rate 0"},
		{"bad block align", riff(fmtWith(func(b []byte) { le.PutUint16(b[12:], 4) }), chunk("data", data)), false, ErrUnsupportedFormat,
			"wav: unsupported format: block align 4, want 2 for 1 channels of 16 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(tt.file)
			if tt.noSeek {
				r = noSeek{r}
			}
			_, err := NewReader(r)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want it to wrap %v", err, tt.is)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q\nwant  %q", err, tt.want)
			}
		})
	}
}

func TestHugeDeclaredSizesAllocateLittle(t *testing.T) {
	s := spec{tag: tagPCM, bits: 8, rate: 8000, ch: 64}
	c := chunk("data", make([]byte, 64*3))
	binary.LittleEndian.PutUint32(c[4:], 0xFFFFFFF0)
	file := riff(fmtChunk(s), c)
	path := filepath.Join(t.TempDir(), "huge.wav")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, got, err := ReadFile(path)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTruncated) || len(got) != 64 || len(got[0]) != 3 {
		t.Fatalf("ReadFile = %d channels, err %v", len(got), err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
		t.Errorf("ReadFile of a %d-byte file claiming 4 GiB allocated %d bytes", len(file), d)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	s := spec{tag: tagFloat, bits: 32, rate: 22050, ch: 2, ext: true}
	file, want := buildFile(s, 5000)
	good := filepath.Join(dir, "good.wav")
	os.WriteFile(good, file, 0o644)
	f, got, err := ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if f != (Format{22050, 2, 32, true}) {
		t.Errorf("format %+v", f)
	}
	equalSamples(t, got, want)

	bad := filepath.Join(dir, "bad.wav")
	os.WriteFile(bad, []byte("hello"), 0o644)
	_, _, err = ReadFile(bad)
	if !errors.Is(err, ErrNotWAV) || err.Error() != bad+": wav: not a RIFF/WAVE file: header too short" {
		t.Errorf("err = %v", err)
	}
	missing := filepath.Join(dir, "missing.wav")
	if _, _, err = ReadFile(missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("err = %v", err)
	}
	trunc := filepath.Join(dir, "trunc.wav")
	os.WriteFile(trunc, file[:len(file)-100], 0o644)
	_, got, err = ReadFile(trunc)
	if !errors.Is(err, ErrTruncated) || !strings.HasPrefix(err.Error(), trunc+": wav: truncated: data chunk ends at frame 4987 of 5000") {
		t.Errorf("err = %v", err)
	}
	if len(got[0]) != 4987 {
		t.Errorf("truncated file delivered %d frames, want 4987", len(got[0]))
	}
}

func TestDCASEFiles(t *testing.T) {
	for _, set := range []string{"dcase2022-valve-sec00-source", "dcase2020-id00"} {
		dir := shareddata.Require(t, set)
		paths, err := filepath.Glob(filepath.Join(dir, "*.wav"))
		if err != nil || len(paths) < 50 {
			t.Fatalf("%s: found %d wav files (%v)", dir, len(paths), err)
		}
		for _, p := range paths {
			f, x, err := ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if f != (Format{16000, 1, 16, false}) || len(x[0]) != 160000 {
				t.Fatalf("%s: format %+v, %d frames; want 16 kHz mono PCM16, 160000 frames", p, f, len(x[0]))
			}
		}
	}
	// First samples of one clip, checked against its bytes (xxd: 19ff 59ff beff e7fe).
	p := shareddata.Require(t, "dcase2022-valve-sec00-source", "section_00_source_test_anomaly_0000_pat_00.wav")
	_, x, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{-231.0 / 32768, -167.0 / 32768, -66.0 / 32768, -281.0 / 32768}
	equalSamples(t, [][]float32{x[0][:4]}, [][]float32{want})
}

func BenchmarkRead(b *testing.B) {
	for _, s := range []spec{
		{tag: tagPCM, bits: 16, rate: 16000, ch: 1},
		{tag: tagPCM, bits: 16, rate: 16000, ch: 8},
		{tag: tagPCM, bits: 24, rate: 48000, ch: 2},
		{tag: tagFloat, bits: 32, rate: 48000, ch: 2},
	} {
		b.Run(s.name(), func(b *testing.B) {
			file, _ := buildFile(s, 160000)
			buf := make([][]float32, s.ch)
			for c := range buf {
				buf[c] = make([]float32, 1600)
			}
			b.SetBytes(int64(len(file)))
			b.ReportAllocs()
			for b.Loop() {
				rd, err := NewReader(bytes.NewReader(file))
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := rd.Read(buf); err == io.EOF {
						break
					}
				}
			}
		})
	}
}
