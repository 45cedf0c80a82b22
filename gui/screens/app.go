// Package screens provides the SignalCraft desktop client's user interface:
// the machine overview, a machine's detail with its live spectrogram, the
// event list, machine settings and the connection manager, in English or
// Korean. It talks to an appliance only through the Appliance interface
// (satisfied by *api.Client) and never imports fyne.io/fyne/v2/app, so it
// is tested headless with fyne.io/fyne/v2/test.
//
// Threading: API calls run off the UI goroutine (Options.Go) and apply
// their results with fyne.Do. The live stream only queues updates; Refresh,
// called on the UI goroutine a few times a second by Run, applies them, so a
// fast stream never floods the UI.
package screens

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/conn"
	"signalcraft/gui/i18n"
)

// Appliance is what the client needs of the appliance API; *api.Client
// has it.
type Appliance interface {
	Health(ctx context.Context) (api.Health, error)
	Me(ctx context.Context) (api.Identity, error)
	Machines(ctx context.Context) ([]api.Machine, error)
	LiveSnapshot(ctx context.Context, machine string) ([]api.Live, error)
	Scores(ctx context.Context, machine string, f api.ScoreFilter) ([]api.ScorePoint, error)
	Stream(ctx context.Context, machine string, fn func(api.Live)) error
	Events(ctx context.Context, f api.EventFilter) ([]api.Event, error)
	AcknowledgeEvent(ctx context.Context, eventID int64, comment string) (api.Event, error)
	LabelEvent(ctx context.Context, eventID int64, label string) (api.Event, error)
	UpdateMachine(ctx context.Context, m api.Machine) (api.Machine, error)
	Relearn(ctx context.Context, machine, note string) error
	Models(ctx context.Context, machine string) ([]api.Model, error)
	PromoteModel(ctx context.Context, machine string, version int64, reason string) (api.Model, error)
	RollbackModel(ctx context.Context, machine, task, reason string) (api.Model, error)

	Alerts(ctx context.Context, f api.AlertFilter) ([]api.Alert, error)
	AcknowledgeAlert(ctx context.Context, fingerprint, comment string) (api.Alert, error)
	AlertDeliveries(ctx context.Context, fingerprint string) ([]api.Delivery, error)
	Silences(ctx context.Context) ([]api.Silence, error)
	CreateSilence(ctx context.Context, s api.Silence) (api.Silence, error)
	ExpireSilence(ctx context.Context, id string) error
	Maintenance(ctx context.Context) ([]api.MaintenanceWindow, error)
	SetMaintenance(ctx context.Context, ws []api.MaintenanceWindow) ([]api.MaintenanceWindow, error)
	Rules(ctx context.Context) ([]api.AlertRule, error)
	SetRules(ctx context.Context, rs []api.AlertRule) ([]api.AlertRule, error)
	Receivers(ctx context.Context) ([]api.Receiver, error)
	SetReceivers(ctx context.Context, rs []api.Receiver) ([]api.Receiver, error)
	TestReceiver(ctx context.Context, name, lang string) (api.Delivery, error)
	Jobs(ctx context.Context, kind, state string) (api.Jobs, error)
	RetryJob(ctx context.Context, id int64) error

	History(ctx context.Context, machine string, q api.HistoryQuery) (api.ScoreHistory, error)
	MachineHealth(ctx context.Context, machine string, f api.HealthFilter) (api.MachineHealth, error)
	EventClips(ctx context.Context, eventID int64) ([]api.ClipInfo, error)
	ClipSpectrogram(ctx context.Context, clipID int64, columns int) (api.Spectrogram, error)
	ClipAudio(ctx context.Context, clipID int64) (io.ReadCloser, int64, error)
}

// Options configures a UI. Every field has a working default.
type Options struct {
	Lang     i18n.Lang
	Now      func() time.Time // default time.Now
	Location *time.Location   // for times shown; default time.Local
	// Go runs blocking work (API calls) off the UI goroutine; default
	// "go f()". Tests pass a synchronous runner.
	Go func(f func())
	// Store keeps the connection profiles; nil keeps them in memory only.
	Store *conn.Store
	// Config is the initial set of connection profiles.
	Config conn.Config
	// Dial makes the Appliance for a profile; default Profile.Client.
	Dial func(conn.Profile) (Appliance, error)
	// FetchFingerprint reads an https appliance's certificate fingerprint
	// for trust on first use; default api.FetchFingerprint.
	FetchFingerprint func(ctx context.Context, addr string) (string, error)
	// OnLang is called after the language changed (to save it, rebuild a
	// menu).
	OnLang func(i18n.Lang)
	// Timeout bounds each API call; default 10s.
	Timeout time.Duration
	// Play plays a downloaded clip and returns the player's name; default: the first of
	// Players on PATH. SaveDialog asks where to save a clip; default: Fyne's file dialog.
	// Tests replace both.
	Play       func(ctx context.Context, file string) (player string, err error)
	SaveDialog func(name string, save func(io.WriteCloser))
}

