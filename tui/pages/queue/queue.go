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
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		DeadOnly: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "dead only")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Retry:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "retry dead job")),
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
			m.flash = m.st.OK.Render(fmt.Sprintf("Job #%d queued again.", msg.ID))
			return m, m.Load()
		case api.IsCode(msg.Err, api.CodeForbidden):
			m.flash = m.st.Error.Render(needRole(m.fleet.Me.Role))
		default:
			m.flash = m.st.Error.Render(fmt.Sprintf("Could not retry job #%d: %v", msg.ID, msg.Err))
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
				m.flash = m.st.Warning.Render(needRole(m.fleet.Me.Role))
			case j.State != StateDead:
				m.flash = m.st.Muted.Render(fmt.Sprintf("Job #%d is %s: only dead jobs are retried.", j.ID, j.State))
			default:
				c := m.client
				m.flash = m.st.Muted.Render(fmt.Sprintf("Retrying job #%d…", j.ID))
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

func needRole(have api.Role) string {
	return fmt.Sprintf("To retry jobs you need role admin (you are %s).", have)
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
		return m.st.Muted.Render("Loading the job queue…")
	}
	if api.IsCode(m.err, api.CodeNotFound) {
		return m.st.Warning.Render("This appliance does not serve its job queue yet (GET "+api.PathJobs+" answered 404).") + "\n\n" +
			m.st.Muted.Render("Alerting and notifications come with a newer signalcraftd.")
	}
	now := m.fleet.Now()
	var lines []string
	title := m.st.Title.Render("Job queue")
	if m.loading {
		title += m.st.Muted.Render("  loading…")
	}
	lines = append(lines, title)
	if m.err != nil {
		lines = append(lines, m.st.Error.Render(format.Fit("Could not load the queue: "+m.err.Error(), w)))
	}
	errW := max(w-(12+7+8+7+6+7+8+1), 10)
	lines = append(lines, m.st.Header.Render(format.Fit(format.Fit("KIND", 12)+format.FitRight("QUEUED", 7)+format.FitRight("RUNNING", 8)+
		format.FitRight("FAILED", 7)+format.FitRight("DEAD", 6)+format.FitRight("DONE", 7)+format.FitRight("OLDEST", 8)+" "+
		format.Fit("LAST ERROR", errW), w)))
	plain := lipgloss.NewStyle()
	for _, s := range m.jobs.Stats {
		oldest := "—"
		if s.Queued > 0 {
			oldest = format.Span(time.Duration(s.OldestQueue * float64(time.Second)))
		}
		last := ""
		if s.LastError != "" {
			last = s.LastError
			if s.LastErrorAt != nil {
				last = format.Ago(now, *s.LastErrorAt) + ": " + last
			}
		}
		lines = append(lines, format.Fit(format.Fit(s.Kind, 12)+count(s.Queued, plain, 7)+count(s.Running, m.st.Info, 8)+
			count(s.Failed, m.st.Warning, 7)+count(s.Dead, m.st.Error, 6)+count(s.Done, m.st.OK, 7)+format.FitRight(oldest, 8)+" "+
			m.st.Muted.Render(format.Fit(last, errW)), w))
	}
	if len(m.jobs.Stats) == 0 && m.err == nil {
		lines = append(lines, m.st.Muted.Render("No jobs yet."))
	}
	check := "[ ]"
	if m.state == StateDead {
		check = "[x]"
	}
	lines = append(lines, "", m.st.Title.Render("Recent jobs")+"  "+fmt.Sprintf("dead only %s (d)", check))
	jerrW := max(w-(2+7+12+9+4+2+10+10+1), 10)
	lines = append(lines, m.st.Header.Render(format.Fit("  "+format.Fit("ID", 7)+format.Fit("KIND", 12)+format.Fit("STATE", 9)+
		format.FitRight("ATT", 4)+"  "+format.Fit("CREATED", 10)+format.Fit("RUN AT", 10)+" "+format.Fit("LAST ERROR", jerrW), w)))

	footer := m.footer(w)
	rows := max(m.height-len(lines)-len(footer), 1)
	if len(m.jobs.Recent) == 0 && m.err == nil {
		lines = append(lines, m.st.Muted.Render("  No jobs."))
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
		runAt := format.Clock(now, j.RunAt)
		if d := j.RunAt.Sub(now); d > 0 && (j.State == StateQueued || j.State == StateFailed) {
			runAt = "in " + format.Span(d)
		}
		row := format.Fit(fmt.Sprintf("#%d", j.ID), 7) + format.Fit(j.Kind, 12) + StateStyle(m.st, j.State).Render(format.Fit(j.State, 9)) +
			format.FitRight(fmt.Sprint(j.Attempts), 4) + "  " + format.Fit(format.Clock(now, j.CreatedAt), 10) + format.Fit(runAt, 10) + " " +
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
		out = append(out, format.Fit(fmt.Sprintf("#%d after %s: %s", j.ID, format.Count(j.Attempts, "attempt", "attempts"), j.LastError), w))
	}
	if !m.admin() {
		out = append(out, m.st.Muted.Render(format.Fit(fmt.Sprintf("Read-only: retrying dead jobs needs role admin (you are %s).", m.fleet.Me.Role), w)))
	}
	if m.flash != "" {
		out = append(out, format.Fit(m.flash, w))
	}
	return out
}
