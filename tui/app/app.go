// Package app is the terminal client's root model: it connects to the
// appliance, keeps the shared fleet picture up to date from the live
// stream, switches between the seven pages and draws the tab bar, the status
// bar and the key help. It also polls the appliance's alerts (AlertsEvery) for
// the overview's and the tab bar's counts. Every request runs in a tea.Cmd; the live stream
// runs in a goroutine that hands updates to Update through a channel.
package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/fleet"
	"signalcraft/tui/i18n"
	"signalcraft/tui/pages/alerts"
	"signalcraft/tui/pages/detail"
	"signalcraft/tui/pages/devices"
	"signalcraft/tui/pages/events"
	"signalcraft/tui/pages/overview"
	"signalcraft/tui/pages/queue"
	"signalcraft/tui/pages/settings"
	"signalcraft/tui/theme"
)

// Client is what the client needs from the appliance; *api.Client has it.
type Client interface {
	detail.Client
	detail.HistoryClient
	detail.HealthClient
	events.Client
	events.ClipClient
	devices.Client
	settings.Client
	alerts.Client
	queue.Client
	Health(ctx context.Context) (api.Health, error)
	Me(ctx context.Context) (api.Identity, error)
	Machines(ctx context.Context) ([]api.Machine, error)
	LiveSnapshot(ctx context.Context, machine string) ([]api.Live, error)
	Scores(ctx context.Context, machine string, f api.ScoreFilter) ([]api.ScorePoint, error)
	Stream(ctx context.Context, machine string, fn func(api.Live)) error
}

// Page identifies one of the seven pages.
type Page int

// The pages, in tab order.
const (
	PageOverview Page = iota
	PageDetail
	PageEvents
	PageDevices
	PageSettings
	PageAlerts
	PageQueue
	nPages
)

// pageKeys name the pages in the catalogs: "tab."+key is the tab label,
// "tabshort."+key the label when the full ones do not fit.
var pageKeys = [nPages]string{"overview", "detail", "events", "devices", "settings", "alerts", "queue"}

func pageNames(tr i18n.Translator, prefix string) *[nPages]string {
	var names [nPages]string
	for i, k := range pageKeys {
		names[i] = tr.T(prefix + k)
	}
	return &names
}

func (p Page) String() string { return i18n.Translator{}.T("tab." + pageKeys[p]) }

// Options configure the root model.
type Options struct {
	Client Client
	// Target names the appliance in messages: "unix:/run/signalcraft/api.sock"
	// or "https://host:8443".
	Target string
	// Now is the clock (time.Now if nil); tests inject a fixed one.
	Now func() time.Time
	// StaleAfter is how long the live stream may stay silent before the
	// status bar says it is reconnecting (default 5s; updates come several
	// times a second).
	StaleAfter time.Duration
	// RetryEvery is how often an unreachable appliance is tried again
	// (default 5s); r retries at once.
	RetryEvery time.Duration
	// Tick is the interval of the clock tick that refreshes ages and the
	// stream state (default 1s); negative disables it (tests).
	Tick time.Duration
	// AlertsEvery is how often the alerts are read again for the counts, and
	// the alerts or queue page reloaded while shown (default 15s; ticks drive
	// it, so a negative Tick disables it too).
	AlertsEvery time.Duration
	// DownloadDir is where the events page saves clips (d); "" is the current directory.
	DownloadDir string
	// FindPlayer and Play replace exec.LookPath and running the player (tests).
	FindPlayer func(name string) (string, error)
	Play       func(ctx context.Context, player, file string) error
	// Lang is the language of the screens ("" is English); see i18n.FromEnv.
	Lang i18n.Lang
}

// Timeout bounds each request of the connection sequence.
const Timeout = 10 * time.Second

// KeyMap is the root's key bindings.
type KeyMap struct {
	Pages             [nPages]key.Binding
	Next, Prev        key.Binding
	Help, Quit, Retry key.Binding
	ForceQuit         key.Binding
}

// DefaultKeyMap returns the root's default bindings.
func DefaultKeyMap() KeyMap { return keyMap(i18n.Translator{}) }

