package matfile

import (
	"errors"
	"testing"
)

// FuzzReadFile decodes arbitrary bytes: it must never panic, every error must wrap a
// sentinel, and every decoded array must match its dimensions.
func FuzzReadFile(f *testing.F) {
	for _, b := range [][]byte{leFile(), leZlibFile(), beFile()} {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add(header("MATLAB 5.0 MAT-file", "MI"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vars, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrNotMAT) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		for _, v := range vars {
			if v.Data == nil {
				continue
			}
			n := 1
			for _, d := range v.Dims {
				n *= d
			}
			if n != len(v.Data) {
				t.Fatalf("%s: %d values for dims %v", v.Name, len(v.Data), v.Dims)
			}
		}
	})
}
