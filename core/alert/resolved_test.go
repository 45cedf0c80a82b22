package alert

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// play runs a script like run and returns the notifications themselves.
func play(t *testing.T, e *Engine, evs []ev) []Notification {
	t.Helper()
	var out []Notification
	for _, x := range evs {
		now := t0.Add(x.at)
		for _, o := range x.obs {
			o.Time = now
			e.Observe(o)
		}
		if x.do != nil {
			x.do(t, e, now)
		}
		out = append(out, e.Tick(now)...)
	}
	return out
}

func describeAll(ns []Notification) []string {
	var out []string
	for _, n := range ns {
		out = append(out, describe(n.Time.Sub(t0), n))
	}
	return out
}

// checkResolutions checks the resolution contract on a notification log: per receiver and
// alert, a resolved mention only follows a firing one (no resolution of an alert the receiver
// never heard of), never twice for one announcement, and — for the receivers in want — every
// announcement of an alert that is not still firing is followed by exactly one by the end of
// the log; receivers not in want get no resolved mention at all.
func checkResolutions(t *testing.T, ns []Notification, want, stillFiring map[string]bool) {
	t.Helper()
	type key struct{ receiver, fp string }
	open := map[key]bool{} // announced firing, resolution not seen yet
	names := map[string]string{}
	for _, n := range ns {
		for _, a := range n.Alerts {
			k := key{n.Receiver, a.Fingerprint}
			names[a.Fingerprint] = a.Rule + "/" + a.Labels[LabelMachine]
			switch a.Status {
			case StatusFiring:
				open[k] = true
			case StatusResolved:
				switch {
				case !want[n.Receiver]:
					t.Errorf("%s got a resolution of %s at %v but does not want resolutions", n.Receiver, names[a.Fingerprint], n.Time.Sub(t0))
				case !open[k]:
					t.Errorf("%s got a resolution of %s at %v without an announcement before it (or twice)", n.Receiver, names[a.Fingerprint], n.Time.Sub(t0))
				}
				delete(open, k)
			}
		}
	}
	for k := range open {
		if want[k.receiver] && !stillFiring[k.fp] {
			t.Errorf("%s never got the resolution of %s", k.receiver, names[k.fp])
		}
	}
}

