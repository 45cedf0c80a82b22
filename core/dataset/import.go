package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"signalcraft/core/eval"
	"signalcraft/core/wav"
)

// ErrNotWAV is returned by Import for a listed file that is not a WAV recording.
var ErrNotWAV = errors.New("dataset: not a WAV file")

// ImportOptions adjusts Import. Zero fields take defaults.
type ImportOptions struct {
	// Fault is the label given to rows labelled anomaly or fault: the public datasets do
	// not say which fault they hold. Default Other. It must be a fault of the machine kind.
	Fault string
	// Start is the synthetic time of the first file. Default: Now().
	Start time.Time
	// Now is the clock for the default Start. Default time.Now.
	Now func() time.Time
}

// Import stores the recordings listed in dir/labels.csv (the layouts of ../shared/data read
// by eval.ReadLabels: columns file,label[,…], labels normal, anomaly or fault) in o and
// returns them as items of machine: rows labelled normal become Normal items, anomaly and
// fault rows items labelled fault (Other when fault is ""; it must be a label of the
// taxonomy, and not Normal). ImportWith also checks fault against the machine's kind.
//
// The files carry no recording time, so each item gets a synthetic Start that keeps the
// order of labels.csv: the first file starts at start (now when start is zero), and each
// next one when the previous ends (start + index × 10 s for DCASE's 10-s clips). The time
// split of the manifest therefore holds out the last rows of each class, and the same
// import with the same start gives the same version id on any appliance. Source is
// "import:<file name>" and Split is left to New.
//
// Only WAV files are imported: another file (such as CWRU's MATLAB recordings, .mat) is an
// error naming it, which says so when labels.csv is CWRU's layout. Errors name the file and
// the value at fault; nothing is half-imported into the result (objects already stored
// stay: they are content-addressed and harmless).
func Import(dir, machine, fault string, o Objects, start time.Time) ([]Item, error) {
	return ImportWith(dir, machine, "", o, ImportOptions{Fault: fault, Start: start})
}

// ImportWith is Import for a machine of the kind given (its fault label must be one of the
// kind's, see FaultsFor; "" accepts every fault), with options.
func ImportWith(dir string, machine string, kind string, o Objects, opt ImportOptions) ([]Item, error) {
	if machine == "" {
		return nil, fmt.Errorf("%w: import %s: empty machine id", ErrInvalid, dir)
	}
	if opt.Fault == "" {
		opt.Fault = Other
	}
	if opt.Fault == Normal {
		return nil, fmt.Errorf("%w %q: the fault label of anomalies cannot be %s", ErrLabel, opt.Fault, Normal)
	}
	if err := ValidLabel(kind, opt.Fault); err != nil {
		return nil, fmt.Errorf("import %s: fault label: %w", dir, err)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Start.IsZero() {
		opt.Start = opt.Now()
	}
	cols, rows, err := eval.ReadLabels(dir)
	if err != nil {
		return nil, err
	}
	labels := filepath.Join(dir, "labels.csv")
	at := opt.Start.UTC().Truncate(time.Millisecond)
	var elapsed time.Duration
	items := make([]Item, 0, len(rows))
	for _, row := range rows {
		seconds, err := wavSeconds(row.Path)
		if err != nil {
			hint := ""
			switch {
			case slices.Contains(cols, "de_variable"):
				hint = " (labels.csv is the CWRU layout, whose recordings are MATLAB .mat files: convert them to WAV first)"
			case strings.EqualFold(filepath.Ext(row.File), ".mat"):
				hint = " (a MATLAB recording: convert it to WAV first)"
			}
			return nil, fmt.Errorf("%s line %d: %s: %w%s", labels, row.Line, row.File, err, hint)
		}
		sha, _, err := o.PutFile(row.Path)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %s: %w", labels, row.Line, row.File, err)
		}
		label := Normal
		if row.Anomaly {
			label = opt.Fault
		}
		items = append(items, Item{SHA256: sha, Machine: machine, Label: label,
			Start: at.Add(elapsed), Seconds: seconds, Source: "import:" + row.File})
		elapsed += time.Duration(seconds * float64(time.Second)).Round(time.Millisecond)
	}
	return items, nil
}

// wavSeconds returns the duration of a WAV file from its header (or by reading it when the
// header leaves the length open); ErrNotWAV when the file is not one.
func wavSeconds(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, err := wav.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNotWAV, err)
	}
	format := r.Format()
	if format.SampleRate <= 0 {
		return 0, fmt.Errorf("%w: sample rate %d", ErrNotWAV, format.SampleRate)
	}
	frames := r.Frames()
	if frames < 0 {
		buf := make([][]float32, format.Channels)
		for c := range buf {
			buf[c] = make([]float32, 4096)
		}
		frames = 0
		for {
			n, err := r.Read(buf)
			frames += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, fmt.Errorf("%w: %w", ErrNotWAV, err)
			}
		}
	}
	return float64(frames) / float64(format.SampleRate), nil
}
