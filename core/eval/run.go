package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"signalcraft/core/detect"
	"signalcraft/core/dsp"
	"signalcraft/core/matfile"
	"signalcraft/core/sensor"
	"signalcraft/core/wav"
)

// Defaults of Options.
const (
	DefaultMaxFPR  = 0.1
	DefaultSegment = time.Second // shortest CWRU test item
	CWRUSampleRate = 12000       // Hz, the 12k drive-end data
	// CWRUFullScale is the acceleration (g) read as full scale: the recordings are fed as
	// an accelerometer channel with a ±10 g range would deliver them (largest value in the
	// data: 6.7 g), so the sensor-fault check sees samples in [-1, 1] as from any input.
	CWRUFullScale = 10.0
)

// Options tune Run. The zero value evaluates every model kind with the profile the
// appliance gives a machine of the dataset's kind (DatasetKind).
type Options struct {
	Models []detect.Kind  // default detect.Kinds()
	Model  detect.Options // model hyper-parameters (defaults of detect.Fit)
	MaxFPR float64        // pAUC range; default 0.1
	// Profile is the window, hop and pooling to evaluate with (zero Window: the profile
	// of Kind). Clips shorter than the window give one window over the whole clip; a
	// clip's score is the largest of its windows'.
	Profile detect.Profile
	// Kind is the machine kind whose profile is used when Profile is zero (default: the
	// dataset's, see DatasetKind).
	Kind string
	// Segment is the shortest CWRU test item (items are at least one window long).
	// Default 1 s.
	Segment time.Duration
	// Workers bounds parallel feature extraction; default GOMAXPROCS.
	Workers int
	// Progress, when set, is called (from one goroutine at a time) as files are done.
	Progress func(Progress)
}

// Progress reports evaluation progress.
type Progress struct {
	Dataset     string
	Done, Total int // files with features extracted in this dataset
}

// Result is one dataset × model row.
type Result struct {
	Dataset  string  `json:"dataset"`
	Model    string  `json:"model"`
	AUC      float64 `json:"auc"`
	PAUC     float64 `json:"pauc"`
	NNormal  int     `json:"n_normal"`
	NAnomaly int     `json:"n_anomaly"`
	// Note is shown by WriteText (not part of the JSON contract).
	Note string `json:"-"`
}