func silenceWhere(ms ...Matcher) func(*testing.T, *Engine, time.Time) {
	return func(t *testing.T, e *Engine, now time.Time) {
		t.Helper()
		if _, err := e.Silence(Silence{Matchers: ms, StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "lee"}, now); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResolutions: with send_resolved on (receiver level, or route level over a receiver that
// has it off) every alert announced as firing to a receiver gets exactly one resolved mention
// there; with it off (route level over a receiver that has it on too) none.
func TestResolutions(t *testing.T) {
	s, m, h := time.Second, time.Minute, time.Hour
	sensorInhibits := func(c *Config) {
		c.InhibitRules = []InhibitRule{{SourceMatchers: Matchers{MustMatcher(MatchEqual, "category", "sensor")},
			TargetMatchers: Matchers{MustMatcher(MatchEqual, "category", "anomaly")}, Equal: []string{LabelMachine}}}
	}
	cases := []struct {
		name   string
		config func(*Config)
		script []ev
		// restart, when set, saves the state and builds a new engine (with the configuration
		// changed by restart) before playing after.
		restart func(*Config)
		after   []ev
		want    []string
		resolve map[string]bool // receivers that want resolutions
	}{
		{
			name:    "receiver-level send_resolved",
			script:  script(at(0, score("m1", 1.5)), at(10*s), at(30*s, score("m1", 0.5)), at(70*s), at(130*s)),
			want:    []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]", "1m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]"},
			resolve: map[string]bool{"default": true},
		},
		{
			name:    "route-level send_resolved: true over a receiver that has it off",
			config:  func(c *Config) { c.Route.Receiver, c.Route.SendResolved = "oncall", ptr(true) },
			script:  script(at(0, score("m1", 1.5)), at(10*s), at(30*s, score("m1", 0.5)), at(70*s), at(130*s)),
			want:    []string{"10s oncall firing machine=m1 [AnomalyWarning/m1:firing]", "1m10s oncall resolved machine=m1 [AnomalyWarning/m1:resolved]"},
			resolve: map[string]bool{"oncall": true},
		},
		{
			name: "a child route's send_resolved: true over its receiver's off; the root keeps its receiver's",
			config: func(c *Config) {
				c.Route.Routes = []Route{{Matchers: Matchers{MustMatcher(MatchEqual, LabelMachine, "m1")}, Receiver: "oncall", SendResolved: ptr(true)}}
			},
			script: script(at(0, score("m1", 1.5), score("m2", 1.5)), at(10*s), at(30*s, score("m1", 0.5), score("m2", 0.5)), at(70*s)),
			want: []string{
				"10s oncall firing machine=m1 [AnomalyWarning/m1:firing]",
				"10s default firing machine=m2 [AnomalyWarning/m2:firing]",
				"1m10s oncall resolved machine=m1 [AnomalyWarning/m1:resolved]",
				"1m10s default resolved machine=m2 [AnomalyWarning/m2:resolved]",
			},
			resolve: map[string]bool{"default": true, "oncall": true},
		},
		{
			name:   "route-level send_resolved: false over a receiver that has it on",
			config: func(c *Config) { c.Route.SendResolved = ptr(false) },
			script: script(at(0, score("m1", 1.5), health("m1", "lost")), at(10*s), at(30*s, health("m1", "ok")), at(70*s),
				at(100*s, score("m1", 0.5)), at(130*s), at(4*h)),
			want:    []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:firing]"},
			resolve: map[string]bool{},
		},
		{
			name: "two alerts of one group resolving at different times are each resolved once",
			script: script(at(0, score("m1", 1.5), health("m1", "lost")), at(10*s), at(30*s, health("m1", "ok")), at(70*s),
				at(100*s, score("m1", 0.5)), at(130*s), at(190*s), at(4*h+10*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:firing]",
				"1m10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:resolved]",
				"2m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
			},
			resolve: map[string]bool{"default": true},
		},
		{
			name: "repeats do not send a resolution again",
			script: script(at(0, score("m1", 1.5), health("m1", "lost")), at(10*s), at(30*s, health("m1", "ok")), at(70*s),
				at(4*h+70*s), at(8*h+70*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:firing]",
				"1m10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:resolved]",
				"4h1m10s default repeat machine=m1 [AnomalyWarning/m1:firing]",
				"8h1m10s default repeat machine=m1 [AnomalyWarning/m1:firing]",
			},
			resolve: map[string]bool{"default": true},
		},
		{
			name:    "an announced alert that is silenced and then resolves is resolved",
			script:  script(at(0, score("m1", 1.5)), at(10*s), ev{at: 20 * s, do: silenceM1}, at(30*s, score("m1", 0.5)), at(70*s), at(130*s)),
			want:    []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]", "1m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]"},
			resolve: map[string]bool{"default": true},
		},
		{
			name: "an announced alert resolving while another one of the group fires silenced",
			script: script(at(0, score("m1", 2.5)), at(10*s),
				ev{at: 20 * s, do: silenceWhere(MustMatcher(MatchEqual, LabelMachine, "m1"), MustMatcher(MatchEqual, LabelAlertName, "AnomalyWarning"))},
				at(30*s, score("m1", 1.5)), at(70*s), at(100*s, score("m1", 0.5)), at(130*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyCritical/m1:firing AnomalyWarning/m1:firing]",
				"1m10s default firing machine=m1 [AnomalyCritical/m1:resolved]",
				"2m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
			},
			resolve: map[string]bool{"default": true},
		},
		{
			name:   "an announced alert that is inhibited and then resolves is resolved",
			config: sensorInhibits,
			script: script(at(0, score("m1", 1.5)), at(10*s), at(20*s, health("m1", "lost")), at(30*s, score("m1", 0.5)), at(70*s),
				at(100*s, health("m1", "ok")), at(130*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing]",
				"1m10s default firing machine=m1 [SensorLost/m1:firing AnomalyWarning/m1:resolved]",
				"2m10s default resolved machine=m1 [SensorLost/m1:resolved]",
			},
			resolve: map[string]bool{"default": true},
		},
		{
			name: "an announced alert resolving in a maintenance window is resolved",
			config: func(c *Config) {
				c.MaintenanceWindows = []MaintenanceWindow{{Name: "weekly", Schedule: "Sun 09:05-10:00 Asia/Seoul"}}
			},
			script:  script(at(0, score("m1", 1.5)), at(10*s), at(6*m+10*s), at(7*m, score("m1", 0.5)), at(7*m+10*s), at(h+10*s)),
			want:    []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]", "7m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]"},
			resolve: map[string]bool{"default": true},
		},
		{
			name:    "an alert that fires and resolves before the first notification sends nothing",
			script:  script(at(0, score("m1", 1.5)), at(3*s, score("m1", 0.1)), at(10*s), at(4*h)),
			want:    nil,
			resolve: map[string]bool{"default": true},
		},
		{
			name:    "an alert that joins an announced group and resolves before the next notification is not mentioned",
			script:  script(at(0, score("m1", 1.5)), at(10*s), at(20*s, health("m1", "lost")), at(30*s, health("m1", "ok")), at(70*s), at(130*s)),
			want:    []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]"},
			resolve: map[string]bool{"default": true},
		},
		{
			name:   "resolved, then pending again at the next notification: resolved, and announced again when it fires",
			config: func(c *Config) { c.Rules[0].For = 30 * s },
			script: script(at(0, score("m1", 1.5)), at(30*s, score("m1", 1.5)), at(40*s), at(50*s, score("m1", 0.5)),
				at(80*s, score("m1", 1.5)), at(100*s), at(110*s, score("m1", 1.5)), at(160*s), at(170*s, score("m1", 0.5)), at(220*s)),
			want: []string{
				"40s default firing machine=m1 [AnomalyWarning/m1:firing]",
				"1m40s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
				"2m40s default firing machine=m1 [AnomalyWarning/m1:firing]",
				"3m40s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
			},
			resolve: map[string]bool{"default": true},
		},
		{
			name:   "resolved, then pending and dropped before the next notification: resolved",
			config: func(c *Config) { c.Rules[0].For = 30 * s },
			script: script(at(0, score("m1", 1.5)), at(30*s, score("m1", 1.5)), at(40*s), at(50*s, score("m1", 0.5)),
				at(60*s, score("m1", 1.5)), at(70*s, score("m1", 0.5)), at(100*s), at(160*s)),
			want: []string{
				"40s default firing machine=m1 [AnomalyWarning/m1:firing]",
				"1m40s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
			},
			resolve: map[string]bool{"default": true},
		},
		{
			name: "escalation receivers get the resolution when they want it",
			config: func(c *Config) {
				c.Receivers[1].SendResolved = true // oncall; manager keeps it off
				c.Route.Escalations = []Escalation{{After: 15 * m, Receiver: "oncall"}, {After: 30 * m, Receiver: "manager"}}
			},
			script: script(at(0, health("m1", "lost")), at(10*s), at(15*m), at(30*m), at(40*m, health("m1", "ok")), at(40*m+10*s), at(h)),
			want: []string{
				"10s default firing machine=m1 [SensorLost/m1:firing]",
				"15m0s oncall escalation1 machine=m1 [SensorLost/m1:firing]",
				"30m0s manager escalation2 machine=m1 [SensorLost/m1:firing]",
				"40m0s default resolved machine=m1 [SensorLost/m1:resolved]",
				"40m0s oncall resolved1 machine=m1 [SensorLost/m1:resolved]",
			},
			resolve: map[string]bool{"default": true, "oncall": true},
		},
		{
			name: "an escalation receiver is resolved with the escalated alert only",
			config: func(c *Config) {
				c.Receivers[1].SendResolved = true
				c.Route.Escalations = []Escalation{{After: 15 * m, Receiver: "oncall"}}
			},
			script: script(at(0, health("m1", "lost"), score("m1", 1.5)), at(10*s), at(15*m), at(20*m, health("m1", "ok")), at(20*m+10*s),
				at(25*m, score("m1", 0.5)), at(25*m+10*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:firing]",
				"15m0s oncall escalation1 machine=m1 [SensorLost/m1:firing]",
				"20m0s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:resolved]",
				"20m0s oncall resolved1 machine=m1 [SensorLost/m1:resolved]",
				"25m0s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
			},
			resolve: map[string]bool{"default": true, "oncall": true},
		},
		{
			name:    "restart between firing and resolving",
			script:  script(at(0, score("m1", 1.5), health("m1", "lost")), at(10*s)),
			restart: func(*Config) {},
			after:   script(at(30*s, health("m1", "ok")), at(70*s), at(100*s, score("m1", 0.5)), at(130*s), at(190*s)),
			want: []string{
				"10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:firing]",
				"1m10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:resolved]",
				"2m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
			},
			resolve: map[string]bool{"default": true},
		},
		{
			name:    "restart after the resolution was sent: not sent again",
			script:  script(at(0, score("m1", 1.5)), at(10*s), at(30*s, score("m1", 0.5)), at(70*s)),
			restart: func(*Config) {},
			after:   script(at(80*s), at(130*s), at(4*h)),
			want:    []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]", "1m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]"},
			resolve: map[string]bool{"default": true},
		},
		{
			name:    "restart while silenced, resolving after it",
			script:  script(at(0, score("m1", 1.5)), at(10*s), ev{at: 20 * s, do: silenceM1}),
			restart: func(*Config) {},
			after:   script(at(30*s, score("m1", 0.5)), at(70*s), at(130*s)),
			want:    []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]", "1m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]"},
			resolve: map[string]bool{"default": true},
		},
		{
			name: "restart with an escalated alert, resolving after it",
			config: func(c *Config) {
				c.Receivers[1].SendResolved = true
				c.Route.Escalations = []Escalation{{After: 15 * m, Receiver: "oncall"}}
			},
			script:  script(at(0, health("m1", "lost")), at(10*s), at(15*m)),
			restart: func(*Config) {},
			after:   script(at(20*m, health("m1", "ok")), at(20*m+10*s)),
			want: []string{
				"10s default firing machine=m1 [SensorLost/m1:firing]",
				"15m0s oncall escalation1 machine=m1 [SensorLost/m1:firing]",
				"20m0s default resolved machine=m1 [SensorLost/m1:resolved]",
				"20m0s oncall resolved1 machine=m1 [SensorLost/m1:resolved]",
			},
			resolve: map[string]bool{"default": true, "oncall": true},
		},
		{
			name:    "the rule of a firing alert is removed: resolved",
			script:  script(at(0, score("m1", 1.5)), at(10*s)),
			restart: func(c *Config) { c.Rules = slices.Delete(c.Rules, 0, 1) },
			after:   script(at(30*s), at(70*s), at(130*s)),
			want:    []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]", "1m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]"},
			resolve: map[string]bool{"default": true},
		},
		{
			name:    "the rule of a firing alert no longer applies to its machine: resolved",
			script:  script(at(0, score("m1", 1.5)), at(10*s)),
			restart: func(c *Config) { c.Rules[0].Machines = Matchers{MustMatcher(MatchEqual, LabelMachine, "m2")} },
			after:   script(at(30*s, score("m1", 1.5)), at(70*s), at(130*s, score("m1", 1.5)), at(4*h+10*s)),
			want:    []string{"10s default firing machine=m1 [AnomalyWarning/m1:firing]", "1m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]"},
			resolve: map[string]bool{"default": true},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			if tc.config != nil {
				tc.config(&c)
			}
			e := mustNew(t, c, State{})
			ns := play(t, e, tc.script)
			if tc.restart != nil {
				tc.restart(&c)
				e = restart(t, c, e)
				ns = append(ns, play(t, e, tc.after)...)
			}
			diffLines(t, describeAll(ns), tc.want)
			firing := map[string]bool{}
			for _, a := range e.Alerts() {
				firing[a.Fingerprint] = a.Status == StatusFiring
			}
			checkResolutions(t, ns, tc.resolve, firing)
			checkRendered(t, ns)
		})
	}
}

