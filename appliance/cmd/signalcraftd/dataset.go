package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/appliance/objects"
	"signalcraft/appliance/replicate"
	"signalcraft/core/dataset"
	"signalcraft/core/store"
)

const datasetUsage = `Usage: signalcraftd dataset COMMAND [flags]

Datasets are the labelled recordings a machine's models learn from and are judged on. The
working set of a machine (what the next version will hold) grows as events are labelled and
recordings imported; a version is an immutable snapshot of it, named by the SHA-256 of its
manifest (the same content gives the same id on any appliance).

Commands:
  import DIR --machine ID [--fault LABEL]  add the WAV recordings of DIR/labels.csv to the working set
  ls --machine ID                          the working set and the versions of a machine
  show ID [--json]                         a version: counts by label and split, items
  diff ID1 ID2                             items added, removed and relabelled from ID1 to ID2
  snapshot --machine ID [--note TEXT]      save the working set as a version; prints its id
  export ID --out DIR                      WAVs + labels.csv + manifest.json for analysis elsewhere
  diagnose ID --shaft-rpm N [--kind K]     train the machine's fault classifier on a version

Every command takes --config FILE (default ` + DefaultConfigPath + `). A version id may be
shortened to its first 8 or more hex digits.
`

// runDataset manages dataset versions: signalcraftd dataset import|ls|show|diff|snapshot|export.
func runDataset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, datasetUsage)
		return usageError{errors.New("dataset: name a command")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, datasetUsage)
		return nil
	case "import":
		return datasetImport(ctx, rest, stdout, stderr)
	case "ls":
		return datasetList(ctx, rest, stdout, stderr)
	case "show":
		return datasetShow(ctx, rest, stdout, stderr)
	case "diff":
		return datasetDiff(ctx, rest, stdout, stderr)
	case "snapshot":
		return datasetSnapshot(ctx, rest, stdout, stderr)
	case "diagnose":
		return datasetDiagnose(ctx, rest, stdout, stderr)
	case "export":
		return datasetExport(ctx, rest, stdout, stderr)
	}
	fmt.Fprint(stderr, datasetUsage)
	return usageError{fmt.Errorf("dataset: unknown command %q (commands: import, ls, show, diff, snapshot, diagnose, export)", cmd)}
}

// datasetFlags is a subcommand's flag set with --config; usage names its arguments.
type datasetFlags struct {
	*flag.FlagSet
	cfgPath *string
	usage   string
}

func newDatasetFlags(usage, about string, stderr io.Writer) *datasetFlags {
	name, _, _ := strings.Cut(usage, " ")
	fs := flag.NewFlagSet("signalcraftd dataset "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := &datasetFlags{FlagSet: fs, usage: usage}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: signalcraftd dataset %s\n\n%s\n\nFlags:\n", usage, about)
		fs.PrintDefaults()
	}
	d.cfgPath = fs.String("config", DefaultConfigPath, "configuration file (for data_dir, the database and the S3 replica)")
	return d
}

// parse parses flags given before, between or after the positional arguments and checks
// their number. --help prints the usage on stdout and returns flag.ErrHelp, which the
// subcommands turn into success.
func (d *datasetFlags) parse(args []string, positional int, stdout io.Writer) ([]string, error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			d.SetOutput(stdout)
			d.Usage()
			return nil, flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := d.Parse(args); err != nil {
			return nil, usageError{err}
		}
		if d.NArg() == 0 {
			break
		}
		pos = append(pos, d.Arg(0))
		args = d.Args()[1:]
	}
	if len(pos) != positional {
		d.Usage()
		return nil, usageError{fmt.Errorf("dataset: usage: signalcraftd dataset %s", d.usage)}
	}
	return pos, nil
}

func helpOK(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// datasetEnv is what the subcommands work on: the configuration, the database and the
// object store.
type datasetEnv struct {
	cfg *config.Config
	db  *store.DB
	o   dataset.Objects
}

func openDatasetEnv(ctx context.Context, cfgPath string) (*datasetEnv, error) {
	cfg, err := loadConfig(cfgPath, false)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		return nil, err
	}
	return &datasetEnv{cfg: cfg, db: db, o: dataset.Objects{Dir: filepath.Join(cfg.DataDir, objects.Dir)}}, nil
}

// openDatasetVersion opens the configuration's database and reads the dataset version id (a
// prefix of 8 hex digits or more works); the caller closes env.db.
func openDatasetVersion(ctx context.Context, cfgPath, id string) (*datasetEnv, dataset.Manifest, store.DatasetVersion, error) {
	env, err := openDatasetEnv(ctx, cfgPath)
	if err != nil {
		return nil, dataset.Manifest{}, store.DatasetVersion{}, err
	}
	m, v, err := env.db.DatasetVersion(ctx, id)
	if err != nil {
		env.db.Close()
		return nil, dataset.Manifest{}, store.DatasetVersion{}, err
	}
	return env, m, v, nil
}

