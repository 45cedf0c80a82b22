package screens

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/i18n"
)

// modelRows returns the detail's model history as shown: a line per row, its cells (texts,
// labels, [buttons]) in reading order joined by " | ", the header first.
func modelRows(u *UI) []string {
	var out []string
	for _, r := range u.detail.models.rows.Objects {
		var cells []string
		var visit func(o fyne.CanvasObject)
		visit = func(o fyne.CanvasObject) {
			if o == nil || !o.Visible() {
				return
			}
			switch x := o.(type) {
			case *fyne.Container: // in reading order: a Border lists its centre first
				objs := slices.Clone(x.Objects)
				slices.SortStableFunc(objs, func(a, b fyne.CanvasObject) int {
					return cmp.Compare(a.Position().X, b.Position().X) // rows are laid out left to right
				})
				for _, c := range objs {
					visit(c)
				}
			case *canvas.Text:
				cells = append(cells, x.Text)
			case *widget.Label:
				cells = append(cells, x.Text)
			case *widget.Button:
				cells = append(cells, "["+x.Text+"]")
			}
		}
		visit(r)
		out = append(out, strings.Join(cells, " | "))
	}
	return out
}

// reasonEntry returns the reason entry of the dialog on top.
func reasonEntry(t *testing.T, w fyne.Window) *widget.Entry {
	t.Helper()
	e := dialogEntry(w, false)
	if e == nil {
		t.Fatal("no reason entry in the dialog")
	}
	return e
}