// keyMap returns the default bindings with their help in tr's language.
func keyMap(tr i18n.Translator) KeyMap {
	var km KeyMap
	for i, n := range pageNames(tr, "tab.") {
		k := fmt.Sprint(i + 1)
		km.Pages[i] = key.NewBinding(key.WithKeys(k), key.WithHelp(k, strings.ToLower(n)))
	}
	km.Next = key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", tr.T("key.nextpage")))
	km.Prev = key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", tr.T("key.prevpage")))
	km.Help = key.NewBinding(key.WithKeys("?"), key.WithHelp("?", tr.T("key.help")))
	km.Quit = key.NewBinding(key.WithKeys("q"), key.WithHelp("q", tr.T("key.quit")))
	km.ForceQuit = key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", tr.T("key.quit")))
	km.Retry = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", tr.T("key.retry")))
	return km
}

// ConnectedMsg carries the result of the connection sequence.
type ConnectedMsg struct {
	Health   api.Health
	Me       api.Identity
	Machines []api.Machine
	Live     []api.Live
	Events   []api.Event
	// Alerts are all the appliance's alerts; AlertsErr does not fail the
	// connection (an appliance without alerting answers 404).
	Alerts    []api.Alert
	AlertsErr error
	// History is each machine's recent score history, so charts start full; a machine
	// whose history could not be read simply starts empty.
	History map[string][]api.ScorePoint
	Err     error
}

// LiveMsg carries live updates received from the stream since the last one.
type LiveMsg struct{ Updates []api.Live }

// StreamEndedMsg reports that the live stream stopped for good (the
// appliance refused it); Err says why.
type StreamEndedMsg struct{ Err error }

// RecentEventsMsg carries the reloaded recent events of all machines.
type RecentEventsMsg struct {
	Events []api.Event
	Err    error
}

// AlertsMsg carries the reloaded alerts of all machines, for the counts.
type AlertsMsg struct {
	Alerts []api.Alert
	Err    error
}

// TickMsg is the clock tick.
type TickMsg time.Time

type retryMsg struct{ attempt int }

type conn int

const (
	connecting conn = iota
	failed
	ready
)

// liveStream is the running stream's plumbing; the model holds a pointer so
// copies of the model share it.
type liveStream struct {
	cancel  context.CancelFunc
	updates chan api.Live
	done    chan error
}

// Model is the root model.
type Model struct {
	KeyMap    KeyMap
	opts      Options
	tr        i18n.Translator
	st        theme.Styles
	fleet     *fleet.Fleet
	help      help.Model
	page      Page
	conn      conn
	connErr   error
	attempt   int
	stream    *liveStream
	streamErr error

	overview overview.Model
	detail   detail.Model
	events   events.Model
	devices  devices.Model
	settings settings.Model
	alerts   alerts.Model
	queue    queue.Model

	lastAlerts    time.Time // when the alerts were last asked for
	width, height int
}

// New returns the root model; Init connects.
func New(o Options) Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 5 * time.Second
	}
	if o.RetryEvery <= 0 {
		o.RetryEvery = 5 * time.Second
	}
	if o.Tick == 0 {
		o.Tick = time.Second
	}
	if o.AlertsEvery <= 0 {
		o.AlertsEvery = 15 * time.Second
	}
	st := theme.DefaultStyles()
	f := fleet.New(o.Now)
	h := help.New()
	h.Styles.ShortKey = st.Info
	h.Styles.FullKey = st.Info
	h.Styles.ShortDesc = st.Muted
	h.Styles.FullDesc = st.Muted
	h.Styles.ShortSeparator = st.Muted
	h.Styles.FullSeparator = st.Muted
	h.Styles.Ellipsis = st.Muted
	tr := i18n.New(o.Lang)
	m := Model{KeyMap: keyMap(tr), opts: o, tr: tr, st: st, fleet: f, help: h,
		overview: overview.New(f, st), detail: detail.New(o.Client, f, st), events: events.New(o.Client, f, st),
		devices: devices.New(o.Client, f, st), settings: settings.New(o.Client, f, st),
		alerts: alerts.New(o.Client, f, st), queue: queue.New(o.Client, f, st), width: 80, height: 24}
	// Connected over the unix socket, the client runs on the appliance and may play clips
	// through its audio output.
	m.events.SetAudio(events.Audio{Dir: o.DownloadDir, Local: strings.HasPrefix(o.Target, "unix:"), LookPath: o.FindPlayer, Run: o.Play})
	m.overview.SetLang(tr)
	m.detail.SetLang(tr)
	m.events.SetLang(tr)
	m.alerts.SetLang(tr)
	m.devices.SetLang(tr)
	m.queue.SetLang(tr)
	m.settings.SetLang(tr)
	m.resize()
	return m
}