// workingSet returns a configured machine and its dataset working set.
func (e *datasetEnv) workingSet(ctx context.Context, id string) (config.Machine, []dataset.Item, error) {
	mc, err := e.machine(id)
	if err != nil {
		return mc, nil, err
	}
	items, err := e.db.DatasetItems(ctx, mc.ID)
	return mc, items, err
}

func (e *datasetEnv) machine(id string) (config.Machine, error) {
	if id == "" {
		return config.Machine{}, usageError{errors.New("dataset: --machine is needed")}
	}
	for _, m := range e.cfg.Machines {
		if m.ID == id {
			return m, nil
		}
	}
	var ids []string
	for _, m := range e.cfg.Machines {
		ids = append(ids, m.ID)
	}
	return config.Machine{}, fmt.Errorf("dataset: machine %q is not in the configuration (machines: %s)", id, strings.Join(ids, ", "))
}

// bucket returns the S3 objects of the replica, nil when the configuration has none.
func (e *datasetEnv) bucket() (*objects.S3, error) {
	s3 := e.cfg.Replication.S3
	if s3 == nil {
		return nil, nil
	}
	creds, err := replicate.ResolveCredentials(*s3, nil)
	if err != nil {
		return nil, fmt.Errorf("replication.s3: %w", err)
	}
	return objects.NewS3(replicate.NewS3Client(*s3, creds, &http.Client{Timeout: time.Minute}), s3.Bucket, s3.Prefix), nil
}

func datasetImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newDatasetFlags("import DIR --machine ID [--fault LABEL] [--start TIME] [--config FILE]",
		`Import the WAV recordings listed in DIR/labels.csv (columns file,label; label normal,
anomaly or fault) into the machine's working set. The recordings are stored once, by SHA-256,
in <data_dir>/objects. Anomalies get the --fault label (public datasets do not say which
fault they hold). Files have no recording time: they are given consecutive times from
--start in the order of labels.csv, so a version's time split holds out the last rows.
MATLAB (.mat) recordings are refused: convert them to WAV first.`, stderr)
	machine := fs.String("machine", "", "machine id from the configuration (its kind decides the fault labels allowed)")
	fault := fs.String("fault", dataset.Other, "fault label of the anomaly rows")
	start := fs.String("start", "", "time of the first recording, RFC 3339 (default now; give one to import the same version id on two appliances)")
	pos, err := fs.parse(args, 1, stdout)
	if err != nil {
		return helpOK(err)
	}
	opt := dataset.ImportOptions{Fault: *fault}
	if *start != "" {
		if opt.Start, err = time.Parse(time.RFC3339, *start); err != nil {
			return usageError{fmt.Errorf("dataset import: --start %q: want RFC 3339, such as 2025-03-01T12:00:00Z", *start)}
		}
	}
	env, err := openDatasetEnv(ctx, *fs.cfgPath)
	if err != nil {
		return err
	}
	defer env.db.Close()
	mc, err := env.machine(*machine)
	if err != nil {
		return err
	}
	items, err := dataset.ImportWith(pos[0], mc.ID, mc.Kind, env.o, opt)
	if err != nil {
		return err
	}
	// The daemon registers the machine when it starts; an import may come first.
	if err := env.db.UpsertMachine(ctx, store.Machine{ID: mc.ID, Name: mc.Name, Kind: mc.Kind}); err != nil {
		return err
	}
	counts := map[string]int{}
	var shas []string
	for _, it := range items {
		if err := env.db.PutDatasetItem(ctx, it); err != nil {
			return err
		}
		counts[it.Label]++
		shas = append(shas, it.SHA256)
	}
	fmt.Fprintf(stdout, "imported %d recording(s) from %s into the working set of %s: %s\n", len(items), pos[0], mc.ID, labelCounts(counts))
	if b, err := env.bucket(); err != nil {
		return err
	} else if b != nil {
		up := 0
		for _, sha := range shas {
			if err := b.Upload(ctx, env.o, sha); err != nil {
				fmt.Fprintf(stderr, "signalcraftd: upload to S3: %v (the daemon uploads the rest when it starts)\n", err)
				break
			}
			up++
		}
		fmt.Fprintf(stdout, "%d object(s) in the S3 replica\n", up)
	}
	fmt.Fprintf(stdout, "save a version with: signalcraftd dataset snapshot --machine %s\n", mc.ID)
	return nil
}

