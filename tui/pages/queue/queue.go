// Package queue is the job queue page: per kind of job the counts of queued, running,
// failed (waiting to retry), dead and done jobs, the last error and the age of the oldest
// queued job; below, the recent jobs. R queues a dead job again (admin).
package queue

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"signalcraft/core/api"
	"signalcraft/tui/fleet"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
	"signalcraft/tui/theme"
)

// Client is what the page needs from the appliance (*api.Client has it).
type Client interface {
	Jobs(ctx context.Context, kind, state string) (api.Jobs, error)
	RetryJob(ctx context.Context, id int64) error
}

// Timeout bounds each request the page makes.
const Timeout = 10 * time.Second

// Job states.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateFailed    = "failed"
	StateDead      = "dead"
	StateDone      = "done"
	StateCancelled = "cancelled"
)

// KeyMap is the page's key bindings.
type KeyMap struct {
	Up, Down, DeadOnly, Refresh, Retry key.Binding
}

// DefaultKeyMap returns the page's default bindings.
func DefaultKeyMap() KeyMap { return keyMap(i18n.Translator{}) }

func keyMap(tr i18n.Translator) KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", tr.T("key.up"))),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", tr.T("key.down"))),
		DeadOnly: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", tr.T("queue.key.dead"))),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", tr.T("events.key.refresh"))),
		Retry:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", tr.T("queue.key.retry"))),
	}
}

// LoadedMsg carries a reload's result.
type LoadedMsg struct {
	State string // the state filter it answers ("" all, or StateDead)
	Jobs  api.Jobs
	Err   error
}

// RetriedMsg carries the result of retrying a job.
type RetriedMsg struct {
	ID  int64
	Err error
}

// Model is the queue page.
type Model struct {
	KeyMap        KeyMap
	client        Client
	fleet         *fleet.Fleet
	st            theme.Styles
	tr            i18n.Translator
	state         string
	jobs          api.Jobs
	loaded        bool
	loading       bool
	err           error
	cursor        int
	flash         string
	width, height int
}

// New returns the queue page. It shows nothing until Load's command runs.
func New(c Client, f *fleet.Fleet, st theme.Styles) Model {
	return Model{KeyMap: DefaultKeyMap(), client: c, fleet: f, st: st}
}

// SetSize sets the area the page may draw in.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Jobs returns what the page shows.
func (m Model) Jobs() api.Jobs { return m.jobs }

// Load returns the command that reloads the queue.
func (m *Model) Load() tea.Cmd {
	m.loading = true
	c, state := m.client, m.state
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		j, err := c.Jobs(ctx, "", state)
		return LoadedMsg{State: state, Jobs: j, Err: err}
	}
}

func (m Model) admin() bool { return m.fleet.Can(api.RoleAdmin) }

// ShortHelp lists the page's keys, without retry unless the caller is admin.
func (m Model) ShortHelp() []key.Binding {
	bs := []key.Binding{m.KeyMap.Up, m.KeyMap.Down}
	if m.admin() {
		bs = append(bs, m.KeyMap.Retry)
	}
	return append(bs, m.KeyMap.DeadOnly, m.KeyMap.Refresh)
}

func (m Model) selected() (api.Job, bool) {
	if m.cursor < len(m.jobs.Recent) {
		return m.jobs.Recent[m.cursor], true
	}
	return api.Job{}, false
}