// Report is the outcome of Run.
type Report struct {
	Results []Result `json:"results"`
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report as an aligned table, followed by dataset notes.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dataset\tmodel\tAUC\tpAUC\tnormal\tanomaly\t")
	var notes []string
	seen := map[string]bool{}
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4f\t%d\t%d\t\n", x.Dataset, x.Model, x.AUC, x.PAUC, x.NNormal, x.NAnomaly)
		if x.Note != "" && !seen[x.Dataset] {
			seen[x.Dataset] = true
			notes = append(notes, fmt.Sprintf("note: %s: %s", x.Dataset, x.Note))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if len(o.Models) == 0 {
		o.Models = detect.Kinds()
	}
	if o.MaxFPR == 0 {
		o.MaxFPR = DefaultMaxFPR
	}
	if o.Segment <= 0 {
		o.Segment = DefaultSegment
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Run evaluates every model kind in opts on every dataset directory and returns one
// Result per dataset and model, in the order given.
func Run(ctx context.Context, dirs []string, opts Options) (Report, error) {
	opts = opts.withDefaults()
	var rep Report
	for _, dir := range dirs {
		ds, err := Load(dir)
		if err != nil {
			return Report{}, err
		}
		res, err := Evaluate(ctx, ds, opts)
		if err != nil {
			return Report{}, err
		}
		rep.Results = append(rep.Results, res...)
	}
	return rep, nil
}

// Features holds the window vectors of a dataset: the training windows and, per test
// item, its windows and label.
type Features struct {
	Fit   [][]float64
	Items []Item
	Rate  int // sample rate of the recordings
}

// Item is one scored test item (a DCASE clip or a CWRU segment).
type Item struct {
	Name    string
	Anomaly bool
	Windows [][]float64
}

// Evaluate scores every model kind of opts on a loaded dataset.
func Evaluate(ctx context.Context, ds *Dataset, opts Options) ([]Result, error) {
	opts = opts.withDefaults()
	feats, err := Extract(ctx, ds, opts)
	if err != nil {
		return nil, err
	}
	var nn, na int
	labels := make([]bool, len(feats.Items))
	for i, it := range feats.Items {
		labels[i] = it.Anomaly
		if it.Anomaly {
			na++
		} else {
			nn++
		}
	}
	note := ds.Note
	if na < 5 {
		note = strings.TrimPrefix(note+fmt.Sprintf("; only %d anomalous item(s): the AUC is not a meaningful estimate", na), "; ")
	}
	var out []Result
	mo := opts.Model
	mo.Groups = FeatureConfig(ProfileFor(ds, opts), feats.Rate).Groups()
	for _, kind := range opts.Models {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := detect.Fit(kind, feats.Fit, mo)
		if err != nil {
			return nil, fmt.Errorf("eval: %s: fit %s: %w", ds.Name, kind, err)
		}
		scores := ItemScores(m, feats.Items)
		auc, err := AUC(scores, labels)
		if err != nil {
			return nil, fmt.Errorf("eval: %s: %s: %w", ds.Name, kind, err)
		}
		pauc, err := PAUC(scores, labels, opts.MaxFPR)
		if err != nil {
			return nil, fmt.Errorf("eval: %s: %s: %w", ds.Name, kind, err)
		}
		out = append(out, Result{Dataset: ds.Name, Model: string(kind), AUC: auc, PAUC: pauc, NNormal: nn, NAnomaly: na, Note: note})
	}
	return out, nil
}

// ItemScores scores each item as the maximum score of its windows.
func ItemScores(m detect.Model, items []Item) []float64 {
	s := make([]float64, len(items))
	for i, it := range items {
		best := math.Inf(-1)
		for _, w := range it.Windows {
			best = math.Max(best, m.Score(w))
		}
		s[i] = best
	}
	return s
}

// signal is a decoded mono signal.
type signal struct {
	x    []float32
	rate int
}

func readSignal(c Clip) (signal, error) {
	if c.Var != "" {
		v, err := matfile.ReadVar(c.Path, c.Var)
		if err != nil {
			return signal{}, fmt.Errorf("%w: %w", ErrDataset, err)
		}
		x := make([]float32, len(v))
		for i, f := range v {
			x[i] = float32(f / CWRUFullScale)
		}
		return signal{x: x, rate: CWRUSampleRate}, nil
	}
	f, ch, err := wav.ReadFile(c.Path)
	if err != nil {
		return signal{}, fmt.Errorf("%w: %w", ErrDataset, err)
	}
	if len(ch) == 0 {
		return signal{}, fmt.Errorf("%w: %s: no channels", ErrDataset, c.Path)
	}
	return signal{x: ch[0], rate: f.SampleRate}, nil // first channel of multi-channel files
}

// DatasetKind is the machine kind of a dataset, for its default profile: "bearing" for
// CWRU, else the first machine kind named in the folder's name (dcase2022-valve-… is a
// valve), else "" (the rotating profile).
func DatasetKind(ds *Dataset) string {
	if ds.Format == FormatCWRU {
		return "bearing"
	}
	name := strings.ToLower(ds.Name)
	for _, k := range []string{"valve", "fan", "pump", "slider", "bearing", "gearbox", "motor"} {
		if strings.Contains(name, k) {
			return k
		}
	}
	return ""
}

// ProfileFor returns the profile Run evaluates ds with: opts.Profile if set, else the
// profile of opts.Kind, else of the dataset's kind.
func ProfileFor(ds *Dataset, opts Options) detect.Profile {
	if opts.Profile.Window > 0 {
		return opts.Profile
	}
	kind := opts.Kind
	if kind == "" {
		kind = DatasetKind(ds)
	}
	return detect.ProfileFor(kind)
}

// FeatureConfig returns the chain of a profile at a sample rate: the one the daemon runs
// with (detect.Profile.Features over dsp.DefaultConfig).
func FeatureConfig(p detect.Profile, rate int) detect.FeatureConfig {
	return p.Features(dsp.DefaultConfig(rate))
}

// NewChain returns the chain of a profile at a sample rate with the daemon's sensor-fault
// frame check: windows a fault touches are flagged (Chain.Flagged) and not scored.
func NewChain(p detect.Profile, rate int) (*detect.Chain, error) {
	c, err := detect.NewChain(FeatureConfig(p, rate))
	if err != nil {
		return nil, err
	}
	c.SetFrameCheck(sensor.DefaultThresholds().FrameFault)
	return c, nil
}

type job struct {
	clip Clip
	fit  bool
}

type jobOut struct {
	fit   [][]float64
	items []Item
	rate  int
	err   error
}

// Extract decodes every file of ds and computes its window vectors, using opts.Workers
// goroutines.
func Extract(ctx context.Context, ds *Dataset, opts Options) (*Features, error) {
	opts = opts.withDefaults()
	jobs := make([]job, 0, len(ds.Fit)+len(ds.Test))
	for _, c := range ds.Fit {
		jobs = append(jobs, job{clip: c, fit: true})
	}
	for _, c := range ds.Test {
		jobs = append(jobs, job{clip: c})
	}
	outs := make([]jobOut, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				outs[i] = runJob(ds, jobs[i], opts)
				if opts.Progress != nil {
					mu.Lock()
					done++
					opts.Progress(Progress{Dataset: ds.Name, Done: done, Total: len(jobs)})
					mu.Unlock()
				}
			}
		}()
	}
	var cerr error
feed:
	for i := range jobs {
		if cerr = ctx.Err(); cerr != nil {
			break
		}
		select {
		case next <- i:
		case <-ctx.Done():
			cerr = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if cerr != nil {
		return nil, cerr
	}
	f := &Features{}
	rate := 0
	for i, o := range outs {
		if o.err != nil {
			return nil, fmt.Errorf("eval: %s: %w", ds.Name, o.err)
		}
		if rate == 0 {
			rate = o.rate
		} else if o.rate != rate {
			return nil, fmt.Errorf("%w: %s: %s has sample rate %d, others %d", ErrDataset, ds.Name, jobs[i].clip.Path, o.rate, rate)
		}
		f.Fit = append(f.Fit, o.fit...)
		f.Items = append(f.Items, o.items...)
	}
	if len(f.Fit) < 2 {
		return nil, fmt.Errorf("%w: %s: only %d training windows", ErrDataset, ds.Name, len(f.Fit))
	}
	f.Rate = rate
	return f, nil
}

func runJob(ds *Dataset, j job, opts Options) jobOut {
	sig, err := readSignal(j.clip)
	if err != nil {
		return jobOut{err: err}
	}
	p := ProfileFor(ds, opts)
	chain, err := NewChain(p, sig.rate)
	if err != nil {
		return jobOut{err: err}
	}
	x := sig.x
	switch {
	case j.clip.To == -1: // CWRU normal, first half: training stream
		x = x[:len(x)/2]
	case j.clip.From == -1: // CWRU normal, second half: test segments
		x = x[len(x)/2:]
	}
	name := j.clip.Path
	if j.fit {
		return jobOut{fit: windows(chain, x), rate: sig.rate}
	}
	if ds.Format == FormatDCASE {
		return jobOut{items: []Item{{Name: name, Anomaly: j.clip.Anomaly, Windows: windows(chain, x)}}, rate: sig.rate}
	}
	// items a window long (a few samples short of a full window of frames: the window
	// is then pooled over the frames the item holds, as for a DCASE clip)
	seg := int(max(opts.Segment, p.Window).Seconds() * float64(sig.rate))
	var items []Item
	for s := 0; s+seg <= len(x); s += seg {
		items = append(items, Item{
			Name:    fmt.Sprintf("%s[%d:%d]", name, s, s+seg),
			Anomaly: j.clip.Anomaly,
			Windows: windows(chain, x[s:s+seg]),
		})
	}
	return jobOut{items: items, rate: sig.rate}
}

// windows runs x through a fresh stream of the chain and returns copies of its window
// vectors (one over the whole of x if x is shorter than a window), leaving out windows a
// sensor fault touches, as the daemon does.
func windows(c *detect.Chain, x []float32) [][]float64 {
	c.Reset()
	var out [][]float64
	keep := func(w []float64) {
		if c.Flagged() == 0 {
			out = append(out, append([]float64(nil), w...))
		}
	}
	c.Push(x, keep)
	c.Flush(keep)
	return out
}