func labelCounts(counts map[string]int) string {
	labels := make([]string, 0, len(counts))
	for l := range counts {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		return (labels[i] == dataset.Normal) || (labels[j] != dataset.Normal && labels[i] < labels[j])
	})
	var parts []string
	for _, l := range labels {
		parts = append(parts, fmt.Sprintf("%d %s", counts[l], l))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func datasetList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newDatasetFlags("ls --machine ID [--config FILE]", "List the working set's size and the saved versions of a machine, newest first.", stderr)
	machine := fs.String("machine", "", "machine id from the configuration")
	if _, err := fs.parse(args, 0, stdout); err != nil {
		return helpOK(err)
	}
	env, err := openDatasetEnv(ctx, *fs.cfgPath)
	if err != nil {
		return err
	}
	defer env.db.Close()
	mc, items, err := env.workingSet(ctx, *machine)
	if err != nil {
		return err
	}
	ws := dataset.Manifest{Machine: mc.ID, Items: items}.Counts()
	fmt.Fprintf(stdout, "working set of %s: %d item(s), %d normal, %d fault, %s\n", mc.ID, ws.Items, ws.Normal, ws.Faults, hours(ws.Seconds))
	vs, err := env.db.DatasetVersions(ctx, mc.ID)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		fmt.Fprintln(stdout, "no versions yet (signalcraftd dataset snapshot saves one)")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tITEMS\tNORMAL\tFAULT\tAUDIO\tNOTE")
	for _, v := range vs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", v.ID[:12], v.CreatedAt.Local().Format("2006-01-02 15:04"), v.Items, v.Normal, v.Faults, hours(v.Seconds), v.Note)
	}
	return tw.Flush()
}

func hours(s float64) string {
	if s < 3600 {
		return fmt.Sprintf("%.1f min", s/60)
	}
	return fmt.Sprintf("%.2f h", s/3600)
}

func datasetShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newDatasetFlags("show ID [--json] [--config FILE]", "Show a dataset version: counts by label and split, and its items. --json prints the manifest itself (its SHA-256 is the id).", stderr)
	asJSON := fs.Bool("json", false, "print the manifest as JSON (canonical form)")
	pos, err := fs.parse(args, 1, stdout)
	if err != nil {
		return helpOK(err)
	}
	env, m, v, err := openDatasetVersion(ctx, *fs.cfgPath, pos[0])
	if err != nil {
		return err
	}
	defer env.db.Close()
	if *asJSON {
		_, err := fmt.Fprintf(stdout, "%s\n", m.Canonical())
		return err
	}
	fmt.Fprintf(stdout, "dataset %s\nmachine %s, saved %s", v.ID, v.Machine, v.CreatedAt.Local().Format(time.RFC3339))
	if v.Note != "" {
		fmt.Fprintf(stdout, ", note %q", v.Note)
	}
	fmt.Fprintf(stdout, "\n%d item(s), %s\n\n", v.Items, hours(v.Seconds))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LABEL\tTRAIN\tTEST")
	seen := map[string]bool{}
	for _, it := range m.Items {
		if !seen[it.Label] {
			seen[it.Label] = true
			fmt.Fprintf(tw, "%s\t%d\t%d\n", it.Label, len(m.Select(it.Label, dataset.Train)), len(m.Select(it.Label, dataset.Test)))
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "START\tSECONDS\tLABEL\tSPLIT\tSHA256\tSOURCE")
	for _, it := range m.Items {
		fmt.Fprintf(tw, "%s\t%g\t%s\t%s\t%s\t%s\n", it.Start.Format(dataset.TimeLayout), it.Seconds, it.Label, it.Split, it.SHA256[:12], it.Source)
	}
	return tw.Flush()
}

func datasetDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newDatasetFlags("diff ID1 ID2 [--config FILE]", "Show the items added (+), removed (-) and relabelled (~) from version ID1 to version ID2.", stderr)
	pos, err := fs.parse(args, 2, stdout)
	if err != nil {
		return helpOK(err)
	}
	env, a, va, err := openDatasetVersion(ctx, *fs.cfgPath, pos[0])
	if err != nil {
		return err
	}
	defer env.db.Close()
	b, vb, err := env.db.DatasetVersion(ctx, pos[1])
	if err != nil {
		return err
	}
	added, removed, relabelled := dataset.Diff(a, b)
	old := map[string]string{}
	for _, it := range a.Items {
		old[it.Source+"\x00"+it.SHA256] = it.Label
	}
	fmt.Fprintf(stdout, "%s → %s: %d added, %d removed, %d relabelled\n", va.ID[:12], vb.ID[:12], len(added), len(removed), len(relabelled))
	for _, it := range added {
		fmt.Fprintf(stdout, "+ %s %s %s %s\n", it.Source, it.Label, it.SHA256[:12], it.Start.Format(dataset.TimeLayout))
	}
	for _, it := range removed {
		fmt.Fprintf(stdout, "- %s %s %s %s\n", it.Source, it.Label, it.SHA256[:12], it.Start.Format(dataset.TimeLayout))
	}
	for _, it := range relabelled {
		fmt.Fprintf(stdout, "~ %s %s → %s %s\n", it.Source, old[it.Source+"\x00"+it.SHA256], it.Label, it.SHA256[:12])
	}
	return nil
}

