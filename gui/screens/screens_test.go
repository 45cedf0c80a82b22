package screens

import (
	"context"
	"flag"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"signalcraft/core/api"
	"signalcraft/gui/conn"
	"signalcraft/gui/i18n"
	"signalcraft/gui/status"
	"signalcraft/gui/theme"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

var t0 = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)

// lastTick is the tick "now" is at in these tests: the pump has been
// anomalous for a while.
const lastTick = 400

type rig struct {
	ui  *UI
	win fyne.Window
	*plant
	now time.Time
}

// newRig starts a plant of its own (plant_test.go) for a test that changes it, and a UI
// connected to it through the real api.Client with a token of the role named floor-tablet;
// see rigOn.
func newRig(t *testing.T, role api.Role, lang i18n.Lang) *rig {
	t.Helper()
	p := startPlant(t)
	tok, err := p.Admin(t).CreateToken(context.Background(), api.CreateTokenRequest{Name: "floor-tablet", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return rigOn(t, p, tok.Secret, lang)
}

// sharedRig is newRig on the shared plant, for a test that only looks (its token is
// apptest's of the role).
func sharedRig(t *testing.T, role api.Role, lang i18n.Lang) *rig {
	t.Helper()
	return rigOn(t, shared, shared.Token(t, role), lang)
}

// rigOn connects a UI to the plant with the token, with synchronous API calls, a fixed clock
// and lastTick-HistoryLen … lastTick of canned live updates.
func rigOn(t *testing.T, pl *plant, token string, lang i18n.Lang) *rig {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.New(nil, nil))
	r := &rig{now: plantNow, plant: pl}
	p := conn.Profile{Name: "Plant A", URL: r.URL(), Token: token, Fingerprint: r.Fingerprint}
	// No idle connections left behind: the appliance takes at most 32 from one address, and
	// the shared plant serves every read-only test's client.
	c, err := p.Client(api.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
	if err != nil {
		t.Fatal(err)
	}
	r.win = test.NewTempWindow(t, nil)
	r.win.Resize(fyne.NewSize(1100, 720))
	r.ui = New(r.win, Options{Lang: lang, Now: func() time.Time { return r.now }, Location: time.UTC,
		Go: func(f func()) { f() }, Config: conn.Config{Profiles: []conn.Profile{p}, Active: p.Name}})
	r.win.SetContent(r.ui.Content())
	r.ui.Connect(p, c, false)
	for k := uint64(lastTick - HistoryLen + 1); k <= lastTick; k++ {
		for i := range 5 {
			r.ui.Apply(liveAt(i, k))
		}
	}
	r.ui.Refresh()
	return r
}

// machine reads a machine's configuration back from the appliance.
func (r *rig) machine(t *testing.T, id string) api.Machine {
	t.Helper()
	m, err := r.Admin(t).Machine(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// walk calls fn for every visible object under o, widgets' parts included.
func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	fn(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, fn)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walk(c, fn)
		}
	}
}

// everything walks the window content and every overlay (dialogs).
func everything(w fyne.Window, fn func(fyne.CanvasObject)) {
	walk(w.Canvas().Content(), fn)
	for _, o := range w.Canvas().Overlays().List() {
		walk(o, fn)
	}
}

func buttons(w fyne.Window, text string) []*widget.Button {
	var out []*widget.Button
	everything(w, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			out = append(out, b)
		}
	})
	return out
}

func texts(w fyne.Window) string {
	var sb strings.Builder
	everything(w, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			sb.WriteString(x.Text + "\n")
		case *widget.Button:
			sb.WriteString(x.Text + "\n")
		case *canvas.Text:
			sb.WriteString(x.Text + "\n")
		}
	})
	return sb.String()
}

func TestTapTileOpensDetail(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	tile := r.ui.Tile(pump)
	if tile == nil {
		t.Fatal("no tile for the pump")
	}
	if tile.Kind() != status.Anomaly || tile.Word() != "Sounds wrong!" {
		t.Fatalf("pump tile shows %v %q", tile.Kind(), tile.Word())
	}
	test.Tap(tile)
	if got := r.ui.ShownMachine(); got != pump {
		t.Fatalf("after tapping the pump tile, detail shows %q", got)
	}
	if !strings.Contains(texts(r.win), "Ongoing for") {
		t.Error("detail does not list the open event")
	}
	test.Tap(buttons(r.win, "All machines")[0])
	if r.ui.ShownMachine() != "" {
		t.Error("back button did not return to the overview")
	}
}

func TestTileWords(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	want := map[string]string{
		fan: "Normal", pump: "Sounds wrong!", comp: "Learning 42%",
		conveyor: "Check microphone", valve: "No signal",
	}
	for id, w := range want {
		if got := r.ui.Tile(id).Word(); got != w {
			t.Errorf("%s tile = %q, want %q", id, got, w)
		}
	}
}

