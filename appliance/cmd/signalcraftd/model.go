package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"signalcraft/core/store"
)

const modelUsage = `Usage: signalcraftd model ls|show|promote|rollback --machine ID [flags]

The model registry of a machine, read and changed in the database directly (as
"signalcraftd token" does); changes are audited as made by local:<your user>. A running
daemon scores with a newly promoted or rolled-back model within seconds.

  ls        every model version, newest first: stage, dataset, false alarms per hour, recall
  show      one version (--version N; default the champion) with its training record
  promote   make --version N (a candidate or a retired model) the champion
  rollback  re-promote the champion before the current one; again walks further back

Run "signalcraftd model SUBCOMMAND --help" for a subcommand's flags.
`

// modelSubcommands says what each subcommand does, for its --help.
var modelSubcommands = map[string]string{
	"ls":       "List a machine's model versions, newest first.",
	"show":     "Show one model version with its training record (default: the champion).",
	"promote":  "Make --version N the machine's champion; the previous champion is retired.",
	"rollback": "Re-promote the champion before the current one; a second rollback walks further back.",
}

// runModel runs "signalcraftd model …": the model registry on the database.
func runModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprint(stderr, modelUsage)
			return usageError{errors.New("model: a subcommand is needed (ls, show, promote, rollback)")}
		}
		fmt.Fprint(stdout, modelUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	what, ok := modelSubcommands[sub]
	if !ok {
		fmt.Fprint(stderr, modelUsage)
		return usageError{fmt.Errorf("model: unknown subcommand %q (ls, show, promote, rollback)", sub)}
	}
	fs := flag.NewFlagSet("signalcraftd model "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", DefaultConfigPath, "configuration file (for the database path)")
	demo := fs.Bool("demo", false, "use the demo's database")
	machine := fs.String("machine", "", "machine id (required)")
	var version *int64
	var reason *string
	if sub == "show" || sub == "promote" {
		version = fs.Int64("version", 0, "model version"+map[bool]string{true: " (default: the champion)", false: " (required)"}[sub == "show"])
	}
	if sub == "promote" || sub == "rollback" {
		reason = fs.String("reason", "", "why, for the model's record and the audit log")
	}
	task := store.TaskDetect
	if sub == "show" || sub == "rollback" {
		fs.Func("task", "which champion: detect (the normal model, default) or diagnose (the fault classifier)", func(s string) error {
			if s != store.TaskDetect && s != store.TaskDiagnose {
				return fmt.Errorf("%q: want detect or diagnose", s)
			}
			task = s
			return nil
		})
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: signalcraftd model %s --machine ID [flags]\n\n%s\n\nFlags:\n", sub, what)
		fs.PrintDefaults()
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			fs.SetOutput(stdout) // asked for: the usage goes to stdout, and the exit status is 0
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("model %s: unexpected argument %q", sub, fs.Arg(0))}
	case *machine == "":
		fs.Usage()
		return usageError{fmt.Errorf("model %s: --machine is required", sub)}
	case sub == "promote" && *version <= 0:
		fs.Usage()
		return usageError{fmt.Errorf("model promote: --version N (1, 2, ...) is required")}
	}
	path := *cfgPath
	if *demo {
		path = ""
	}
	cfg, err := loadConfig(path, *demo)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Machine(ctx, *machine); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("model %s: no machine %q in %s", sub, *machine, cfg.DatabasePath())
	} else if err != nil {
		return err
	}
	by := "local:unknown"
	if u, err := user.Current(); err == nil {
		by = "local:" + u.Username
	}
	switch sub {
	case "ls":
		ms, err := db.Models(ctx, *machine)
		if err != nil {
			return err
		}
		writeModelList(stdout, ms)
	case "show":
		v := *version
		if v == 0 {
			act, err := db.ActiveModelFor(ctx, *machine, task)
			if err != nil {
				return fmt.Errorf("model show: machine %q has no %s champion: %w", *machine, task, err)
			}
			v = act.Version
		}
		sm, err := db.Model(ctx, *machine, v)
		if err != nil {
			return err
		}
		writeModel(stdout, sm)
	case "promote":
		from := "none"
		if sm, err := db.Model(ctx, *machine, *version); err == nil {
			task = sm.Task
		}
		if act, err := db.ActiveModelFor(ctx, *machine, task); err == nil {
			from = strconv.FormatInt(act.Version, 10)
		}
		err := db.Promote(ctx, *machine, *version, *reason, store.AuditEntry{Actor: by, Action: "model.promote",
			Target: fmt.Sprintf("model/%s/%d", *machine, *version), Detail: *reason})
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("model promote: version %d is already the champion of %s", *version, *machine)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "machine %s: model %d is the %s champion (was %s); a running daemon %s with it within seconds\n",
			*machine, *version, task, from, usesModel(task))
	case "rollback":
		from := int64(0)
		if act, err := db.ActiveModelFor(ctx, *machine, task); err == nil {
			from = act.Version
		}
		target := "machine/" + *machine
		if task != store.TaskDetect {
			target += "/" + task
		}
		v, err := db.Rollback(ctx, *machine, task, *reason, store.AuditEntry{Actor: by, Action: "model.rollback",
			Target: target, Detail: *reason})
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("model rollback: machine %s has no earlier %s champion to roll back to", *machine, task)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "machine %s: rolled back from model %d to %d; a running daemon %s with it within seconds\n",
			*machine, from, v, usesModel(task))
	}
	return nil
}