// DefaultTestFraction is the share of each label's latest items a snapshot holds out for
// testing.
const DefaultTestFraction = 0.25

func datasetSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newDatasetFlags("snapshot --machine ID [--note TEXT] [--test-fraction F] [--config FILE]",
		"Save the machine's working set as a dataset version (the latest items of each label held out for testing) and print its id. Saving unchanged content gives the existing version.", stderr)
	machine := fs.String("machine", "", "machine id from the configuration")
	note := fs.String("note", "", "a note kept with the version")
	frac := fs.Float64("test-fraction", DefaultTestFraction, "share of each label's latest items held out for testing (0 to 1)")
	if _, err := fs.parse(args, 0, stdout); err != nil {
		return helpOK(err)
	}
	if *frac < 0 || *frac > 1 {
		return usageError{fmt.Errorf("dataset snapshot: --test-fraction %v: want 0 to 1", *frac)}
	}
	env, err := openDatasetEnv(ctx, *fs.cfgPath)
	if err != nil {
		return err
	}
	defer env.db.Close()
	mc, items, err := env.workingSet(ctx, *machine)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return fmt.Errorf("dataset snapshot: the working set of %s is empty (label events or import recordings first)", mc.ID)
	}
	v, created, err := env.db.SaveDatasetVersion(ctx, dataset.New(mc.ID, items, *frac), *note)
	if err != nil {
		return err
	}
	if !created {
		fmt.Fprintf(stderr, "signalcraftd: the working set is unchanged: version %s (saved %s)\n", v.ID[:12], v.CreatedAt.Local().Format(time.RFC3339))
	}
	fmt.Fprintln(stdout, v.ID)
	return nil
}

func datasetExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newDatasetFlags("export ID --out DIR [--config FILE]",
		`Write a dataset version to DIR (new or empty) for analysis elsewhere: one WAV per recording
named <sha256>.wav, labels.csv (file,label,split,start,seconds,source: one row per item) and
manifest.json (the manifest; its SHA-256 is the version id). Recordings missing locally are
fetched from the S3 replica.`, stderr)
	out := fs.String("out", "", "directory to write (created; must be empty if it exists)")
	pos, err := fs.parse(args, 1, stdout)
	if err != nil {
		return helpOK(err)
	}
	if *out == "" {
		return usageError{errors.New("dataset export: --out is needed")}
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		return fmt.Errorf("dataset export: %s is not empty", *out)
	}
	env, m, v, err := openDatasetVersion(ctx, *fs.cfgPath, pos[0])
	if err != nil {
		return err
	}
	defer env.db.Close()
	var missing []string
	for _, it := range m.Items {
		if !env.o.Has(it.SHA256) {
			missing = append(missing, it.SHA256)
		}
	}
	if len(missing) > 0 {
		b, err := env.bucket()
		if err != nil {
			return err
		}
		if b == nil {
			return fmt.Errorf("dataset export: %d recording(s) are missing from %s (first %s) and there is no S3 replica to fetch them from", len(missing), env.o.Dir, missing[0])
		}
		n, err := dataset.Fetch(ctx, m, env.o, b)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "fetched %d recording(s) from S3\n", n)
	}
	if err := writeExport(*out, m, env.o); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported dataset %s (%d item(s)) to %s\n", v.ID[:12], len(m.Items), *out)
	return nil
}

func writeExport(dir string, m dataset.Manifest, o dataset.Objects) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var csv strings.Builder
	csv.WriteString("file,label,split,start,seconds,source\n")
	written := map[string]bool{}
	for _, it := range m.Items {
		file := it.SHA256 + ".wav"
		if !written[it.SHA256] {
			if err := o.Verify(it.SHA256); err != nil {
				return fmt.Errorf("dataset export: %s: %w", it.Source, err)
			}
			if err := copyFile(o.Path(it.SHA256), filepath.Join(dir, file)); err != nil {
				return fmt.Errorf("dataset export: %w", err)
			}
			written[it.SHA256] = true
		}
		fmt.Fprintf(&csv, "%s,%s,%s,%s,%s,%s\n", file, csvField(it.Label), it.Split, it.Start.Format(dataset.TimeLayout),
			strconv.FormatFloat(it.Seconds, 'f', -1, 64), csvField(it.Source))
	}
	if err := os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(csv.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(m.Canonical(), '\n'), 0o644)
}

// csvField quotes a field holding a comma, quote or line break.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// copyFile copies (never links: an edited export must not change the store).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