// checkRendered checks that every resolved mention is rendered as a resolution in English and
// Korean, and that a notification carrying only resolutions is titled as one.
func checkRendered(t *testing.T, ns []Notification) {
	t.Helper()
	words := map[string]struct{ title, status, at string }{
		"en": {"[RESOLVED]", "- RESOLVED ", "resolved at "},
		"ko": {"[해결]", "- 해결 ", "에 해결"},
	}
	for _, n := range ns {
		resolved, firing := 0, 0
		for _, a := range n.Alerts {
			if a.Status == StatusResolved {
				resolved++
			} else {
				firing++
			}
		}
		if resolved == 0 {
			continue
		}
		for lang, w := range words {
			title, body := Render(lang, n)
			if got := strings.Count(body, w.status); got != resolved {
				t.Errorf("%s %s: %d resolved lines, want %d:\n%s", lang, describe(n.Time.Sub(t0), n), got, resolved, body)
			}
			if got := strings.Count(body, w.at); got != resolved {
				t.Errorf("%s %s: %d resolution times, want %d:\n%s", lang, describe(n.Time.Sub(t0), n), got, resolved, body)
			}
			if firing == 0 && !strings.HasPrefix(title, w.title) {
				t.Errorf("%s %s: title %q of a notification of resolutions only", lang, describe(n.Time.Sub(t0), n), title)
			}
		}
	}
}