// Update handles keys and the results of the page's commands.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case LoadedMsg:
		if msg.State != m.state {
			return m, nil
		}
		m.loaded, m.loading, m.err = true, false, msg.Err
		if msg.Err == nil {
			var keep int64
			if j, ok := m.selected(); ok {
				keep = j.ID
			}
			m.jobs, m.cursor = msg.Jobs, 0
			for i, j := range m.jobs.Recent {
				if j.ID == keep {
					m.cursor = i
				}
			}
		}
		return m, nil
	case RetriedMsg:
		switch {
		case msg.Err == nil:
			m.flash = m.st.OK.Render(m.tr.T("queue.requeued", msg.ID))
			return m, m.Load()
		case api.IsCode(msg.Err, api.CodeForbidden):
			m.flash = m.st.Error.Render(needRole(m.tr, m.fleet.Me.Role))
		default:
			m.flash = m.st.Error.Render(m.tr.T("queue.retryerr", msg.ID, msg.Err))
		}
		return m, nil
	case tea.KeyPressMsg:
		km := m.KeyMap
		switch {
		case key.Matches(msg, km.Up):
			if m.cursor > 0 {
				m.cursor--
			}
		case key.Matches(msg, km.Down):
			if m.cursor < len(m.jobs.Recent)-1 {
				m.cursor++
			}
		case key.Matches(msg, km.Refresh):
			return m, m.Load()
		case key.Matches(msg, km.DeadOnly):
			if m.state == "" {
				m.state = StateDead
			} else {
				m.state = ""
			}
			return m, m.Load()
		case key.Matches(msg, km.Retry):
			j, ok := m.selected()
			switch {
			case !ok:
			case !m.admin():
				m.flash = m.st.Warning.Render(needRole(m.tr, m.fleet.Me.Role))
			case j.State != StateDead:
				m.flash = m.st.Muted.Render(m.tr.T("queue.notdead", j.ID, m.stateName(j.State)))
			default:
				c := m.client
				m.flash = m.st.Muted.Render(m.tr.T("queue.retrying", j.ID))
				return m, func() tea.Msg {
					ctx, cancel := context.WithTimeout(context.Background(), Timeout)
					defer cancel()
					return RetriedMsg{ID: j.ID, Err: c.RetryJob(ctx, j.ID)}
				}
			}
		}
	}
	return m, nil
}

func needRole(tr i18n.Translator, have api.Role) string {
	return tr.NeedRole(api.RoleAdmin, "what.retry", have)
}

// SetLang sets the language of the page and of its key help.
func (m *Model) SetLang(tr i18n.Translator) { m.tr, m.KeyMap = tr, keyMap(tr) }

// state names a job state in the page's language.
func (m Model) stateName(s string) string {
	if k := "queue.state." + s; m.tr.Has(k) {
		return m.tr.T(k)
	}
	return s
}

// StateStyle is the colour of a job or delivery state.
func StateStyle(st theme.Styles, state string) lipgloss.Style {
	switch state {
	case StateDone:
		return st.OK
	case StateFailed:
		return st.Warning
	case StateDead:
		return st.Error
	case StateRunning:
		return st.Info
	case StateCancelled:
		return st.Muted
	}
	return lipgloss.NewStyle()
}

func count(n int, st lipgloss.Style, w int) string {
	s := format.FitRight(fmt.Sprint(n), w)
	if n == 0 {
		return format.FitRight("·", w)
	}
	return st.Render(s)
}

