package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrDataset wraps every error about a dataset directory or its labels.csv.
var ErrDataset = errors.New("eval: bad dataset")

// Format is the layout of a dataset's labels.csv.
type Format string

// Dataset formats.
const (
	// FormatDCASE: columns file,label,…,suggested_split; one WAV clip per row; rows whose
	// split ends in "-fit" train the model (normal only), rows ending in "-test" are
	// scored.
	FormatDCASE Format = "dcase"
	// FormatCWRU: columns file,label,…,de_variable,…; MAT-files; the normal recording's
	// first half trains, its second half and every fault file are cut into test segments.
	FormatCWRU Format = "cwru"
)

// Clip is one file (or part of one) used for fitting or testing.
type Clip struct {
	Path    string
	Var     string // MAT variable (CWRU); empty for WAV
	Anomaly bool
	// From and To select samples [From, To) of the signal; To 0 means the end.
	From, To int
}

// Dataset is a loaded labels.csv: what to fit on and what to score.
type Dataset struct {
	Name   string // directory base name
	Dir    string
	Format Format
	Fit    []Clip
	Test   []Clip
	// Note explains departures from the suggested split (empty when none).
	Note string
}

// DefaultHoldOut is the fraction of fit normals held out for testing when a DCASE
// dataset has no "-test" rows (dcase2020-id00).
const DefaultHoldOut = 1.0 / 3

// Load reads dir/labels.csv and returns the fit/test split. CWRU segments are not cut
// here (their length depends on the sample rate): the CWRU normal recording appears as
// two Clips, first half (Fit) and second half (Test, cut into segments by Run), and each
// fault file as one Test clip.
func Load(dir string) (*Dataset, error) {
	path := filepath.Join(dir, "labels.csv")
	cols, rows, err := ReadLabels(dir)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: filepath.Base(filepath.Clean(dir)), Dir: dir}
	switch {
	case slices.Contains(cols, "de_variable"):
		ds.Format = FormatCWRU
	case slices.Contains(cols, "suggested_split"):
		ds.Format = FormatDCASE
	default:
		return nil, fmt.Errorf("%w: %s line 1: neither a de_variable (CWRU) nor a suggested_split (DCASE) column", ErrDataset, path)
	}
	var other []Clip // DCASE rows that are neither fit nor test
	for _, row := range rows {
		line, full, anomaly := row.Line, row.Path, row.Anomaly
		get := func(name string) string { return row.Fields[name] }
		switch ds.Format {
		case FormatCWRU:
			v := get("de_variable")
			if v == "" {
				return nil, fmt.Errorf("%w: %s line %d: empty de_variable", ErrDataset, path, line)
			}
			if anomaly {
				ds.Test = append(ds.Test, Clip{Path: full, Var: v, Anomaly: true})
				continue
			}
			if len(ds.Fit) > 0 {
				return nil, fmt.Errorf("%w: %s line %d: more than one normal recording", ErrDataset, path, line)
			}
			// Halves are resolved by Run once the length is known (From/To = -1 marks them).
			ds.Fit = append(ds.Fit, Clip{Path: full, Var: v, From: 0, To: -1})
			ds.Test = append(ds.Test, Clip{Path: full, Var: v, From: -1})
		case FormatDCASE:
			split := get("suggested_split")
			c := Clip{Path: full, Anomaly: anomaly}
			switch {
			case strings.HasSuffix(split, "-fit"):
				if anomaly {
					return nil, fmt.Errorf("%w: %s line %d: anomaly in fit split %q", ErrDataset, path, line, split)
				}
				ds.Fit = append(ds.Fit, c)
			case strings.HasSuffix(split, "-test"):
				ds.Test = append(ds.Test, c)
			default:
				other = append(other, c)
			}
		}
	}
	if ds.Format == FormatCWRU && len(ds.Fit) == 0 {
		return nil, fmt.Errorf("%w: %s: no normal recording", ErrDataset, path)
	}
	if ds.Format == FormatDCASE && len(ds.Test) == 0 {
		// No test split (dcase2020-id00: fit normals + one smoke anomaly): hold out the
		// last third of the fit normals, in file order, and score them with the other rows.
		h := int(float64(len(ds.Fit)) * DefaultHoldOut)
		if h < 1 || len(ds.Fit)-h < 2 {
			return nil, fmt.Errorf("%w: %s: no -test rows and too few fit rows (%d) to hold some out", ErrDataset, path, len(ds.Fit))
		}
		ds.Test = append(append(ds.Test, ds.Fit[len(ds.Fit)-h:]...), other...)
		ds.Fit = ds.Fit[:len(ds.Fit)-h]
		ds.Note = fmt.Sprintf("no -test rows: fit on the first %d fit normals, scored the last %d held out plus %d other rows", len(ds.Fit), h, len(other))
	}
	if len(ds.Fit) == 0 {
		return nil, fmt.Errorf("%w: %s: no fit rows", ErrDataset, path)
	}
	return ds, nil
}

// Row is one row of a labels.csv: a file of the dataset directory and its label.
type Row struct {
	Line    int    // line number in labels.csv (the header is line 1)
	File    string // as written: relative to the directory
	Path    string // the file's path (directory joined)
	Label   string // as written: normal, anomaly or fault
	Anomaly bool   // label is anomaly or fault
	// Fields holds every column of the row by its header name, trimmed.
	Fields map[string]string
}

// ReadLabels reads dir/labels.csv (the layouts of ../shared/data: columns file and label,
// others as each dataset has them) and returns its header and rows in file order. Every
// file must exist inside dir and every label be normal, anomaly or fault; errors wrap
// ErrDataset and name labels.csv, the line and the value.
func ReadLabels(dir string) (columns []string, rows []Row, err error) {
	path := filepath.Join(dir, "labels.csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrDataset, dir, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s line 1: %w", ErrDataset, path, err)
	}
	for _, h := range header {
		columns = append(columns, strings.TrimSpace(h))
	}
	for _, need := range []string{"file", "label"} {
		if !slices.Contains(columns, need) {
			return nil, nil, fmt.Errorf("%w: %s line 1: missing column %q", ErrDataset, path, need)
		}
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrDataset, path, err)
		}
		row := Row{Line: line, Fields: make(map[string]string, len(columns))}
		for i, c := range columns {
			if i < len(rec) {
				row.Fields[c] = strings.TrimSpace(rec[i])
			}
		}
		row.File, row.Label = row.Fields["file"], row.Fields["label"]
		if row.File == "" || strings.Contains(row.File, "..") || filepath.IsAbs(row.File) {
			return nil, nil, fmt.Errorf("%w: %s line %d: bad file name %q", ErrDataset, path, line, row.File)
		}
		row.Path = filepath.Join(dir, row.File)
		if _, err := os.Stat(row.Path); err != nil {
			return nil, nil, fmt.Errorf("%w: %s line %d: %w", ErrDataset, path, line, err)
		}
		switch row.Label {
		case "normal":
		case "anomaly", "fault":
			row.Anomaly = true
		default:
			return nil, nil, fmt.Errorf("%w: %s line %d: unknown label %q (want normal, anomaly or fault)", ErrDataset, path, line, row.Label)
		}
		rows = append(rows, row)
	}
	return columns, rows, nil
}