func TestAcknowledgeSendsRequest(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.English)
	r.ui.ShowMachine(pump)
	ack := buttons(r.win, "Acknowledge")
	if len(ack) == 0 || ack[0].Disabled() {
		t.Fatalf("no enabled Acknowledge button (%d found)", len(ack))
	}
	test.Tap(ack[0])
	var comment *widget.Entry
	for _, o := range r.win.Canvas().Overlays().List() {
		walk(o, func(o fyne.CanvasObject) {
			if e, ok := o.(*widget.Entry); ok && e.MultiLine {
				comment = e
			}
		})
	}
	if comment == nil {
		t.Fatal("the acknowledge dialog has no comment box")
	}
	test.Type(comment, "bearing noise, maintenance called")
	confirm := buttons(r.win, "Acknowledge")
	test.Tap(confirm[len(confirm)-1]) // the dialog's, drawn last

	e, err := r.Admin(t).Event(context.Background(), r.openEvent)
	if err != nil || e.AcknowledgedBy != "floor-tablet" || e.AckComment != "bearing noise, maintenance called" || e.AcknowledgedAt == nil {
		t.Fatalf("the appliance stores the event as %+v (%v)", e, err)
	}
	if r.win.Canvas().Overlays().Top() != nil {
		t.Error("dialog still open after a successful acknowledge")
	}
	if !strings.Contains(texts(r.win), "Acknowledged by floor-tablet") {
		t.Error("the event card does not show the acknowledgement")
	}
}

func TestLabelSendsRequest(t *testing.T) {
	r := newRig(t, api.RoleOperator, i18n.English)
	r.ui.ShowMachine(pump)
	test.Tap(buttons(r.win, "Label cause…")[0])
	var radio *widget.RadioGroup
	walk(r.win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if g, ok := o.(*widget.RadioGroup); ok {
			radio = g
		}
	})
	if radio == nil {
		t.Fatal("label dialog has no choices")
	}
	radio.SetSelected("Cavitation")
	test.Tap(buttons(r.win, "Save label")[0])
	if e, err := r.Admin(t).Event(context.Background(), r.openEvent); err != nil || e.Label != "cavitation" {
		t.Fatalf("the appliance stores the event as %+v (%v)", e, err)
	}
}

func TestViewerCannotAcknowledge(t *testing.T) {
	r := sharedRig(t, api.RoleViewer, i18n.English)
	r.ui.ShowMachine(pump)
	for _, b := range append(buttons(r.win, "Acknowledge"), buttons(r.win, "Label cause…")...) {
		if !b.Disabled() {
			t.Errorf("%q enabled for a viewer", b.Text)
		}
	}
	if !strings.Contains(texts(r.win), "A viewer cannot acknowledge or label events") {
		t.Error("no explanation why the buttons are disabled")
	}
	r.ui.SelectTab(TabSettings)
	if !r.ui.SettingsSave().Disabled() {
		t.Error("settings can be saved by a viewer")
	}
}

func TestInvalidQuantileShowsAPIFieldError(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.EditMachine(fan)
	e := r.ui.SettingsEntry(FieldQuantile)
	if e.Text != "0.99" {
		t.Fatalf("quantile field = %q, want the fan's 0.99", e.Text)
	}
	e.SetText("")
	test.Type(e, "1.5")
	test.Tap(r.ui.SettingsSave())
	got := r.ui.FieldError(FieldQuantile)
	if want := "must be at least 0.5 and below 1"; got != want {
		t.Fatalf("quantile error = %q, want the API's %q", got, want)
	}
	if r.ui.FieldError(FieldName) != "" {
		t.Errorf("name has an error: %q", r.ui.FieldError(FieldName))
	}
	// Typing again clears the error; a valid value is saved.
	e.SetText("")
	test.Type(e, "0.995")
	if r.ui.FieldError(FieldQuantile) != "" {
		t.Error("error stays while typing")
	}
	test.Tap(r.ui.SettingsSave())
	if m := r.machine(t, fan); m.Detection.Quantile != 0.995 {
		t.Fatalf("the appliance stores the fan's quantile as %v", m.Detection.Quantile)
	}
}

func TestClientSideNumberErrors(t *testing.T) {
	r := newRig(t, api.RoleAdmin, i18n.English)
	r.ui.EditMachine(fan)
	r.ui.SettingsEntry(FieldName).SetText("Fan one")
	r.ui.SettingsEntry(FieldChannel).SetText("two")
	test.Tap(r.ui.SettingsSave())
	if r.ui.FieldError(FieldChannel) != "Enter a whole number" {
		t.Fatalf("channel error = %q", r.ui.FieldError(FieldChannel))
	}
	if m := r.machine(t, fan); m.Name != "Cooling fan 1" {
		t.Errorf("a form with a non-number was saved: the fan is %q", m.Name)
	}
}