// Fleet returns the shared picture of the appliance (for tests).
func (m Model) Fleet() *fleet.Fleet { return m.fleet }

// BodySize returns the page area's width and height (for tests).
func (m Model) BodySize() (int, int) { return m.bodySize() }

// Page returns the page shown.
func (m Model) Page() Page { return m.page }

// SettingsErrors returns the field errors the settings page shows, by API field name.
func (m Model) SettingsErrors() map[string]string { return m.settings.Errors() }

// Init starts connecting and the clock.
func (m Model) Init() tea.Cmd { return tea.Batch(m.connect(), m.tick()) }

func (m Model) tick() tea.Cmd {
	if m.opts.Tick < 0 {
		return nil
	}
	return tea.Tick(m.opts.Tick, func(t time.Time) tea.Msg { return TickMsg(t) })
}

// connect loads identity, health, machines, the live snapshot, recent
// events and alerts.
func (m Model) connect() tea.Cmd {
	c := m.opts.Client
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		var msg ConnectedMsg
		if msg.Me, msg.Err = c.Me(ctx); msg.Err != nil {
			return msg
		}
		if msg.Health, msg.Err = c.Health(ctx); msg.Err != nil {
			return msg
		}
		if msg.Machines, msg.Err = c.Machines(ctx); msg.Err != nil {
			return msg
		}
		if msg.Live, msg.Err = c.LiveSnapshot(ctx, ""); msg.Err != nil {
			return msg
		}
		if msg.Events, msg.Err = c.Events(ctx, api.EventFilter{Limit: 100}); msg.Err != nil {
			return msg
		}
		msg.Alerts, msg.AlertsErr = c.Alerts(ctx, api.AlertFilter{})
		msg.History = map[string][]api.ScorePoint{}
		from := m.fleet.Now().Add(-fleet.HistorySpan)
		for _, mc := range msg.Machines {
			if ps, err := c.Scores(ctx, mc.ID, api.ScoreFilter{From: from}); err == nil {
				msg.History[mc.ID] = ps
			}
		}
		return msg
	}
}

func (m Model) loadRecentEvents() tea.Cmd {
	c := m.opts.Client
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		es, err := c.Events(ctx, api.EventFilter{Limit: 100})
		return RecentEventsMsg{Events: es, Err: err}
	}
}

func (m Model) loadAlerts() tea.Cmd {
	c := m.opts.Client
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		as, err := c.Alerts(ctx, api.AlertFilter{})
		return AlertsMsg{Alerts: as, Err: err}
	}
}

// startStream follows the live stream in a goroutine; waitLive hands its
// updates to Update.
func (m *Model) startStream() tea.Cmd {
	m.stopStream()
	ctx, cancel := context.WithCancel(context.Background())
	s := &liveStream{cancel: cancel, updates: make(chan api.Live, 1024), done: make(chan error, 1)}
	m.stream = s
	c := m.opts.Client
	return func() tea.Msg {
		go func() {
			s.done <- c.Stream(ctx, "", func(l api.Live) {
				select {
				case s.updates <- l:
				case <-ctx.Done():
				}
			})
		}()
		return waitLive(s)()
	}
}

// waitLive returns the next updates (all that are queued) or the stream's end.
func waitLive(s *liveStream) tea.Cmd {
	return func() tea.Msg {
		select {
		case l := <-s.updates:
			batch := []api.Live{l}
			for len(batch) < 512 {
				select {
				case l := <-s.updates:
					batch = append(batch, l)
				default:
					return LiveMsg{Updates: batch}
				}
			}
			return LiveMsg{Updates: batch}
		case err := <-s.done:
			return StreamEndedMsg{Err: err}
		}
	}
}

func (m *Model) stopStream() {
	if m.stream != nil {
		m.stream.cancel()
		m.stream = nil
	}
}

// Close stops the live stream.
func (m Model) Close() { m.stopStream() }

func (m *Model) resize() {
	bw, bh := m.bodySize()
	m.overview.SetSize(bw, bh)
	m.detail.SetSize(bw, bh)
	m.events.SetSize(bw, bh)
	m.devices.SetSize(bw, bh)
	m.settings.SetSize(bw, bh)
	m.alerts.SetSize(bw, bh)
	m.queue.SetSize(bw, bh)
	m.help.SetWidth(m.width)
}

