package settings

import (
	"reflect"
	"slices"
	"testing"

	"signalcraft/core/api"
)

var pump = api.Machine{ID: "pump-2", Name: "Coolant pump 2", Kind: "pump", Line: "line-a",
	Sensor: api.SensorBinding{Source: "mic", Channel: 1},
	Detection: api.Detection{Model: "mahalanobis", Learning: "10m0s", Quantile: 0.99, Smoothing: 1,
		Window: "2s", Hop: "500ms", Pooling: []string{"max"}, Persistence: "2s"}}

// with returns the form's values of pump with the field at i replaced.
func with(i int, v string) []string {
	vals := values(pump)
	vals[i] = v
	return vals
}

func TestValuesRoundTrip(t *testing.T) {
	got, errs := parseForm(pump, values(pump))
	if len(errs) > 0 || !reflect.DeepEqual(got, pump) {
		t.Fatalf("parseForm(values(pump)) = %+v, %v; want the machine unchanged", got, errs)
	}
	if v := values(pump); v[iPooling] != "max" || v[iWindow] != "2s" || v[iPersistence] != "2s" || len(v) != len(fields) {
		t.Errorf("values = %q", v)
	}
}

func TestParseForm(t *testing.T) {
	tests := []struct {
		name string
		vals []string
		want func(d *api.Detection) // expected change to pump's detection
		errs map[string]string      // expected client-side errors
	}{
		{name: "window in another unit", vals: with(iWindow, "0.5s"), want: func(d *api.Detection) { d.Window = "500ms" }},
		{name: "window 10s", vals: with(iWindow, " 10s "), want: func(d *api.Detection) { d.Window = "10s" }},
		{name: "window empty is the kind's default", vals: with(iWindow, ""), want: func(d *api.Detection) { d.Window = "" }},
		{name: "window not a duration", vals: with(iWindow, "10"), errs: map[string]string{FieldWindow: "must be a duration such as 2s or 500ms"}},
		{name: "window words", vals: with(iWindow, "ten seconds"), errs: map[string]string{FieldWindow: "must be a duration such as 2s or 500ms"}},
		{name: "hop", vals: with(iHop, "250ms"), want: func(d *api.Detection) { d.Hop = "250ms" }},
		{name: "hop not a duration", vals: with(iHop, "1/4s"), errs: map[string]string{FieldHop: "must be a duration such as 2s or 500ms"}},
		{name: "out of range is the API's to say", vals: with(iHop, "-1s"), want: func(d *api.Detection) { d.Hop = "-1s" }},
		{name: "persistence 0s is valid", vals: with(iPersistence, "0s"), want: func(d *api.Detection) { d.Persistence = "0s" }},
		{name: "persistence 0 without unit", vals: with(iPersistence, "0"), want: func(d *api.Detection) { d.Persistence = "0s" }},
		{name: "persistence 1m30s", vals: with(iPersistence, "90s"), want: func(d *api.Detection) { d.Persistence = "1m30s" }},
		{name: "persistence bad", vals: with(iPersistence, "2 s"), errs: map[string]string{FieldPersistence: "must be a duration such as 2s or 500ms"}},
		{name: "pooling by commas", vals: with(iPooling, "max,mean"), want: func(d *api.Detection) { d.Pooling = []string{"max", "mean"} }},
		{name: "pooling by commas and spaces, any case", vals: with(iPooling, " Max, STD  delta,"),
			want: func(d *api.Detection) { d.Pooling = []string{"max", "std", "delta"} }},
		{name: "pooling empty is the kind's default", vals: with(iPooling, " , "), want: func(d *api.Detection) { d.Pooling = nil }},
		{name: "unknown statistic is the API's to say", vals: with(iPooling, "max, avg"), want: func(d *api.Detection) { d.Pooling = []string{"max", "avg"} }},
		{name: "several errors at once", vals: func() []string {
			v := with(iWindow, "2")
			v[iPersistence] = "x"
			v[iQuantile] = "high"
			return v
		}(), errs: map[string]string{FieldWindow: "must be a duration such as 2s or 500ms", FieldPersistence: "must be a duration such as 2s or 500ms",
			FieldQuantile: "must be a number such as 0.99"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := parseForm(pump, tt.vals)
			if tt.errs == nil {
				tt.errs = map[string]string{}
			}
			if !reflect.DeepEqual(errs, tt.errs) {
				t.Fatalf("errors %v, want %v", errs, tt.errs)
			}
			if tt.want == nil {
				return
			}
			want := pump
			want.Detection.Pooling = slices.Clone(pump.Detection.Pooling)
			tt.want(&want.Detection)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got.Detection, want.Detection)
			}
		})
	}
}