func TestLanguageSwitchChangesLabels(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	r.ui.ShowMachine(pump)
	if r.ui.TabTitle(TabOverview) != "Machines" {
		t.Fatalf("tab = %q", r.ui.TabTitle(TabOverview))
	}
	var sel *widget.Select
	walk(r.win.Canvas().Content(), func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.Select); ok && s.Selected == "English" {
			sel = s
		}
	})
	if sel == nil {
		t.Fatal("no language selector")
	}
	sel.SetSelected("한국어")
	if r.ui.Lang() != i18n.Korean {
		t.Fatalf("language %q after choosing Korean", r.ui.Lang())
	}
	for i, want := range []string{"설비", "경보 (1)", "이벤트", "설정", "알림", "경보 규칙", "연결"} {
		if got := r.ui.TabTitle(i); got != want {
			t.Errorf("tab %d = %q, want %q", i, got, want)
		}
	}
	if r.ui.ShownMachine() != pump {
		t.Error("switching language left the machine's detail")
	}
	if got := r.ui.Tile(pump).Word(); got != "소리 이상!" {
		t.Errorf("pump tile = %q", got)
	}
	if !strings.Contains(texts(r.win), "전체 설비") {
		t.Error("back button not translated")
	}
	r.ui.SetLang(i18n.English)
	if r.ui.TabTitle(TabEvents) != "Events" {
		t.Errorf("back to English: %q", r.ui.TabTitle(TabEvents))
	}
}

func TestEventsFilter(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	r.ui.SelectTab(TabEvents)
	if n := len(r.ui.events); n != 4 {
		t.Fatalf("%d events listed, want 4", n)
	}
	var open *widget.Check
	walk(r.win.Canvas().Content(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok && c.Text == "Only ongoing" {
			open = c
		}
	})
	test.Tap(open)
	if len(r.ui.events) != 1 || r.ui.events[0].ID != r.openEvent {
		t.Fatalf("only ongoing: %+v", r.ui.events)
	}
}

func TestBanner(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	u := New(w, Options{Go: func(f func()) { f() }})
	w.SetContent(u.Content())
	if !strings.Contains(u.BannerText(), "Not connected") {
		t.Errorf("banner without connection = %q", u.BannerText())
	}
	r := sharedRig(t, api.RoleOperator, i18n.English)
	if r.ui.BannerText() != "" {
		t.Errorf("banner while connected = %q", r.ui.BannerText())
	}
	r.now = r.now.Add(Quiet + time.Second) // no update since
	r.ui.Refresh()
	if !strings.Contains(r.ui.BannerText(), "Connection to Plant A lost") {
		t.Errorf("banner after silence = %q", r.ui.BannerText())
	}
	r.ui.Apply(liveAt(0, lastTick+1))
	r.ui.Refresh()
	if r.ui.BannerText() != "" {
		t.Errorf("banner after an update = %q", r.ui.BannerText())
	}
	r.ui.inbox.fail(&api.Error{Code: api.CodeUnauthorized, Message: "revoked"})
	r.ui.Refresh()
	if !strings.Contains(r.ui.BannerText(), "refused the connection: the access token is wrong") {
		t.Errorf("banner after 401 = %q", r.ui.BannerText())
	}
}

func TestWrongTokenRefused(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	p := r.ui.profile
	p.Token = "sc_wrong"
	c, _ := p.Client()
	r.ui.Connect(p, c, false)
	if !strings.Contains(r.ui.BannerText(), "refused") {
		t.Errorf("banner = %q", r.ui.BannerText())
	}
}

func TestTrustOnFirstUse(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(900, 600))
	const fp = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	var dialed conn.Profile
	store := &conn.Store{Path: filepath.Join(t.TempDir(), "c.json")}
	u := New(w, Options{Go: func(f func()) { f() }, Store: store,
		Config:           conn.Config{Profiles: []conn.Profile{{Name: "Line B", URL: "https://192.0.2.7:8443", Token: "sc_x"}}},
		FetchFingerprint: func(ctx context.Context, addr string) (string, error) { return fp, nil },
		Dial: func(p conn.Profile) (Appliance, error) {
			dialed = p
			return api.NewClient("http://127.0.0.1:1") // refuses at once

		}})
	w.SetContent(u.Content())
	u.ConnectProfile("Line B")
	if dialed.Name != "" {
		t.Fatal("connected before the certificate was trusted")
	}
	if !strings.Contains(texts(w), "00:11:22:33") {
		t.Fatal("trust dialog does not show the fingerprint")
	}
	test.Tap(buttons(w, "They match — trust")[0])
	if dialed.Fingerprint != fp {
		t.Fatalf("dialed %v with fingerprint %q", dialed, dialed.Fingerprint)
	}
	saved, err := store.Load()
	if err != nil || saved.Profiles[0].Fingerprint != fp || saved.Active != "Line B" {
		t.Fatalf("saved %+v, %v", saved, err)
	}
	u.Disconnect()
}