// bodySize is the page area: the screen less the tab bar, its rule, the
// status bar and the help.
func (m Model) bodySize() (int, int) {
	return m.width, max(m.height-3-m.helpHeight(), 1)
}

func (m Model) helpHeight() int {
	if !m.help.ShowAll {
		return 1
	}
	n := 0
	for _, col := range m.fullHelp() {
		n = max(n, len(col))
	}
	return n
}

func (m Model) capturing() bool {
	switch m.page {
	case PageDetail:
		return m.detail.Capturing()
	case PageEvents:
		return m.events.Capturing()
	case PageSettings:
		return m.settings.Capturing()
	case PageAlerts:
		return m.alerts.Capturing()
	}
	return false
}

// Update routes messages.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case TickMsg:
		cmds := []tea.Cmd{m.tick()}
		if now := m.fleet.Now(); m.conn == ready && now.Sub(m.lastAlerts) >= m.opts.AlertsEvery {
			m.lastAlerts = now
			cmds = append(cmds, m.loadAlerts())
			switch {
			case m.page == PageAlerts && !m.alerts.Capturing():
				cmds = append(cmds, m.alerts.Load())
			case m.page == PageQueue:
				cmds = append(cmds, m.queue.Load())
			case m.page == PageDetail: // a long-range chart follows the time
				cmds = append(cmds, m.detail.ReloadHistory())
			}
		}
		return m, tea.Batch(cmds...)
	case ConnectedMsg:
		if msg.Err != nil {
			m.conn, m.connErr = failed, msg.Err
			m.attempt++
			if retryable(msg.Err) {
				a := m.attempt
				return m, tea.Tick(m.opts.RetryEvery, func(time.Time) tea.Msg { return retryMsg{attempt: a} })
			}
			return m, nil
		}
		m.conn, m.connErr = ready, nil
		m.fleet.Me, m.fleet.Health = msg.Me, msg.Health
		m.fleet.SetMachines(msg.Machines)
		m.fleet.Events = msg.Events
		m.fleet.Alerts, m.fleet.AlertsErr = msg.Alerts, msg.AlertsErr
		m.lastAlerts = m.fleet.Now()
		for id, ps := range msg.History {
			m.fleet.Seed(id, ps)
		}
		m.fleet.Apply(msg.Live)
		m.fleet.LastUpdate = time.Time{} // a snapshot is not the stream
		m.streamErr = nil
		m.resize()
		cmds := []tea.Cmd{m.startStream()}
		if cmd := m.activate(m.page); cmd != nil {
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	case retryMsg:
		if m.conn == failed && msg.attempt == m.attempt {
			m.conn = connecting
			return m, m.connect()
		}
		return m, nil
	case LiveMsg:
		var cmds []tea.Cmd
		if m.stream != nil {
			cmds = append(cmds, waitLive(m.stream))
		}
		if m.fleet.Apply(msg.Updates) {
			cmds = append(cmds, m.loadRecentEvents(), m.events.Load(), m.loadAlerts())
		}
		return m, tea.Batch(cmds...)
	case StreamEndedMsg:
		m.streamErr = msg.Err
		m.stream = nil
		return m, nil
	case RecentEventsMsg:
		if msg.Err == nil {
			m.fleet.Events = msg.Events
		}
		return m, nil
	case AlertsMsg:
		m.fleet.AlertsErr = msg.Err
		if msg.Err == nil {
			m.fleet.Alerts = msg.Alerts
		}
		return m, nil
	case alerts.LoadedMsg, alerts.DeliveriesMsg, alerts.TestedMsg, alerts.SavedMsg:
		var cmd tea.Cmd
		m.alerts, cmd = m.alerts.Update(msg)
		return m, cmd
	case alerts.AcknowledgedMsg:
		// The appliance acknowledges an anomaly alert's events with it: read them again too.
		var cmd tea.Cmd
		m.alerts, cmd = m.alerts.Update(msg)
		return m, tea.Batch(cmd, m.loadAlerts(), m.loadRecentEvents(), m.events.Load())
	case alerts.SilencedMsg, alerts.ExpiredMsg:
		var cmd tea.Cmd
		m.alerts, cmd = m.alerts.Update(msg)
		return m, tea.Batch(cmd, m.loadAlerts())
	case queue.LoadedMsg, queue.RetriedMsg:
		var cmd tea.Cmd
		m.queue, cmd = m.queue.Update(msg)
		return m, cmd
	case detail.ModelsLoadedMsg, detail.ModelChangedMsg, detail.HistoryLoadedMsg, detail.HealthLoadedMsg, detail.ReportMsg, detail.ReportPollMsg:
		var cmd tea.Cmd
		m.detail, cmd = m.detail.Update(msg)
		return m, cmd
	case overview.OpenMachineMsg:
		m.detail.SetMachine(msg.MachineID)
		return m.switchTo(PageDetail)
	case events.LoadedMsg, events.ClipsLoadedMsg, events.SpectrogramMsg, events.DownloadProgressMsg, events.DownloadedMsg, events.PlayedMsg:
		var cmd tea.Cmd
		m.events, cmd = m.events.Update(msg)
		return m, cmd
	case events.ChangedMsg:
		var cmd tea.Cmd
		m.events, cmd = m.events.Update(msg)
		if msg.Action == "acknowledge" { // the appliance acknowledges an event's anomaly alerts with it
			return m, tea.Batch(cmd, m.loadRecentEvents(), m.loadAlerts(), m.alerts.Load())
		}
		return m, tea.Batch(cmd, m.loadRecentEvents())
	case devices.LoadedMsg:
		var cmd tea.Cmd
		m.devices, cmd = m.devices.Update(msg)
		return m, cmd
	case settings.SavedMsg, settings.RelearnedMsg:
		var cmd tea.Cmd
		m.settings, cmd = m.settings.Update(msg)
		return m, cmd
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	// Anything else (cursor blinks) goes to the page taking text.
	return m.toPage(msg)
}