// Screen tabs, in order.
const (
	TabOverview = iota
	TabAlerts
	TabEvents
	TabSettings
	TabNotifications
	TabRules
	TabConnections
)

// AlertPoll is how often the alerts are fetched again while connected (they
// are not part of the live stream).
const AlertPoll = 15 * time.Second

// HistoryLen is how many live updates of a machine the charts keep.
const HistoryLen = 300

// historySpan is how much stored score history seeds the charts on connecting: about what
// HistoryLen live updates (five a second) cover.
const historySpan = HistoryLen * time.Second / 5

// UI is the desktop client's window content.
type UI struct {
	opt Options
	win fyne.Window
	tr  i18n.Translator

	// Connection, replaced by Connect.
	app       Appliance
	profile   conn.Profile
	cancel    context.CancelFunc
	identity  api.Identity
	inbox     *inbox
	connErr   error // fatal error of the current connection
	loading   bool
	streaming bool

	machines []*machine
	byID     map[string]*machine
	events   []api.Event // of the events screen
	filter   api.EventFilter
	al       alertState
	nt       notifyState

	// Widgets of the current build.
	root      *fyne.Container
	tabs      *container.AppTabs
	banner    *fyne.Container
	bannerMsg string
	overview  *overviewScreen
	detail    *detailScreen
	eventsUI  *eventsScreen
	alertsUI  *alertsScreen
	notifyUI  *notifyScreen
	rulesUI   *rulesScreen
	editor    *editor // the open editor dialog, if any
	settings  *settingsScreen
	connUI    *connectionsScreen
	header    *widget.Label
	tabIndex  int
	openID    string // machine shown in detail, "" for the grid
}