// shortID is a dataset id's first 8 hex digits, "-" when there is none.
func shortID(id string) string {
	switch {
	case id == "":
		return "-"
	case len(id) > 8:
		return id[:8]
	}
	return id
}

// metricCols are a model's false alarms per hour and recall as shown in lists.
// usesModel says what a running daemon does with a champion of task.
func usesModel(task string) string {
	if task == store.TaskDiagnose {
		return "diagnoses events"
	}
	return "scores"
}

// metricCols are the list's quality columns: a normal model's false alarms per hour and
// recall, a fault classifier's macro-F1.
func metricCols(m *store.ModelMetrics) (faPerHour, recall, f1 string) {
	if m == nil {
		return "-", "-", "-"
	}
	if m.MacroF1 != nil {
		return "-", "-", strconv.FormatFloat(*m.MacroF1, 'f', 2, 64)
	}
	faPerHour, recall = strconv.FormatFloat(m.FalseAlarmsPerHour, 'f', 2, 64), "-"
	if m.Recall != nil {
		recall = strconv.FormatFloat(*m.Recall, 'f', 2, 64)
	}
	return faPerHour, recall, "-"
}

// confusionRow names where one label's held-back windows went: "bearing_ball 12, unknown 1".
func confusionRow(classes []string, row []int) string {
	var parts []string
	for j, n := range row {
		if n == 0 {
			continue
		}
		name := "unknown"
		if j < len(classes) {
			name = classes[j]
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, n))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

const timeLayout = "2006-01-02 15:04 UTC"

func writeModelList(w io.Writer, ms []store.Model) {
	if len(ms) == 0 {
		fmt.Fprintln(w, "no models yet (the machine is learning, or has never run)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tTASK\tSTAGE\tKIND\tCREATED\tDATASET\tFA/H\tRECALL\tF1\tREASON")
	for _, m := range ms {
		fa, rec, f1 := metricCols(m.Metrics)
		why := m.Reason
		if why == "" {
			why = m.Note
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Version, m.Task, m.Stage, m.Kind, m.CreatedAt.UTC().Format(timeLayout),
			shortID(m.Dataset), fa, rec, f1, strings.ReplaceAll(why, "\n", " "))
	}
	tw.Flush()
}

func writeModel(w io.Writer, m store.Model) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(timeLayout)
	}
	row("machine", m.MachineID)
	row("version", strconv.FormatInt(m.Version, 10))
	row("task", m.Task)
	row("stage", m.Stage)
	row("kind", m.Kind)
	if m.Task == store.TaskDiagnose {
		row("unknown below", strconv.FormatFloat(m.Threshold, 'g', 3, 64)+" confidence")
	} else {
		row("threshold", strconv.FormatFloat(m.Threshold, 'g', 6, 64))
	}
	row("created", m.CreatedAt.UTC().Format(timeLayout))
	row("promoted", when(m.PromotedAt))
	if m.RolledBackAt != nil {
		row("rolled back", when(m.RolledBackAt))
	}
	row("dataset", orDash(m.Dataset))
	row("code version", orDash(m.CodeVersion))
	if m.TrainedFor > 0 {
		row("training time", m.TrainedFor.Round(time.Millisecond).String())
	} else {
		row("training time", "-")
	}
	row("params", orDash(string(m.Params)))
	row("note", orDash(m.Note))
	row("reason", orDash(m.Reason))
	if mm := m.Metrics; mm != nil && mm.MacroF1 != nil {
		row("test dataset", orDash(mm.TestDataset))
		acc := 0.0
		if mm.Accuracy != nil {
			acc = *mm.Accuracy
		}
		row("held-back windows", fmt.Sprintf("%d, accuracy %.3f, macro-F1 %.3f, %d unknown", mm.Windows, acc, *mm.MacroF1, mm.Unknown))
		for i, c := range mm.Classes {
			if i < len(mm.Confusion) {
				row("  "+c, confusionRow(mm.Classes, mm.Confusion[i]))
			}
		}
	} else if mm != nil {
		fa, rec, _ := metricCols(mm)
		row("test dataset", orDash(mm.TestDataset))
		row("normal audio", fmt.Sprintf("%.2f h, %d false alarm(s), %s per hour", mm.NormalHours, mm.FalseAlarms, fa))
		row("faults", fmt.Sprintf("%d detected of %d, recall %s", mm.Detected, mm.Faults, rec))
	} else {
		row("metrics", "- (not evaluated)")
	}
	tw.Flush()
}