func retryable(err error) bool {
	switch api.ErrorCode(err) {
	case api.CodeUnauthorized, api.CodeForbidden, api.CodeRateLimited:
		return false
	}
	// joining the socket's group takes a new login: retrying cannot help either
	return !errors.Is(err, api.ErrFingerprintMismatch) && !api.IsSocketPermission(err)
}

func (m Model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	km := m.KeyMap
	if key.Matches(k, km.ForceQuit) {
		m.stopStream()
		return m, tea.Quit
	}
	if m.conn != ready {
		switch {
		case key.Matches(k, km.Quit):
			m.stopStream()
			return m, tea.Quit
		case key.Matches(k, km.Retry) && m.conn == failed:
			m.conn = connecting
			m.attempt++
			return m, m.connect()
		}
		return m, nil
	}
	if !m.capturing() {
		switch {
		case key.Matches(k, km.Quit):
			m.stopStream()
			return m, tea.Quit
		case key.Matches(k, km.Help):
			m.help.ShowAll = !m.help.ShowAll
			m.resize()
			return m, nil
		case key.Matches(k, km.Next):
			return m.switchTo((m.page + 1) % nPages)
		case key.Matches(k, km.Prev):
			return m.switchTo((m.page + nPages - 1) % nPages)
		}
		for i, b := range km.Pages {
			if key.Matches(k, b) {
				return m.switchTo(Page(i))
			}
		}
	}
	return m.toPage(k)
}

func (m Model) toPage(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch m.page {
	case PageOverview:
		m.overview, cmd = m.overview.Update(msg)
	case PageDetail:
		m.detail, cmd = m.detail.Update(msg)
	case PageEvents:
		m.events, cmd = m.events.Update(msg)
	case PageDevices:
		m.devices, cmd = m.devices.Update(msg)
	case PageSettings:
		m.settings, cmd = m.settings.Update(msg)
	case PageAlerts:
		m.alerts, cmd = m.alerts.Update(msg)
	case PageQueue:
		m.queue, cmd = m.queue.Update(msg)
	}
	return m, cmd
}

func (m Model) switchTo(p Page) (tea.Model, tea.Cmd) {
	m.page = p
	return m, m.activate(p)
}

// activate prepares a page being shown and returns what it must load.
func (m *Model) activate(p Page) tea.Cmd {
	if m.conn != ready {
		return nil
	}
	switch p {
	case PageDetail:
		m.detail.SetMachine(m.overview.Selected())
		return tea.Batch(m.detail.Reload(), m.detail.ReloadHistory())
	case PageEvents:
		return m.events.Load()
	case PageDevices:
		return m.devices.Load()
	case PageSettings:
		m.settings.SelectMachine(m.detail.Machine())
	case PageAlerts:
		return m.alerts.Load()
	case PageQueue:
		return m.queue.Load()
	}
	return nil
}
