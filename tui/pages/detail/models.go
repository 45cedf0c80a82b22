package detail

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
)

// Client is what the page needs from the appliance: the machine's model history and, for
// admins, promoting a model and rolling back. *api.Client has it.
type Client interface {
	Models(ctx context.Context, machine string) ([]api.Model, error)
	PromoteModel(ctx context.Context, machine string, version int64, reason string) (api.Model, error)
	RollbackModel(ctx context.Context, machine, task, reason string) (api.Model, error)
	ReportClient
}

// Timeout bounds each request of the page.
const Timeout = 10 * time.Second

// ModelsLoadedMsg carries a machine's model history.
type ModelsLoadedMsg struct {
	MachineID string
	Models    []api.Model
	Err       error
}

// ModelChangedMsg carries the result of a promotion or a rollback.
type ModelChangedMsg struct {
	MachineID string
	Action    string    // "promote" or "rollback"
	Model     api.Model // the new champion
	Err       error
}

// TaskName is how the pages name a model's task: the normal model that scores the sound, the
// fault classifier that names an event's fault.
func TaskName(task string) string { return taskName(i18n.Translator{}, task) }

func taskName(tr i18n.Translator, task string) string {
	if task == api.TaskDiagnose {
		return tr.T("models.task.faults.name")
	}
	return tr.T("models.task.detect.name")
}

type confirm int

const (
	noConfirm confirm = iota
	confirmPromote
	confirmRollback
)

// reasonTUI is the reason sent with a change made here; the audit log names who made it.
const reasonTUI = "from the signalcraft terminal client"

// modelsState is the model history view of the page.
type modelsState struct {
	shown   bool
	machine string // whose models are loaded
	list    []api.Model
	err     error
	loading bool
	cursor  int
	confirm confirm
	flash   string
}

// ShowingModels reports whether the page shows the model history instead of the live view.
func (m Model) ShowingModels() bool { return m.models.shown }

// Capturing reports whether the page waits for a y/n answer, so the root must not take keys.
func (m Model) Capturing() bool { return m.models.confirm != noConfirm }

func (m Model) admin() bool { return m.fleet.Can(api.RoleAdmin) }

// Reload asks for the shown machine's model history again when it is shown (the page is
// being shown, perhaps for another machine); nil otherwise.
func (m *Model) Reload() tea.Cmd {
	if !m.models.shown || m.client == nil {
		return nil
	}
	return m.loadModels()
}

// loadModels asks for the shown machine's model history.
func (m *Model) loadModels() tea.Cmd {
	id, c := m.Machine(), m.client
	m.models.loading = true
	if m.models.machine != id {
		m.models.list, m.models.err, m.models.cursor = nil, nil, 0
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		ms, err := c.Models(ctx, id)
		return ModelsLoadedMsg{MachineID: id, Models: ms, Err: err}
	}
}

func (m Model) selectedModel() (api.Model, bool) {
	if m.models.machine != m.Machine() || m.models.cursor >= len(m.models.list) {
		return api.Model{}, false
	}
	return m.models.list[m.models.cursor], true
}

// promotable reports whether a model can be made the champion: a stored candidate or
// retired model (not the champion, not the one being learned).
func promotable(md api.Model) bool {
	return md.Version > 0 && (md.Stage == api.StageCandidate || md.Stage == api.StageRetired)
}