// New returns the UI for window w (dialogs open over it).
func New(w fyne.Window, opt Options) *UI {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Location == nil {
		opt.Location = time.Local
	}
	if opt.Go == nil {
		opt.Go = func(f func()) { go f() }
	}
	if opt.Dial == nil {
		opt.Dial = func(p conn.Profile) (Appliance, error) { return p.Client() }
	}
	if opt.FetchFingerprint == nil {
		opt.FetchFingerprint = api.FetchFingerprint
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	u := &UI{opt: opt, win: w, tr: i18n.New(opt.Lang), byID: map[string]*machine{}, inbox: newInbox(),
		filter: api.EventFilter{Limit: 100}}
	u.root = container.NewStack()
	u.build()
	return u
}

// Content returns the UI's root object, to set as the window's content.
func (u *UI) Content() fyne.CanvasObject { return u.root }

// T translates key in the current language.
func (u *UI) T(key string, args ...any) string { return u.tr.T(key, args...) }

// Lang returns the current language.
func (u *UI) Lang() i18n.Lang { return u.tr.Lang() }

// SetLang switches the language, rebuilding every screen in place.
func (u *UI) SetLang(l i18n.Lang) {
	if l == u.tr.Lang() {
		return
	}
	u.tr = i18n.New(l)
	u.build()
	if u.opt.OnLang != nil {
		u.opt.OnLang(l)
	}
}

// build (re)creates every widget from the state, keeping the screen shown.
func (u *UI) build() {
	u.banner = container.NewStack()
	u.bannerMsg = ""
	u.header = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	langs := []string{}
	for _, l := range i18n.Langs() {
		langs = append(langs, l.Name())
	}
	langSel := widget.NewSelect(langs, func(s string) {
		for _, l := range i18n.Langs() {
			if l.Name() == s && l != u.tr.Lang() {
				// Rebuilding replaces this very Select: let its callback return first.
				fyne.Do(func() { u.SetLang(l) })
			}
		}
	})
	langSel.SetSelected(u.tr.Lang().Name())
	title := canvas.NewText("SignalCraft", nil)
	title.TextSize = 22
	title.TextStyle.Bold = true
	top := container.NewBorder(nil, nil,
		container.NewHBox(title, layout.NewSpacer(), u.header),
		container.NewHBox(widget.NewLabel(u.T("lang.label")), langSel))

	u.overview = newOverview(u)
	u.detail = nil
	u.eventsUI = newEventsScreen(u)
	u.alertsUI = newAlertsScreen(u)
	u.settings = newSettingsScreen(u)
	u.notifyUI = newNotifyScreen(u)
	u.rulesUI = newRulesScreen(u)
	u.editor = nil
	u.connUI = newConnectionsScreen(u)
	ovStack := container.NewStack(u.overview.root)
	u.tabs = container.NewAppTabs(
		container.NewTabItem(u.T("tab.overview"), ovStack),
		container.NewTabItem(u.T("tab.alerts"), u.alertsUI.root),
		container.NewTabItem(u.T("tab.events"), u.eventsUI.root),
		container.NewTabItem(u.T("tab.settings"), u.settings.root),
		container.NewTabItem(u.T("tab.notifications"), u.notifyUI.root),
		container.NewTabItem(u.T("tab.rules"), u.rulesUI.root),
		container.NewTabItem(u.T("tab.connections"), u.connUI.root),
	)
	u.tabs.SelectIndex(u.tabIndex)
	u.tabs.OnSelected = func(*container.TabItem) {
		u.tabIndex = u.tabs.SelectedIndex()
		switch u.tabIndex {
		case TabAlerts:
			u.loadAlerts()
		case TabEvents:
			u.loadEvents()
		case TabSettings:
			u.settings.show()
		case TabNotifications:
			u.loadNotifications()
		case TabRules:
			u.loadAlerts()
		}
	}
	u.root.Objects = []fyne.CanvasObject{container.NewBorder(
		container.NewVBox(container.NewPadded(top), u.banner), nil, nil, nil, u.tabs)}
	u.root.Refresh()
	if u.openID != "" {
		u.ShowMachine(u.openID)
	}
	u.updateHeader()
	u.updateBanner()
	u.updateAlertTab()
}

// TabTitle returns the title of tab i as shown.
func (u *UI) TabTitle(i int) string { return u.tabs.Items[i].Text }

// SelectTab shows one of the tabs (TabOverview, ...).
func (u *UI) SelectTab(i int) { u.tabs.SelectIndex(i) }

// ShowMachine opens machine id's detail screen in the overview tab.
func (u *UI) ShowMachine(id string) {
	m := u.byID[id]
	if m == nil {
		return
	}
	u.openID = id
	u.detail = newDetailScreen(u, m)
	stack := u.tabs.Items[TabOverview].Content.(*fyne.Container)
	stack.Objects = []fyne.CanvasObject{u.detail.root}
	stack.Refresh()
	u.tabs.SelectIndex(TabOverview)
	u.loadMachineEvents(m)
	u.loadMachineModels(m)
}

// ShowOverview returns from a detail screen to the grid of tiles.
func (u *UI) ShowOverview() {
	u.openID, u.detail = "", nil
	stack := u.tabs.Items[TabOverview].Content.(*fyne.Container)
	stack.Objects = []fyne.CanvasObject{u.overview.root}
	stack.Refresh()
	u.tabs.SelectIndex(TabOverview)
	u.overview.refresh()
}

// ShownMachine returns the id of the machine whose detail is shown, or "".
func (u *UI) ShownMachine() string { return u.openID }

// call runs an API call off the UI goroutine and then done with its error on
// the UI goroutine.
func (u *UI) call(work func(ctx context.Context, a Appliance) error, done func(error)) {
	a := u.app
	if a == nil {
		done(errNotConnected)
		return
	}
	u.opt.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), u.opt.Timeout)
		defer cancel()
		err := work(ctx, a)
		fyne.Do(func() {
			if a != u.app {
				return // answer from a connection that was replaced meanwhile
			}
			done(err)
		})
	})
}

var errNotConnected = errors.New("not connected")

