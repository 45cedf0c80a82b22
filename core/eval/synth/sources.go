package synth

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"signalcraft/core/matfile"
	"signalcraft/core/wav"
)

// The data folders the recipes read, under the data directory.
const (
	dirValve = "dcase2022-valve-sec00-source"
	dirFan   = "dcase2020-id00"
	dirCWRU  = "cwru-12k-de-0hp"
)

// row is one line of a labels.csv, by column name.
type row map[string]string

// readLabels returns the rows of dir/labels.csv in file order, checking that the columns
// in need are present and that every file it lists exists.
func readLabels(dir string, need ...string) ([]row, error) {
	path := filepath.Join(dir, "labels.csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrData, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: header: %w", ErrData, path, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	for _, n := range append([]string{"file", "label"}, need...) {
		found := false
		for _, h := range header {
			found = found || h == n
		}
		if !found {
			return nil, fmt.Errorf("%w: %s: no column %q", ErrData, path, n)
		}
	}
	var rows []row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrData, path, err)
		}
		line, _ := r.FieldPos(0)
		rw := row{}
		for i, h := range header {
			if i < len(rec) {
				rw[h] = strings.TrimSpace(rec[i])
			}
		}
		file := rw["file"]
		if file == "" || strings.Contains(file, "..") || filepath.IsAbs(file) || strings.ContainsAny(file, `/\`) {
			return nil, fmt.Errorf("%w: %s line %d: bad file name %q", ErrData, path, line, file)
		}
		rw["path"] = filepath.Join(dir, file)
		rows = append(rows, rw)
	}
}

// selectRows returns the rows for which keep is true, in file order.
func selectRows(rows []row, keep func(row) bool) []row {
	var out []row
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// clipReader reads mono WAV clips at one sample rate, each file once.
type clipReader struct {
	rate  int
	cache map[string][]float32
}

func newClipReader(rate int) *clipReader {
	return &clipReader{rate: rate, cache: map[string][]float32{}}
}

// read returns the first channel of the WAV file at path (the DCASE clips are mono).
func (c *clipReader) read(path string) ([]float32, error) {
	if x, ok := c.cache[path]; ok {
		return x, nil
	}
	f, ch, err := wav.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrData, err)
	}
	if f.SampleRate != c.rate {
		return nil, fmt.Errorf("%w: %s: sample rate %d Hz, want %d Hz", ErrData, path, f.SampleRate, c.rate)
	}
	if len(ch[0]) < c.rate {
		return nil, fmt.Errorf("%w: %s: %d samples, want at least 1 s", ErrData, path, len(ch[0]))
	}
	c.cache[path] = ch[0]
	return ch[0], nil
}

// readClips reads the clips of rows, in order.
func (c *clipReader) readClips(rows []row) ([][]float32, error) {
	out := make([][]float32, len(rows))
	for i, r := range rows {
		x, err := c.read(r["path"])
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// readMatVar returns one variable of a CWRU MAT-file scaled by gain as float32.
func readMatVar(path, name string, gain float64) ([]float32, error) {
	x, err := matfile.ReadVar(path, name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrData, err)
	}
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v * gain)
	}
	return out, nil
}