// golden renders the window and compares it with testdata/name, or
// rewrites it with -update.
func golden(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	if *update {
		img := w.Canvas().Capture()
		f, err := os.Create(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		return
	}
	test.AssertRendersToImage(t, name, w.Canvas())
}

func TestGoldenOverview(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	golden(t, r.win, "overview.png")
}

func TestGoldenDetail(t *testing.T) {
	r := sharedRig(t, api.RoleOperator, i18n.English)
	r.ui.ShowMachine(pump)
	golden(t, r.win, "detail.png")
}

func TestDetailExplainsDCOffset(t *testing.T) {
	for lang, want := range map[i18n.Lang]string{i18n.English: "DC offset — the signal sits far from zero", i18n.Korean: "직류 오프셋"} {
		r := sharedRig(t, api.RoleOperator, lang)
		r.ui.ShowMachine(fan)
		l := liveAt(0, lastTick+1)
		l.Sensor = api.SensorOffset
		r.now = l.Time
		r.ui.Apply(l)
		r.ui.Refresh()
		if s := texts(r.win); !strings.Contains(s, want) {
			t.Errorf("%s detail lacks %q:\n%s", lang, want, s)
		}
		if got := r.ui.Tile(fan).Word(); lang == i18n.English && got != "Check microphone" {
			t.Errorf("fan tile %q, want Check microphone", got)
		}
	}
}

// Scores carry one unit on every page (issue 9): multiples of the machine's alarm
// threshold, as the alerts' anomaly_score values are. The fake's thresholds are not 1, so a
// raw score would show.
func TestScoresInMultiplesOfThreshold(t *testing.T) {
	for _, tt := range []struct {
		lang             i18n.Lang
		detail, ev, alrt string
	}{
		{i18n.English, "Score %.2f× the alarm threshold · alarm above 1× (dashed line)", "Peak 2.05× the alarm threshold", "(2.05× threshold)"},
		{i18n.Korean, "점수: 경보 임계값의 %.2f배 · 1배 초과 시 경보 (점선)", "최고 점수: 경보 임계값의 2.05배", "(임계값의 2.05배)"},
	} {
		r := sharedRig(t, api.RoleOperator, tt.lang)
		r.ui.ShowMachine(pump)
		l := liveAt(1, lastTick)
		if l.Threshold == 1 {
			t.Fatal("the fake's threshold is 1: raw scores and multiples look alike")
		}
		all := texts(r.win)
		for _, want := range []string{fmt.Sprintf(tt.detail, l.Smoothed/l.Threshold), tt.ev} {
			if !strings.Contains(all, want) {
				t.Errorf("%s detail lacks %q:\n%s", tt.lang, want, all)
			}
		}
		if raw := fmt.Sprintf("%.2f", l.Threshold); strings.Contains(all, raw) {
			t.Errorf("%s detail shows the raw threshold %s", tt.lang, raw)
		}
		if !strings.Contains(r.ui.CriticalBanner(), tt.alrt) {
			t.Errorf("%s banner %q lacks the alert's value in the same unit %q", tt.lang, r.ui.CriticalBanner(), tt.alrt)
		}
	}
}

// The detail's score chart has values on its y axis, in the unit of the scores (issue 9),
// with the threshold (1×) among them.
func TestDetailChartHasYAxisValues(t *testing.T) {
	for lang, want := range map[i18n.Lang][]string{i18n.English: {"0", "1×", "2×"}, i18n.Korean: {"0", "1배", "2배"}} {
		r := sharedRig(t, api.RoleOperator, lang)
		r.ui.ShowMachine(pump)
		got := r.ui.detail.AxisLabels()
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s y axis %q lacks %q", lang, got, w)
			}
		}
	}
	// Ticks: round steps from 0 to the top, the threshold always labelled.
	tests := []struct {
		hi   float64
		want []float64
	}{
		{1.6, []float64{0, 0.5, 1, 1.5}},
		{3.5, []float64{0, 1, 2, 3}},
		{9, []float64{0, 1, 2, 4, 6, 8}},
		{0.3, []float64{0, 0.1, 0.2, 0.3}},
	}
	for _, tt := range tests {
		if got := axisTicks(tt.hi, 1); !slices.Equal(got, tt.want) {
			t.Errorf("axisTicks(%v) = %v, want %v", tt.hi, got, tt.want)
		}
	}
}