// Connect switches to appliance a, reached through profile p: it loads the
// caller's role, the machines, their latest state and the events, then
// follows the live stream (unless stream is false: tests feed updates with
// Apply).
func (u *UI) Connect(p conn.Profile, a Appliance, stream bool) {
	u.Disconnect()
	u.profile, u.app, u.connErr, u.loading, u.streaming = p, a, nil, true, stream
	u.inbox = newInbox()
	u.machines, u.byID, u.events, u.identity = nil, map[string]*machine{}, nil, api.Identity{}
	u.al, u.nt = alertState{}, notifyState{}
	u.openID = ""
	u.build()
	var (
		me   api.Identity
		ms   []api.Machine
		snap []api.Live
		evs  []api.Event
		hist = map[string][]api.ScorePoint{}
	)
	u.call(func(ctx context.Context, a Appliance) error {
		var err error
		if me, err = a.Me(ctx); err != nil {
			return err
		}
		if ms, err = a.Machines(ctx); err != nil {
			return err
		}
		if snap, err = a.LiveSnapshot(ctx, ""); err != nil {
			return err
		}
		if evs, err = a.Events(ctx, u.filter); err != nil {
			return err
		}
		from := u.opt.Now().Add(-historySpan)
		for _, m := range ms { // charts start with the stored history; without it they fill from the stream
			if ps, err := a.Scores(ctx, m.ID, api.ScoreFilter{From: from}); err == nil {
				hist[m.ID] = ps
			}
		}
		return nil
	}, func(err error) {
		u.loading = false
		if err != nil {
			u.connErr = err
			u.updateBanner()
			return
		}
		u.identity = me
		u.setMachines(ms)
		for id, ps := range hist {
			if m := u.byID[id]; m != nil {
				m.seed(ps)
			}
		}
		for _, l := range snap {
			if m := u.byID[l.MachineID]; m != nil {
				m.latest(l)
			}
		}
		u.events = evs
		u.inbox.connected(u.opt.Now())
		u.build()
		u.loadAlerts()
		if u.tabIndex == TabNotifications {
			u.loadNotifications()
		}
	})
	if stream {
		ctx, cancel := context.WithCancel(context.Background())
		u.cancel = cancel
		in := u.inbox
		go func() {
			err := a.Stream(ctx, "", func(l api.Live) { in.push(l, u.opt.Now()) })
			if ctx.Err() == nil {
				in.fail(err)
			}
		}()
		go u.pollHealth(ctx, a, in)
		go u.pollAlerts(ctx, a)
	}
}

// Disconnect stops following the current appliance.
func (u *UI) Disconnect() {
	if u.cancel != nil {
		u.cancel()
		u.cancel = nil
	}
	u.app = nil
}

// pollHealth checks the appliance every few seconds so the banner shows a
// lost connection even when no machine sends updates.
func (u *UI) pollHealth(ctx context.Context, a Appliance, in *inbox) {
	t := time.NewTicker(3 * time.Second)
	defer t.Stop()
	for {
		c, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := a.Health(c)
		cancel()
		if ctx.Err() != nil {
			return
		}
		in.health(err, u.opt.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pollAlerts fetches the alerts again every AlertPoll while a is the
// appliance shown.
func (u *UI) pollAlerts(ctx context.Context, a Appliance) {
	t := time.NewTicker(AlertPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fyne.Do(func() {
				if u.app == a && !u.loading {
					u.loadAlerts()
				}
			})
		}
	}
}

// Run refreshes the UI from the live stream every interval until ctx is
// done. Call it on its own goroutine.
func (u *UI) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fyne.Do(u.Refresh)
		}
	}
}

// Refresh applies the queued live updates and redraws what changed. Call
// it on the UI goroutine.
func (u *UI) Refresh() {
	lives, fatal := u.inbox.drain()
	if fatal != nil && u.connErr == nil {
		u.connErr = fatal
	}
	for _, l := range lives {
		u.apply(l)
	}
	u.overview.refresh()
	if u.detail != nil {
		u.detail.refresh()
	}
	u.updateBanner()
}

// Apply adds one live update at once (tests, and the snapshot).
func (u *UI) Apply(l api.Live) {
	u.apply(l)
	u.inbox.connected(u.opt.Now())
}

func (u *UI) apply(l api.Live) {
	m := u.byID[l.MachineID]
	if m == nil {
		return
	}
	m.add(l)
}

func (u *UI) setMachines(ms []api.Machine) {
	old := u.byID
	u.machines, u.byID = nil, map[string]*machine{}
	for _, cfg := range ms {
		m := old[cfg.ID]
		if m == nil {
			m = newMachine(cfg)
		}
		m.cfg = cfg
		u.machines = append(u.machines, m)
		u.byID[cfg.ID] = m
	}
}

