package alert

import (
	"strings"
	"testing"
	"time"
)

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