func TestRelearnChanges(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *api.Machine)
		want []string
	}{
		{"nothing", func(*api.Machine) {}, nil},
		{"quantile, smoothing, persistence, learning, name re-tune only", func(m *api.Machine) {
			m.Detection.Quantile, m.Detection.Smoothing, m.Detection.Persistence, m.Detection.Learning, m.Name = 0.995, 3, "0s", "1h0m0s", "P2"
		}, nil},
		{"the same window written otherwise", func(m *api.Machine) { m.Detection.Window = "2000ms" }, nil},
		{"window", func(m *api.Machine) { m.Detection.Window = "10s" }, []string{"window 2s → 10s"}},
		{"window back to the default", func(m *api.Machine) { m.Detection.Window = "" }, []string{"window 2s → default"}},
		{"hop", func(m *api.Machine) { m.Detection.Hop = "250ms" }, []string{"hop 500ms → 250ms"}},
		{"pooling", func(m *api.Machine) { m.Detection.Pooling = []string{"max", "mean"} }, []string{"pooling max → max, mean"}},
		{"pooling order", func(m *api.Machine) {
			m.Detection.Pooling = []string{"mean", "max"}
		}, []string{"pooling max → mean, max"}},
		{"model and sensor", func(m *api.Machine) { m.Detection.Model, m.Sensor.Channel = "gmm", 0 },
			[]string{"sensor mic/1 → mic/0", "model mahalanobis → gmm"}},
		{"window, hop and pooling", func(m *api.Machine) {
			m.Detection.Window, m.Detection.Hop, m.Detection.Pooling = "10s", "1s", nil
		}, []string{"window 2s → 10s", "hop 500ms → 1s", "pooling max → default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := pump
			next.Detection.Pooling = slices.Clone(pump.Detection.Pooling)
			tt.edit(&next)
			if got := relearnChanges(pump, next); !slices.Equal(got, tt.want) {
				t.Errorf("relearnChanges = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFieldErrors(t *testing.T) {
	sent := pump
	sent.Detection.Pooling = []string{"max", "avg", "max"}
	tests := []struct {
		name  string
		in    []api.FieldError
		want  map[string]string
		other []string
	}{
		{"window", []api.FieldError{{Field: api.FieldWindow, Message: "must be between 100ms and 1m0s"}},
			map[string]string{FieldWindow: "must be between 100ms and 1m0s"}, nil},
		{"hop", []api.FieldError{{Field: "detection.hop", Message: "must be between 10ms and the window (2s)"}},
			map[string]string{FieldHop: "must be between 10ms and the window (2s)"}, nil},
		{"persistence", []api.FieldError{{Field: api.FieldPersistence, Message: "must be between 0s and 10m0s"}},
			map[string]string{FieldPersistence: "must be between 0s and 10m0s"}, nil},
		{"pooling as a whole", []api.FieldError{{Field: api.FieldPooling, Message: "name at least one of max, mean, std, min, delta"}},
			map[string]string{FieldPooling: "name at least one of max, mean, std, min, delta"}, nil},
		{"pooling items name the statistic sent", []api.FieldError{
			{Field: "detection.pooling[1]", Message: "must be one of max, mean, std, min, delta, each once"},
			{Field: "detection.pooling[2]", Message: "must be one of max, mean, std, min, delta, each once"},
		}, map[string]string{FieldPooling: `"avg" must be one of max, mean, std, min, delta, each once; "max" must be one of max, mean, std, min, delta, each once`}, nil},
		{"pooling item beyond what was sent", []api.FieldError{{Field: "detection.pooling[7]", Message: "bad"}},
			map[string]string{FieldPooling: "#8 bad"}, nil},
		{"existing fields still map", []api.FieldError{
			{Field: "detection.quantile", Message: "must be at least 0.5 and below 1"},
			{Field: "sensor.channel", Message: "must be between 0 and 31"},
		}, map[string]string{FieldQuantile: "must be at least 0.5 and below 1", FieldChannel: "must be between 0 and 31"}, nil},
		{"fields the form does not have", []api.FieldError{
			{Field: "id", Message: `must be "pump-2"`},
			{Field: "detection.windows", Message: "x"},
			{Field: "detection.pooling[x]", Message: "y"},
			{Field: api.FieldWindow, Message: "z"},
		}, map[string]string{FieldWindow: "z"}, []string{`id: must be "pump-2"`, "detection.windows: x", "detection.pooling[x]: y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, other := fieldErrors(tt.in, sent)
			if !reflect.DeepEqual(got, tt.want) || !slices.Equal(other, tt.other) {
				t.Errorf("fieldErrors = %q, %q; want %q, %q", got, other, tt.want, tt.other)
			}
		})
	}
}

func TestFieldOf(t *testing.T) {
	for _, tt := range []struct {
		path string
		name string
		i    int
	}{
		{"detection.window", FieldWindow, -1},
		{"detection.pooling", FieldPooling, -1},
		{"detection.pooling[0]", FieldPooling, 0},
		{"detection.pooling[12]", FieldPooling, 12},
		{"detection.pooling[", "detection.pooling[", -1},
		{"detection.pooling[1", "detection.pooling[1", -1},
		{"detection.pooling[a]", "detection.pooling[a]", -1},
	} {
		if name, i := fieldOf(tt.path); name != tt.name || i != tt.i {
			t.Errorf("fieldOf(%q) = %q, %d; want %q, %d", tt.path, name, i, tt.name, tt.i)
		}
	}
}