// updateModels handles the page's messages and keys while the model history is shown.
func (m Model) updateModels(msg tea.Msg) (Model, tea.Cmd) {
	km := m.KeyMap
	switch msg := msg.(type) {
	case ModelsLoadedMsg:
		if msg.MachineID != m.Machine() {
			return m, nil
		}
		m.models.loading, m.models.machine, m.models.err = false, msg.MachineID, msg.Err
		if msg.Err == nil {
			m.models.list = msg.Models
			m.models.cursor = min(m.models.cursor, max(len(msg.Models)-1, 0))
		}
		return m, nil
	case ModelChangedMsg:
		if msg.Err != nil {
			m.models.flash = m.st.Error.Render(m.tr.T("models.err."+msg.Action, msg.Err))
			return m, nil
		}
		m.models.flash = m.st.OK.Render(m.tr.T("models.done."+msg.Action, msg.MachineID, taskName(m.tr, msg.Model.Task), msg.Model.Version))
		if msg.MachineID == m.Machine() {
			return m, m.loadModels()
		}
		return m, nil
	case tea.KeyPressMsg:
		if m.models.confirm != noConfirm {
			switch {
			case key.Matches(msg, km.Yes):
				return m.applyChange()
			case key.Matches(msg, km.No), key.Matches(msg, km.Back):
				m.models.confirm, m.models.flash = noConfirm, m.st.Muted.Render(m.tr.T("models.nothing"))
			}
			return m, nil
		}
		switch {
		case key.Matches(msg, km.Back), key.Matches(msg, km.Models):
			m.models.shown, m.models.flash = false, ""
			return m, nil
		case key.Matches(msg, km.Up):
			m.models.cursor = max(m.models.cursor-1, 0)
		case key.Matches(msg, km.Down):
			m.models.cursor = min(m.models.cursor+1, max(len(m.models.list)-1, 0))
		case key.Matches(msg, km.Promote):
			md, ok := m.selectedModel()
			switch {
			case !m.admin():
				m.models.flash = m.st.Warning.Render(m.tr.NeedRole(api.RoleAdmin, "what.promote", m.fleet.Me.Role))
			case !ok || !promotable(md):
				m.models.flash = m.st.Muted.Render(m.tr.T("models.select"))
			default:
				m.models.confirm, m.models.flash = confirmPromote, ""
			}
		case key.Matches(msg, km.Rollback):
			if !m.admin() {
				m.models.flash = m.st.Warning.Render(m.tr.NeedRole(api.RoleAdmin, "what.rollback", m.fleet.Me.Role))
			} else {
				m.models.confirm, m.models.flash = confirmRollback, ""
			}
		case key.Matches(msg, km.Prev), key.Matches(msg, km.Next):
			m.step(msg)
			m.models.flash = ""
			return m, m.loadModels()
		}
	}
	return m, nil
}

func (m Model) applyChange() (Model, tea.Cmd) {
	c, id, what := m.client, m.Machine(), m.models.confirm
	md, _ := m.selectedModel()
	m.models.confirm = noConfirm
	if what == confirmPromote {
		m.models.flash = m.st.Muted.Render(m.tr.T("models.promoting", md.Version, id))
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), Timeout)
			defer cancel()
			got, err := c.PromoteModel(ctx, id, md.Version, reasonTUI)
			return ModelChangedMsg{MachineID: id, Action: "promote", Model: got, Err: err}
		}
	}
	task := rollbackTask(md)
	m.models.flash = m.st.Muted.Render(m.tr.T("models.rollingback", taskName(m.tr, task), id))
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		got, err := c.RollbackModel(ctx, id, task, reasonTUI)
		return ModelChangedMsg{MachineID: id, Action: "rollback", Model: got, Err: err}
	}
}

// modelsHelp lists the keys of the model history view.
func (m Model) modelsHelp() []key.Binding {
	km := m.KeyMap
	if m.models.confirm != noConfirm {
		return []key.Binding{km.Yes, km.No}
	}
	bs := []key.Binding{km.Up, km.Down, km.Prev, km.Next}
	if m.admin() {
		bs = append(bs, km.Promote, km.Rollback)
	}
	return append(bs, km.Back)
}

// ShortID is a dataset id's first 8 hex digits, "—" when there is none.
func ShortID(id string) string {
	switch {
	case id == "":
		return "—"
	case len(id) > 8:
		return id[:8]
	}
	return id
}

// rollbackTask is the task whose champion a rollback walks back: the selected model's.
func rollbackTask(md api.Model) string {
	if md.Task == api.TaskDiagnose {
		return api.TaskDiagnose
	}
	return api.TaskDetect
}

// ModelQuality renders how a model did on its held-back items: a normal model's false alarms
// per hour and recall, a fault classifier's macro-F1 and accuracy; "—" when not evaluated.
func ModelQuality(md api.Model) string { return modelQuality(i18n.Translator{}, md) }