// View draws the counts per kind and the recent jobs.
func (m Model) View() string {
	w := max(m.width, 40)
	if !m.loaded {
		return m.st.Muted.Render(m.tr.T("queue.loading"))
	}
	tr := m.tr
	if api.IsCode(m.err, api.CodeNotFound) {
		return m.st.Warning.Render(tr.T("queue.unsupported", api.PathJobs)) + "\n\n" +
			m.st.Muted.Render(tr.T("queue.update"))
	}
	now := m.fleet.Now()
	var lines []string
	title := m.st.Title.Render(tr.T("queue.title"))
	if m.loading {
		title += m.st.Muted.Render("  " + tr.T("events.loading"))
	}
	lines = append(lines, title)
	if m.err != nil {
		lines = append(lines, m.st.Error.Render(format.Fit(tr.T("queue.loaderr", m.err.Error()), w)))
	}
	errW := max(w-(12+7+8+7+6+7+8+1), 10)
	lines = append(lines, m.st.Header.Render(format.Fit(format.Fit(tr.T("queue.col.kind"), 12)+format.FitRight(tr.T("queue.col.queued"), 7)+
		format.FitRight(tr.T("queue.col.running"), 8)+format.FitRight(tr.T("queue.col.failed"), 7)+format.FitRight(tr.T("queue.col.dead"), 6)+
		format.FitRight(tr.T("queue.col.done"), 7)+format.FitRight(tr.T("queue.col.oldest"), 8)+" "+format.Fit(tr.T("queue.col.lasterr"), errW), w)))
	plain := lipgloss.NewStyle()
	for _, s := range m.jobs.Stats {
		oldest := "—"
		if s.Queued > 0 {
			oldest = tr.Span(time.Duration(s.OldestQueue * float64(time.Second)))
		}
		last := ""
		if s.LastError != "" {
			last = s.LastError
			if s.LastErrorAt != nil {
				last = tr.Ago(now, *s.LastErrorAt) + ": " + last
			}
		}
		lines = append(lines, format.Fit(format.Fit(s.Kind, 12)+count(s.Queued, plain, 7)+count(s.Running, m.st.Info, 8)+
			count(s.Failed, m.st.Warning, 7)+count(s.Dead, m.st.Error, 6)+count(s.Done, m.st.OK, 7)+format.FitRight(oldest, 8)+" "+
			m.st.Muted.Render(format.Fit(last, errW)), w))
	}
	if len(m.jobs.Stats) == 0 && m.err == nil {
		lines = append(lines, m.st.Muted.Render(tr.T("queue.nojobsyet")))
	}
	check := "[ ]"
	if m.state == StateDead {
		check = "[x]"
	}
	lines = append(lines, "", m.st.Title.Render(tr.T("queue.recent"))+"  "+tr.T("queue.deadonly", check))
	jerrW := max(w-(2+7+12+9+4+2+10+10+1), 10)
	lines = append(lines, m.st.Header.Render(format.Fit("  "+format.Fit(tr.T("queue.col.id"), 7)+format.Fit(tr.T("queue.col.kind"), 12)+
		format.Fit(tr.T("queue.col.state"), 9)+format.FitRight(tr.T("queue.col.att"), 4)+"  "+format.Fit(tr.T("queue.col.created"), 10)+
		format.Fit(tr.T("queue.col.runat"), 10)+" "+format.Fit(tr.T("queue.col.lasterr"), jerrW), w)))

	footer := m.footer(w)
	rows := max(m.height-len(lines)-len(footer), 1)
	if len(m.jobs.Recent) == 0 && m.err == nil {
		lines = append(lines, m.st.Muted.Render("  "+tr.T("queue.nojobs")))
	}
	first := 0
	if m.cursor >= rows {
		first = m.cursor - rows + 1
	}
	for i := first; i < len(m.jobs.Recent) && i < first+rows; i++ {
		j := m.jobs.Recent[i]
		mark := "  "
		if i == m.cursor {
			mark = m.st.Info.Render("▶ ")
		}
		runAt := tr.Clock(now, j.RunAt)
		if d := j.RunAt.Sub(now); d > 0 && (j.State == StateQueued || j.State == StateFailed) {
			runAt = tr.T("queue.in", tr.Span(d))
		}
		row := format.Fit(fmt.Sprintf("#%d", j.ID), 7) + format.Fit(j.Kind, 12) + StateStyle(m.st, j.State).Render(format.Fit(m.stateName(j.State), 9)) +
			format.FitRight(fmt.Sprint(j.Attempts), 4) + "  " + format.Fit(tr.Clock(now, j.CreatedAt), 10) + format.Fit(runAt, 10) + " " +
			m.st.Muted.Render(format.Fit(j.LastError, jerrW))
		lines = append(lines, format.Fit(mark+row, w))
	}
	for len(lines) < m.height-len(footer) {
		lines = append(lines, "")
	}
	return strings.Join(append(lines, footer...), "\n")
}

func (m Model) footer(w int) []string {
	var out []string
	if j, ok := m.selected(); ok && j.LastError != "" {
		out = append(out, format.Fit(m.tr.T("queue.after", j.ID, m.tr.N("queue.attempts", j.Attempts, j.Attempts), j.LastError), w))
	}
	if !m.admin() {
		out = append(out, m.st.Muted.Render(format.Fit(m.tr.T("queue.readonly", m.tr.Role(m.fleet.Me.Role)), w)))
	}
	if m.flash != "" {
		out = append(out, format.Fit(m.flash, w))
	}
	return out
}