// TestRenderResolutions pins the wording of resolutions: all of a group, some of a group,
// some while the rest is muted, and an escalation receiver's.
func TestRenderResolutions(t *testing.T) {
	fired, ended := t0, t0.Add(90*time.Second)
	al := func(rule string, st Status) Alert {
		a := Alert{Fingerprint: rule, Rule: rule, Status: st, ActiveAt: fired, FiredAt: fired,
			Labels: Labels{LabelAlertName: rule, LabelMachine: "m1", LabelSeverity: "critical"}}
		if st == StatusResolved {
			a.ResolvedAt = ended
		}
		return a
	}
	g := Labels{LabelMachine: "m1"}
	cases := []struct {
		n                Notification
		enIntro, koIntro string
		enTitle, koTitle string
	}{
		{
			n:       Notification{Kind: KindResolved, GroupLabels: g, Alerts: []Alert{al("A", StatusResolved)}},
			enTitle: "[RESOLVED] m1: A", koTitle: "[해결] m1: A",
			enIntro: "All alerts for m1 have resolved.", koIntro: "m1의 모든 경보가 해결되었습니다.",
		},
		{
			n:       Notification{Kind: KindFiring, GroupLabels: g, Alerts: []Alert{al("A", StatusFiring), al("B", StatusResolved)}},
			enTitle: "[FIRING:1] m1: A, B", koTitle: "[발생:1] m1: A, B",
			enIntro: "1 alert(s) firing for m1. 1 alert(s) have resolved.", koIntro: "m1에서 경보 1건이 발생했습니다. 경보 1건이 해결되었습니다.",
		},
		{
			n:       Notification{Kind: KindFiring, GroupLabels: g, Alerts: []Alert{al("B", StatusResolved)}},
			enTitle: "[RESOLVED] m1: B", koTitle: "[해결] m1: B",
			enIntro: "1 alert(s) for m1 have resolved.", koIntro: "m1의 경보 1건이 해결되었습니다.",
		},
		{
			n:       Notification{Kind: KindResolved, Step: 1, GroupLabels: g, Alerts: []Alert{al("A", StatusResolved)}},
			enTitle: "[RESOLVED] m1: A", koTitle: "[해결] m1: A",
			enIntro: "These escalated alerts for m1 have resolved.", koIntro: "m1의 상향 보고된 아래 경보가 해결되었습니다.",
		},
	}
	for i, tc := range cases {
		for _, l := range []struct{ lang, title, intro string }{{"en", tc.enTitle, tc.enIntro}, {"ko", tc.koTitle, tc.koIntro}} {
			title, body := Render(l.lang, tc.n)
			intro, _, _ := strings.Cut(body, "\n")
			if title != l.title || intro != l.intro {
				t.Errorf("case %d %s: title %q, intro %q; want %q, %q", i, l.lang, title, intro, l.title, l.intro)
			}
		}
	}
}