func modelQuality(tr i18n.Translator, md api.Model) string {
	mm := md.Metrics
	switch {
	case mm == nil:
		return "—"
	case mm.MacroF1 != nil && mm.Accuracy != nil:
		return tr.T("models.q.faults", *mm.MacroF1, *mm.Accuracy)
	case mm.Recall != nil:
		return tr.T("models.q.detect", mm.FalseAlarmsPerHour, *mm.Recall)
	}
	return tr.T("models.q.fah", mm.FalseAlarmsPerHour)
}

// modelsView draws the model history under the page's header lines, in h rows.
func (m Model) modelsView(w, h int) []string {
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	now := m.fleet.Now()
	tr := m.tr
	add(m.st.Header.Render(tr.T("models.title")) + m.st.Muted.Render(tr.T("models.subtitle")))
	switch {
	case m.models.err != nil && m.models.machine == m.Machine():
		add(m.st.Error.Render(format.Fit(tr.T("models.loaderr", m.models.err.Error()), w)))
	case m.models.machine != m.Machine():
		add(m.st.Muted.Render(tr.T("models.loading")))
	case len(m.models.list) == 0:
		add(m.st.Muted.Render(tr.T("models.none")))
	default:
		// Korean quality texts are wider than English ones: the column takes the widest.
		qW := 20
		for _, md := range m.models.list {
			qW = max(qW, ansi.StringWidth(modelQuality(tr, md)))
		}
		head := format.FitRight(tr.T("models.col.ver"), 5) + "  " + format.Fit(tr.T("models.col.task"), 6) + "  " +
			format.Fit(tr.T("models.col.stage"), 9) + "  " + format.Fit(tr.T("models.col.dataset"), 9) + " " +
			format.Fit(tr.T("models.col.quality"), qW) + "  " + format.Fit(tr.T("models.col.created"), 12) + "  " + tr.T("models.col.reason")
		add(m.st.Label.Render(format.Fit(head, w)))
		rows := max(h-len(out)-3, 1)
		first := max(0, min(m.models.cursor-rows+1, len(m.models.list)-rows))
		for i := first; i < len(m.models.list) && i < first+rows; i++ {
			md := m.models.list[i]
			stage := md.Stage
			if md.Version == 0 {
				stage = "learning"
			}
			why := md.Reason
			if why == "" {
				why = md.Note
			}
			task := tr.T("models.task.detect")
			if md.Task == api.TaskDiagnose {
				task = tr.T("models.task.faults")
			}
			stageName := stage
			if k := "models.stage." + stage; tr.Has(k) {
				stageName = tr.T(k)
			}
			stageCell := format.Fit(stageName, 9)
			rest := "  " + format.Fit(ShortID(md.Dataset), 9) + " " + format.Fit(modelQuality(tr, md), qW) + "  " +
				format.Fit(tr.Clock(now, md.CreatedAt), 12) + "  " + why
			ver := fmt.Sprintf("%5d  ", md.Version) + format.Fit(task, 6) + "  "
			if i == m.models.cursor {
				add(m.st.Selected.Render(format.Fit("▸"+ver[1:]+stageCell+rest, w)))
				continue
			}
			var st = m.st.Muted
			switch stage {
			case api.StageChampion:
				st = m.st.OK
			case api.StageCandidate:
				st = m.st.Warning
			}
			line := ver + st.Render(stageCell) + rest
			add(format.Fit(line, w))
		}
	}
	for len(out) < h-2 {
		add("")
	}
	md, _ := m.selectedModel()
	switch {
	case m.models.confirm == confirmPromote:
		add(m.st.Warning.Render(format.Fit(tr.T("models.confirm.promote", taskName(tr, md.Task), md.Version, m.Machine()), w)))
	case m.models.confirm == confirmRollback:
		add(m.st.Warning.Render(format.Fit(tr.T("models.confirm.rollback", taskName(tr, rollbackTask(md)), m.Machine()), w)))
	case !m.admin():
		add(m.st.Muted.Render(format.Fit(tr.T("models.readonly", tr.Role(m.fleet.Me.Role)), w)))
	default:
		add(m.st.Muted.Render(format.Fit(tr.T("models.hint"), w)))
	}
	add(format.Fit(m.models.flash, w))
	return out
}
