package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader, seekable and not, and checks that it
// never panics, never returns more frames than the input can hold, and that both ways of
// reading agree.
func FuzzReader(f *testing.F) {
	for _, ch := range []int{1, 2} {
		for _, s := range allSpecs(8000, ch) {
			file, _ := buildFile(s, 5)
			f.Add(file)
		}
	}
	s := spec{tag: tagPCM, bits: 16, rate: 8000, ch: 1}
	data, _ := encodeSpec(s, testSignal(1, 6))
	odd := chunk("junk", []byte{1, 2, 3})
	f.Add(riff(odd, chunk("data", data), fmtChunk(s)))      // data before fmt
	f.Add(riff(fmtChunk(s), odd, chunk("data", data), odd)) // odd chunks around data
	f.Add(riff(fmtChunk(s), chunk("data", data))[:40])      // truncated
	f.Add(riff(fmtChunk(s), chunk("data", data))[:47])      // truncated mid-sample
	huge := riff(fmtChunk(s), chunk("data", data))          // claims 4 GiB of data
	binary.LittleEndian.PutUint32(huge[40:], 0xFFFFFFF0)
	f.Add(huge)
	unknown := riff(fmtChunk(s), chunk("data", data))
	binary.LittleEndian.PutUint32(unknown[40:], unknownSize)
	f.Add(unknown)
	f.Add([]byte("RIFF\x04\x00\x00\x00WAVE"))
	f.Add([]byte("RIFX\x04\x00\x00\x00WAVE"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, b []byte) {
		seek, errSeek := decodeAll(t, bytes.NewReader(b), len(b))
		plain, errPlain := decodeAll(t, noSeek{bytes.NewReader(b)}, len(b))
		if errSeek != nil && errPlain == nil {
			t.Fatalf("seekable read failed (%v) where the plain read succeeded", errSeek)
		}
		if errPlain == nil && errSeek == nil && !sameSamples(seek, plain) {
			t.Fatal("seekable and plain reads decoded different samples")
		}
	})
}

// decodeAll decodes r in uneven blocks, checking the Reader's invariants on the way.
func decodeAll(t *testing.T, r io.Reader, size int) ([][]float32, error) {
	rd, err := NewReader(r)
	if err != nil {
		if !errors.Is(err, ErrNotWAV) && !errors.Is(err, ErrUnsupportedFormat) && !errors.Is(err, ErrTruncated) {
			t.Fatalf("NewReader error wraps no sentinel: %v", err)
		}
		return nil, err
	}
	f := rd.Format()
	if f.Channels < 1 || f.Channels > MaxChannels || f.SampleRate < 1 {
		t.Fatalf("accepted format %+v", f)
	}
	maxFrames := size / (f.Channels * f.BitsPerSample / 8)
	out := make([][]float32, f.Channels)
	buf := make([][]float32, f.Channels)
	total := 0
	for i := 0; ; i++ {
		block := 1 + (i*7)%13
		for c := range buf {
			buf[c] = make([]float32, block)
		}
		n, err := rd.Read(buf)
		if n < 0 || n > block {
			t.Fatalf("Read n=%d for a block of %d", n, block)
		}
		total += n
		if total > maxFrames {
			t.Fatalf("decoded %d frames from %d bytes", total, size)
		}
		for c := range out {
			out[c] = append(out[c], buf[c][:n]...)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("Read error wraps no sentinel: %v", err)
			}
			return out, err
		}
		if n == 0 {
			t.Fatal("Read returned 0 frames and no error")
		}
	}
}

func sameSamples(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for c := range a {
		if len(a[c]) != len(b[c]) {
			return false
		}
		for i := range a[c] {
			// Compare bits: NaN payloads from float files must match too.
			if a[c][i] != b[c][i] && !(a[c][i] != a[c][i] && b[c][i] != b[c][i]) {
				return false
			}
		}
	}
	return true
}