// TestResolvedAlertsLeaveTheList: the API's list never keeps an alert firing whose rule was
// removed or no longer applies to its machine, and forgets resolved alerts once their groups
// have been told, muted or not.
func TestResolvedAlertsLeaveTheList(t *testing.T) {
	s := time.Second
	list := func(e *Engine) string {
		var out []string
		for _, a := range e.Alerts() {
			out = append(out, fmt.Sprintf("%s/%s:%s", a.Rule, a.Labels[LabelMachine], a.Status))
		}
		return strings.Join(out, " ")
	}
	c := testConfig()
	e := mustNew(t, c, State{})
	play(t, e, script(at(0, score("m1", 2.5), score("m2", 1.5)), at(10*s), ev{at: 20 * s, do: silenceM1}, at(30*s, score("m1", 0.5))))
	if got, want := list(e), "AnomalyWarning/m2:firing AnomalyCritical/m1:resolved AnomalyWarning/m1:resolved"; got != want {
		t.Errorf("before the group is told: %q, want %q", got, want)
	}
	play(t, e, script(at(70*s)))
	if got, want := list(e), "AnomalyWarning/m2:firing"; got != want {
		t.Errorf("after: %q, want %q", got, want)
	}
	c.Rules[0].Machines = Matchers{MustMatcher(MatchEqual, LabelMachine, "m1")}
	e = restart(t, c, e)
	play(t, e, script(at(80*s, score("m2", 1.5))))
	if got := list(e); got != "" {
		t.Errorf("after the rule stopped applying to m2: %q, want nothing", got)
	}
}

