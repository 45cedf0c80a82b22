// Package devices is the devices page: every sensor channel with its health,
// since when, reconnects and overruns, and the capture devices the appliance
// sees.
package devices

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"signalcraft/core/api"
	"signalcraft/tui/fleet"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
	"signalcraft/tui/theme"
)

// Client is what the page needs from the appliance (*api.Client has it).
type Client interface {
	Sensors(ctx context.Context, machine string) ([]api.Sensor, error)
	Devices(ctx context.Context) ([]api.Device, error)
}

// Timeout bounds each request the page makes.
const Timeout = 10 * time.Second

// KeyMap is the page's key bindings.
type KeyMap struct{ Refresh key.Binding }

// DefaultKeyMap returns the page's default bindings.
func DefaultKeyMap() KeyMap { return keyMap(i18n.Translator{}) }

func keyMap(tr i18n.Translator) KeyMap {
	return KeyMap{Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", tr.T("events.key.refresh")))}
}

// LoadedMsg carries a reload's result.
type LoadedMsg struct {
	Sensors    []api.Sensor
	Devices    []api.Device
	SensorsErr error
	DevicesErr error
}

// Model is the devices page.
type Model struct {
	KeyMap        KeyMap
	client        Client
	fleet         *fleet.Fleet
	st            theme.Styles
	tr            i18n.Translator
	data          LoadedMsg
	loaded        bool
	width, height int
}

// New returns the devices page.
func New(c Client, f *fleet.Fleet, st theme.Styles) Model {
	return Model{KeyMap: DefaultKeyMap(), client: c, fleet: f, st: st}
}

// SetLang sets the language of the page and of its key help.
func (m *Model) SetLang(tr i18n.Translator) { m.tr, m.KeyMap = tr, keyMap(tr) }

// SetSize sets the area the page may draw in.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// ShortHelp lists the page's keys for the help bar.
func (m Model) ShortHelp() []key.Binding { return []key.Binding{m.KeyMap.Refresh} }

// Load returns the command that reloads sensors and devices.
func (m Model) Load() tea.Cmd {
	c := m.client
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		var msg LoadedMsg
		msg.Sensors, msg.SensorsErr = c.Sensors(ctx, "")
		msg.Devices, msg.DevicesErr = c.Devices(ctx)
		return msg
	}
}

// Update handles keys and loaded data.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case LoadedMsg:
		m.data, m.loaded = msg, true
	case tea.KeyPressMsg:
		if key.Matches(msg, m.KeyMap.Refresh) {
			return m, m.Load()
		}
	}
	return m, nil
}

// View draws the sensors table and the devices table.
func (m Model) View() string {
	w := max(m.width, 40)
	if !m.loaded {
		return m.st.Muted.Render(m.tr.T("devices.loading"))
	}
	tr := m.tr
	now := m.fleet.Now()
	var lines []string
	lines = append(lines, m.st.Title.Render(tr.T("devices.sensors")))
	devW := max(w-(12+12+14+9+6+6+5), 8)
	lines = append(lines, m.st.Header.Render(format.Fit(format.Fit(tr.T("devices.col.sensor"), 12)+format.Fit(tr.T("devices.col.machine"), 12)+
		format.Fit(tr.T("devices.col.state"), 14)+format.Fit(tr.T("devices.col.since"), 9)+format.FitRight(tr.T("devices.col.recon"), 6)+
		format.FitRight(tr.T("devices.col.overr"), 6)+"     "+format.Fit(tr.T("devices.col.device"), devW), w)))
	if m.data.SensorsErr != nil {
		lines = append(lines, m.st.Error.Render(format.Fit(tr.T("devices.sensors.err", m.data.SensorsErr.Error()), w)))
	}
	for _, s := range m.data.Sensors {
		state := tr.Sensor(s.State)
		detail := s.Device
		if s.Detail != "" {
			detail += " — " + s.Detail
		}
		overruns := format.FitRight(fmt.Sprint(s.Overruns), 6)
		if s.Overruns > 0 {
			overruns = m.st.Warning.Render(overruns)
		}
		lines = append(lines, format.Fit(format.Fit(s.ID, 12)+format.Fit(s.MachineID, 12)+
			m.st.SensorState(s.State).Render(format.Fit(state, 14))+format.Fit(tr.Span(now.Sub(s.StateSince)), 9)+
			format.FitRight(fmt.Sprint(s.Reconnects), 6)+overruns+"     "+m.st.Muted.Render(format.Fit(detail, devW)), w))
	}
	if len(m.data.Sensors) == 0 && m.data.SensorsErr == nil {
		lines = append(lines, m.st.Muted.Render(tr.T("detail.noevents")))
	}
	lines = append(lines, "", m.st.Title.Render(tr.T("devices.devices")))
	nameW := max(w-(12+6+10+1)-24, 12)
	lines = append(lines, m.st.Header.Render(format.Fit(format.Fit(tr.T("devices.col.name"), nameW)+" "+format.Fit(tr.T("devices.col.hostapi"), 12)+
		format.FitRight(tr.T("devices.col.inch"), 6)+format.FitRight(tr.T("devices.col.rate"), 10)+"  "+tr.T("devices.col.rates"), w)))
	if m.data.DevicesErr != nil {
		lines = append(lines, m.st.Error.Render(format.Fit(tr.T("devices.devices.err", m.data.DevicesErr.Error()), w)))
	}
	for _, d := range m.data.Devices {
		rates := make([]string, len(d.SupportedRates))
		for i, r := range d.SupportedRates {
			rates[i] = fmt.Sprintf("%gk", float64(r)/1000)
		}
		lines = append(lines, format.Fit(format.Fit(d.Name, nameW)+" "+format.Fit(d.HostAPI, 12)+
			format.FitRight(fmt.Sprint(d.MaxInputChannels), 6)+format.FitRight(fmt.Sprintf("%.0f", d.DefaultSampleRate), 10)+
			"  "+m.st.Muted.Render(strings.Join(rates, " ")), w))
	}
	if len(m.data.Devices) == 0 && m.data.DevicesErr == nil {
		lines = append(lines, m.st.Muted.Render(tr.T("devices.none")))
	}
	if len(lines) > m.height && m.height > 0 {
		lines = lines[:m.height]
	}
	return strings.Join(lines, "\n")
}
