package alert

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCatalogsComplete(t *testing.T) {
	ph := regexp.MustCompile(`\{[a-z]+\}`)
	en := catalogs["en"]
	for _, l := range Languages() {
		c := catalogs[l]
		if c == nil {
			t.Fatalf("no catalog for %s", l)
		}
		for _, other := range Languages() {
			for k := range catalogs[other] {
				if _, ok := c[k]; !ok {
					t.Errorf("%s: key %q (present in %s) is missing", l, k, other)
				}
			}
		}
		for k, v := range c {
			want := ph.FindAllString(en[k], -1)
			got := ph.FindAllString(v, -1)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s %q: placeholders %v, English has %v", l, k, got, want)
			}
		}
	}
	// Every status, severity and kind the engine produces has a message.
	for _, k := range []string{"status.firing", "status.pending", "status.resolved", "severity.warning", "severity.critical"} {
		if _, ok := en[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	for _, k := range []Kind{KindFiring, KindResolved, KindRepeat, KindEscalation} {
		for _, p := range []string{"title.", "intro."} {
			if _, ok := en[p+string(k)]; !ok {
				t.Errorf("missing %s%s", p, k)
			}
		}
	}
	// Default rules carry every annotation in every language.
	for _, r := range DefaultConfig().Rules {
		for _, l := range Languages() {
			if got := slices.Sorted(maps.Keys(r.Annotations[l])); !slices.Equal(got, []string{"description", "summary"}) {
				t.Errorf("rule %s, %s annotations %v", r.Name, l, got)
			}
		}
	}
}

// TestRender renders notifications of every kind from the default rules in both languages
// and compares them with testdata/render.golden.
func TestRender(t *testing.T) {
	c := DefaultConfig()
	c.Receivers = append(c.Receivers, Receiver{Name: "oncall"})
	c.Route.Escalations = []Escalation{{After: 15 * time.Minute, Receiver: "oncall"}}
	e := mustNew(t, c, State{})
	seoul, _ := time.LoadLocation("Asia/Seoul")
	base := time.Date(2026, 3, 2, 14, 0, 0, 0, seoul)
	var ns []Notification
	tick := func(d time.Duration) { ns = append(ns, e.Tick(base.Add(d))...) }
	obs := func(d time.Duration, o Observation) { o.Time = base.Add(d); e.Observe(o) }
	for d := time.Duration(0); d <= 40*time.Second; d += 5 * time.Second {
		o := score("press-3", 2.345)
		o.Values["fault_energy:bpfo"] = 4.2
		if d >= 10*time.Second { // the fault classifier's verdict on the event, once it opened
			o.Diagnosis = &Diagnosis{Label: "bearing_outer_race", Confidence: 0.874}
		}
		obs(d, o)
		obs(d, Observation{Machine: "fan-1", Line: "L2", Sensor: "mic-7", SensorState: "stuck"})
		tick(d)
	}
	tick(time.Minute)
	if err := e.Acknowledge(e.Alerts()[0].Fingerprint, "김 기사", "checking", base.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	tick(16 * time.Minute)
	for d := 17 * time.Minute; d <= 18*time.Minute; d += 30 * time.Second {
		obs(d, Observation{Machine: "fan-1", Line: "L2", Sensor: "mic-7", SensorState: "ok"})
	}
	tick(18*time.Minute + 10*time.Second) // after keep_firing_for (70s), on the group's next flush
	tick(4*time.Hour + 30*time.Minute)

	var b strings.Builder
	kinds := map[Kind]bool{}
	for _, n := range ns {
		kinds[n.Kind] = true
		for _, l := range []string{"en", "ko"} {
			title, body := Render(l, n)
			b.WriteString("=== " + l + " " + string(n.Kind) + " → " + n.Receiver + "\n" + title + "\n" + body + "\n")
		}
	}
	for _, k := range []Kind{KindFiring, KindResolved, KindRepeat, KindEscalation} {
		if !kinds[k] {
			t.Errorf("the story produced no %s notification", k)
		}
	}
	golden(t, "render.golden", []byte(b.String()))

	// Unknown languages fall back to English; regional tags find their language.
	if a, _ := Render("de", ns[0]); a != first(Render("en", ns[0])) {
		t.Errorf("de: %q", a)
	}
	if a, _ := Render("ko_KR", ns[0]); a != first(Render("ko", ns[0])) {
		t.Errorf("ko_KR: %q", a)
	}
}

func first(a, _ string) string { return a }
