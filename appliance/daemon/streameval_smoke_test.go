package daemon

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/eval"
	"signalcraft/core/shareddata"
	"signalcraft/core/truth"
	"signalcraft/core/wav"
)

func TestSmokeValveStream(t *testing.T) {
	if os.Getenv("SMOKE") == "" {
		t.Skip("smoke")
	}
	dir := filepath.Dir(shareddata.Require(t, "dcase2022-valve-sec00-source", "labels.csv"))
	f, _ := os.Open(filepath.Join(dir, "labels.csv"))
	rows, _ := csv.NewReader(f).ReadAll()
	f.Close()
	var fit, normal, anomaly []string
	for _, r := range rows[1:] {
		p := filepath.Join(dir, r[0])
		switch {
		case r[6] == "dev-fit":
			fit = append(fit, p)
		case r[1] == "normal":
			normal = append(normal, p)
		default:
			anomaly = append(anomaly, p)
		}
	}
	var x []float32
	tr := &truth.Truth{}
	add := func(paths []string, l truth.Label) {
		from := time.Duration(len(x)) * time.Second / 16000
		for _, p := range paths {
			_, ch, err := wav.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			x = append(x, ch[0]...)
		}
		tr.Intervals = append(tr.Intervals, truth.Interval{Start: from, End: time.Duration(len(x)) * time.Second / 16000, Label: l})
	}
	add(fit, truth.Learning)
	add(normal, truth.Normal)
	add(anomaly, truth.Fault)
	out := filepath.Join(t.TempDir(), "valve.wav")
	w, _ := os.Create(out)
	if err := wav.Encode(w, 16000, [][]float32{x}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	kind := os.Getenv("KIND")
	if kind == "" {
		kind = "valve"
	}
	base, err := config.Parse([]byte(`
data_dir: /tmp/unused
sources: [{id: mic, kind: wav, paths: [` + out + `]}]
machines: [{id: valve-1, kind: ` + kind + `, sensor: {source: mic, channel: 0}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	run, err := EvaluateStream(context.Background(), StreamEval{WAV: out, Truth: tr, Base: base, Machine: "valve-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("replay took %v", time.Since(t0))
	var nN, nA, aN, aA int
	for _, w := range run.Windows {
		if w.Learning {
			continue
		}
		if w.End > 510*time.Second {
			nA++
			if w.Score > w.Threshold {
				aA++
			}
		} else {
			nN++
			if w.Score > w.Threshold {
				aN++
			}
		}
	}
	t.Logf("above threshold: normal %d/%d, fault %d/%d", aN, nN, aA, nA)
	for _, e := range run.Events {
		t.Logf("event start %v opened %v end %v", e.Start, e.Opened, e.End)
	}
	rep := eval.StreamScore(run, tr, 0)
	rep.WriteText(os.Stdout)
}