// Role returns the caller's role on the connected appliance ("" if none).
func (u *UI) Role() api.Role { return u.identity.Role }

func (u *UI) canOperate() bool { return u.identity.Role.Allows(api.RoleOperator) }
func (u *UI) canAdmin() bool   { return u.identity.Role.Allows(api.RoleAdmin) }

func (u *UI) updateHeader() {
	if u.app == nil {
		u.header.SetText("")
		return
	}
	role := u.identity.Role
	if role == "" {
		u.header.SetText(u.profile.Name)
		return
	}
	u.header.SetText(u.T("header.connected", u.profile.Name, u.T("role."+string(role))))
}

// formatTime shows t in the UI's time zone.
func (u *UI) formatTime(t time.Time) string {
	t = t.In(u.opt.Location)
	now := u.opt.Now().In(u.opt.Location)
	if y1, m1, d1 := t.Date(); true {
		if y2, m2, d2 := now.Date(); y1 == y2 && m1 == m2 && d1 == d2 {
			return t.Format("15:04:05")
		}
	}
	return t.Format("2006-01-02 15:04")
}

// errorText turns an API error into words for the floor: the appliance's
// own message for errors it marks safe, a plain sentence for the rest.
func (u *UI) errorText(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errNotConnected):
		return u.T("err.notconnected")
	case errors.Is(err, api.ErrFingerprintMismatch):
		return u.T("err.fingerprint")
	case api.IsSocketPermission(err):
		return u.T("err.socketperm")
	case api.IsCode(err, api.CodeUnauthorized), api.IsCode(err, api.CodeRateLimited): // 429 comes only after failing tokens
		return u.T("err.unauthorized")
	case api.IsCode(err, api.CodeForbidden):
		return u.T("err.forbidden")
	case api.IsCode(err, api.CodeConflict), api.IsCode(err, api.CodeInvalid), api.IsCode(err, api.CodeNotFound):
		var e *api.Error
		errors.As(err, &e)
		return e.Message
	case api.ErrorCode(err) == "":
		return u.T("err.network", err.Error())
	}
	return u.T("err.internal")
}

// inbox queues live updates and connection news from the stream and health
// goroutines for Refresh.
type inbox struct {
	mu       sync.Mutex
	lives    []api.Live
	fatal    error
	lastLive time.Time // time the last update arrived
	healthOK bool
	healthAt time.Time
	everOK   bool
}

func newInbox() *inbox { return &inbox{healthOK: true} }

func (b *inbox) push(l api.Live, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lives = append(b.lives, l)
	b.lastLive, b.everOK = now, true
	if len(b.lives) > 10*HistoryLen { // the UI stalled: keep the newest
		b.lives = append(b.lives[:0], b.lives[len(b.lives)-HistoryLen:]...)
	}
}

func (b *inbox) connected(now time.Time) {
	b.mu.Lock()
	b.lastLive, b.everOK, b.healthOK = now, true, true
	b.mu.Unlock()
}

func (b *inbox) fail(err error) {
	b.mu.Lock()
	b.fatal = err
	b.mu.Unlock()
}

func (b *inbox) health(err error, now time.Time) {
	b.mu.Lock()
	b.healthOK, b.healthAt = err == nil, now
	if err == nil {
		b.everOK = true
	}
	b.mu.Unlock()
}

func (b *inbox) drain() ([]api.Live, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.lives
	b.lives = nil
	return l, b.fatal
}

// linkState is what the banner says about the connection.
type linkState int

const (
	linkNone linkState = iota
	linkConnecting
	linkOK
	linkReconnecting
	linkRefused
)

// Quiet is how long without a live update or a good health check the
// banner waits before it says the connection is lost.
const Quiet = 5 * time.Second

func (u *UI) link() linkState {
	switch {
	case u.app == nil:
		return linkNone
	case u.connErr != nil && (api.ErrorCode(u.connErr) != "" || errors.Is(u.connErr, api.ErrFingerprintMismatch)):
		return linkRefused
	case u.connErr != nil:
		return linkReconnecting
	case u.loading:
		return linkConnecting
	}
	b := u.inbox
	b.mu.Lock()
	defer b.mu.Unlock()
	now := u.opt.Now()
	if !b.healthOK || (len(u.machines) > 0 && now.Sub(b.lastLive) > Quiet) {
		return linkReconnecting
	}
	return linkOK
}