// TestAnnouncementsFromOlderState: a state saved before groups recorded their announcements
// still gets the resolutions of what its last notification and escalations announced.
func TestAnnouncementsFromOlderState(t *testing.T) {
	m := time.Minute
	c := testConfig()
	c.Receivers[1].SendResolved = true
	c.Route.Escalations = []Escalation{{After: 15 * m, Receiver: "oncall"}}
	e := mustNew(t, c, State{})
	ns := play(t, e, script(at(0, health("m1", "lost"), score("m1", 1.5)), at(10*time.Second), at(15*m)))
	st := e.Snapshot()
	if len(st.Groups) != 1 || len(st.Groups[0].Announced) != 3 {
		t.Fatalf("groups %+v, want one with three announcements", st.Groups)
	}
	st.Groups[0].Announced = nil // as an older version saved it
	e = mustNew(t, c, st)
	ns = append(ns, play(t, e, script(at(20*m, health("m1", "ok"), score("m1", 0.5)), at(20*m+10*time.Second)))...)
	diffLines(t, describeAll(ns), []string{
		"10s default firing machine=m1 [AnomalyWarning/m1:firing SensorLost/m1:firing]",
		"15m0s oncall escalation1 machine=m1 [SensorLost/m1:firing]",
		"20m0s default resolved machine=m1 [AnomalyWarning/m1:resolved SensorLost/m1:resolved]",
		"20m0s oncall resolved1 machine=m1 [SensorLost/m1:resolved]",
	})
	checkResolutions(t, ns, map[string]bool{"default": true, "oncall": true}, nil)
}

// TestRuleStopsApplyingLive: a machine heard through another sensor than a rule selects
// (the configuration moved it) drops the rule's series at once, and its announced alert
// resolves instead of firing for ever.
func TestRuleStopsApplyingLive(t *testing.T) {
	s := time.Second
	c := testConfig()
	c.Rules[0].Machines = Matchers{MustMatcher(MatchEqual, LabelSensor, "mic-m1")}
	e := mustNew(t, c, State{})
	moved := score("m1", 1.5)
	moved.Sensor = "mic-9"
	ns := play(t, e, script(at(0, score("m1", 1.5)), at(10*s), at(30*s, moved), at(70*s), at(130*s, moved), at(4*time.Hour+10*s)))
	diffLines(t, describeAll(ns), []string{
		"10s default firing machine=m1 [AnomalyWarning/m1:firing]",
		"1m10s default resolved machine=m1 [AnomalyWarning/m1:resolved]",
	})
	if as := e.Alerts(); len(as) != 0 {
		t.Errorf("alerts %+v, want none", as)
	}
}