// model reads a model of the pump back from the appliance.
func (r *rig) model(t *testing.T, version int64) api.Model {
	t.Helper()
	m, err := r.Admin(t).Model(context.Background(), pump, version)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestModelHistory(t *testing.T) {
	tests := []struct {
		role api.Role
		lang i18n.Lang
		want []string
	}{
		{api.RoleAdmin, i18n.English, []string{
			"Ver. | Stage | Dataset | FA/h | Recall | Created | Reason | [Roll back]",
			"— | Learning | — | — | — | 08:00:40 | ", // the appliance is learning the pump anew: it heard nothing yet
			"v3 | Candidate | b71e0c9a | 0.80 | 1.00 | 06:00:00 | gate: 0.80 false alarms/h > champion's 0.20 | [Promote]",
			"v2 | Champion | 3f9a6c01 | 0.20 | 0.83 | 2025-05-31 06:00 | gate: recall 0.83 ≥ 0.50, 0.20 false alarms/h",
			"v1 | Retired | — | — | — | 2025-05-03 08:00 | learned on start | [Promote]",
			"Fault classifier — names the fault of each anomaly event",
			"Ver. | Stage | Dataset | Acc. | F1 | Created | Reason | [Roll back]",
			"v5 | Champion | b71e0c9a | 0.91 | 0.89 | 07:30:00 | better: macro-F1 0.71 → 0.89, accuracy 0.75 → 0.91 on 120 held-back windows",
			"v4 | Retired | 3f9a6c01 | 0.75 | 0.71 | 2025-06-01 06:00 | first fault classifier: macro-F1 0.71, accuracy 0.75 on 80 held-back windows | [Promote]",
		}},
		{api.RoleOperator, i18n.Korean, []string{
			"버전 | 단계 | 데이터셋 | 오경보/시 | 재현율 | 생성 | 사유",
			"— | 학습 중 | — | — | — | 08:00:40 | ",
			"v3 | 후보 | b71e0c9a | 0.80 | 1.00 | 06:00:00 | gate: 0.80 false alarms/h > champion's 0.20",
			"v2 | 챔피언 | 3f9a6c01 | 0.20 | 0.83 | 2025-05-31 06:00 | gate: recall 0.83 ≥ 0.50, 0.20 false alarms/h",
			"v1 | 은퇴 | — | — | — | 2025-05-03 08:00 | learned on start",
			"고장 분류기 — 각 이상 이벤트의 고장 유형을 알려 줍니다",
			"버전 | 단계 | 데이터셋 | 정확도 | F1 | 생성 | 사유",
			"v5 | 챔피언 | b71e0c9a | 0.91 | 0.89 | 07:30:00 | better: macro-F1 0.71 → 0.89, accuracy 0.75 → 0.91 on 120 held-back windows",
			"v4 | 은퇴 | 3f9a6c01 | 0.75 | 0.71 | 2025-06-01 06:00 | first fault classifier: macro-F1 0.71, accuracy 0.75 on 80 held-back windows",
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			r := sharedRig(t, tt.role, tt.lang)
			r.ui.ShowMachine(pump)
			got := modelRows(r.ui)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("model history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			back := buttons(r.win, r.ui.T("models.rollback"))
			if admin := tt.role == api.RoleAdmin; (len(back) == 2) != admin { // the normal model's and the classifier's
				t.Errorf("%s: %d Roll back buttons", tt.role, len(back))
			}
		})
	}
}

func TestModelHistoryLearningMachine(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	r.ui.ShowMachine(comp)
	if got := modelRows(r.ui); len(got) != 2 || got[1] != "— | Learning | — | — | — | 08:00:40 | " {
		t.Errorf("compressor's model history %q", got)
	}
	if b := buttons(r.win, "Roll back"); len(b) != 1 || !b[0].Disabled() {
		t.Error("Roll back is enabled without an earlier model")
	}
}

func TestPromoteModel(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.ShowMachine(pump)
	test.Tap(buttons(r.win, "Promote")[0]) // v3's
	if s := texts(r.win); !strings.Contains(s, "Feed pump 2 will be scored with model 3 within seconds. The champion now, model 2, is retired") {
		t.Fatalf("promote dialog does not say what happens:\n%s", s)
	}
	test.Type(reasonEntry(t, r.win), "fewer missed faults")
	test.Tap(dialogButton(t, r.win, "Promote"))

	if m := r.model(t, 3); m.Stage != api.StageChampion || m.Reason != "fewer missed faults" {
		t.Fatalf("the appliance has model 3 as %s, %q", m.Stage, m.Reason)
	}
	rows := modelRows(r.ui)
	if !strings.HasPrefix(rows[2], "v3 | Champion |") || !strings.HasPrefix(rows[3], "v2 | Retired |") || !strings.HasSuffix(rows[3], "[Promote]") {
		t.Errorf("after promoting 3:\n%s", strings.Join(rows, "\n"))
	}
	if s := texts(r.win); !strings.Contains(s, "Model 3 is the champion now") {
		t.Errorf("no word of the promotion:\n%s", s)
	}
}

func TestPromoteCancelled(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	r.ui.ShowMachine(pump)
	test.Tap(buttons(r.win, "Promote")[0])
	test.Tap(dialogButton(t, r.win, "Cancel"))
	if m := r.model(t, 3); m.Stage != api.StageCandidate {
		t.Errorf("cancelling made model 3 the %s", m.Stage)
	}
	if !strings.HasPrefix(modelRows(r.ui)[2], "v3 | Candidate |") {
		t.Error("the candidate changed stage")
	}
}

// Rolling back twice walks back one champion; a third has nowhere to go and says why.
func TestRollbackModel(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.ShowMachine(pump)
	rollback := func(reason string) {
		t.Helper()
		test.Tap(buttons(r.win, "Roll back")[0]) // the normal model's
		test.Type(reasonEntry(t, r.win), reason)
		test.Tap(dialogButton(t, r.win, "Roll back"))
	}
	rollback("alarms every hour")
	if m := r.model(t, 2); m.Stage != api.StageRetired || m.Reason != "rolled back: alarms every hour" || r.model(t, 1).Stage != api.StageChampion {
		t.Fatalf("the appliance has model 2 as %s, %q, and model 1 as %s", m.Stage, m.Reason, r.model(t, 1).Stage)
	}
	rows := modelRows(r.ui)
	if !strings.HasPrefix(rows[3], "v2 | Retired |") || !strings.Contains(rows[3], "rolled back: alarms every hour") ||
		!strings.HasPrefix(rows[4], "v1 | Champion |") {
		t.Errorf("after a rollback:\n%s", strings.Join(rows, "\n"))
	}
	if s := texts(r.win); !strings.Contains(s, "Rolled back: model 1 is the champion again") {
		t.Errorf("no word of the rollback:\n%s", s)
	}
	rollback("again")
	if s := texts(r.win); !strings.Contains(s, `Nothing changed: roll back the model of machine "pump-2": no earlier champion than version 1`) {
		t.Errorf("a rollback with nowhere to go does not say so:\n%s", s)
	}

	// The fault classifier's Roll back walks back its own champions only.
	test.Tap(buttons(r.win, "Roll back")[1])
	if s := texts(r.win); !strings.Contains(s, "goes back to the fault classifier that was champion before the current one") {
		t.Fatalf("the classifier's rollback dialog:\n%s", s)
	}
	test.Type(reasonEntry(t, r.win), "names every fault a ball fault")
	test.Tap(dialogButton(t, r.win, "Roll back"))
	if r.model(t, 5).Stage != api.StageRetired || r.model(t, 4).Stage != api.StageChampion || r.model(t, 1).Stage != api.StageChampion {
		t.Fatalf("after the classifier's rollback the appliance has 5 %s, 4 %s, 1 %s", r.model(t, 5).Stage, r.model(t, 4).Stage, r.model(t, 1).Stage)
	}
	rows = modelRows(r.ui)
	if !strings.HasPrefix(rows[7], "v5 | Retired |") || !strings.HasPrefix(rows[8], "v4 | Champion |") || !strings.HasPrefix(rows[4], "v1 | Champion |") {
		t.Errorf("after the classifier's rollback:\n%s", strings.Join(rows, "\n"))
	}
}

func TestGoldenModelHistory(t *testing.T) {
	for name, lang := range map[string]i18n.Lang{"models.png": i18n.English, "models-ko.png": i18n.Korean} {
		t.Run(name, func(t *testing.T) {
			r := sharedRig(t, api.RoleAdmin, lang)
			r.win.Resize(fyne.NewSize(1100, 1600)) // below the score history and the event cards, down to the fault classifiers
			r.ui.ShowMachine(pump)
			golden(t, r.win, name)
		})
	}
}

func TestGoldenPromoteDialog(t *testing.T) {
	r := sharedRig(t, api.RoleAdmin, i18n.English)
	r.win.Resize(fyne.NewSize(1100, 1100)) // the event cards' Sound… row pushes the table down
	r.ui.ShowMachine(pump)
	test.Tap(buttons(r.win, "Promote")[0])
	test.Type(reasonEntry(t, r.win), "fewer missed faults")
	golden(t, r.win, "models-promote.png")
}
