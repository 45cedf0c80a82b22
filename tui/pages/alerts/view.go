package alerts

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/format"
	"signalcraft/tui/i18n"
)

// formLabelW is the width of the silence form's labels.
const formLabelW = 10

// SeverityStyle is the colour of a severity: critical red, warning yellow.
func (m Model) severityStyle(sev string) lipgloss.Style {
	if sev == api.SeverityCritical {
		return m.st.Anomaly
	}
	return m.st.Warning
}

func (m Model) deliveryStyle(state string) lipgloss.Style {
	switch state {
	case "done":
		return m.st.OK
	case "failed":
		return m.st.Warning
	case "dead":
		return m.st.Error
	case "cancelled":
		return m.st.Muted
	}
	return m.st.Info
}

// View draws the section bar and the section shown, or an alert's details.
func (m Model) View() string {
	w := max(m.width, 40)
	if !m.loaded {
		return m.st.Muted.Render(m.tr.T("alerts.loading"))
	}
	if api.IsCode(m.data.AlertsErr, api.CodeNotFound) {
		return m.st.Warning.Render(m.tr.T("alerts.unsupported", api.PathAlerts)) + "\n\n" +
			m.st.Muted.Render(wrap(m.tr.T("alerts.update"), w))
	}
	lines := []string{m.sectionBar(w)}
	var body, footer []string
	switch {
	case m.mode == details:
		body = m.detailsView(w)
	case m.mode == editing:
		body, footer = m.editorView(w)
	case m.section == SectionRules:
		body, footer = m.rulesView(w)
	case m.section == SectionAlerts:
		body, footer = m.alertsView(w)
	case m.section == SectionSilences:
		body, footer = m.silencesView(w)
	case m.section == SectionMaintenance:
		body, footer = m.maintenanceView(w)
	default:
		body, footer = m.receiversView(w)
	}
	if m.flash != "" {
		footer = append(footer, format.Fit(m.flash, w))
	}
	room := max(m.height-len(lines)-len(footer), 1)
	if len(body) > room {
		body = body[:room]
	}
	lines = append(lines, body...)
	for len(lines) < m.height-len(footer) {
		lines = append(lines, "")
	}
	return strings.Join(append(lines, footer...), "\n")
}

func (m Model) sectionBar(w int) string {
	var b strings.Builder
	for i := range sectionNames {
		n := Section(i).name(m.tr)
		label := fmt.Sprintf(" %s %d ", n, m.rowsOf(Section(i)))
		if Section(i) != m.section && w < 80 {
			label = fmt.Sprintf(" %s %d ", ansi.Truncate(n, 5, ""), m.rowsOf(Section(i)))
		}
		if Section(i) == m.section {
			b.WriteString(m.st.Selected.Render(label))
		} else {
			b.WriteString(m.st.Muted.Render(label))
		}
		b.WriteString(" ")
	}
	hint := m.st.Muted.Render(m.tr.T("alerts.nextsection"))
	if m.loading {
		hint = m.st.Muted.Render(m.tr.T("events.loading"))
	}
	left := b.String()
	gap := w - lipgloss.Width(left) - lipgloss.Width(hint)
	if gap < 1 {
		return format.Fit(left, w)
	}
	return left + strings.Repeat(" ", gap) + hint
}

// scroll returns the first row to draw so that the cursor's row is among n rows.
func scroll(cursor, n int) int {
	if cursor >= n {
		return cursor - n + 1
	}
	return 0
}

func marker(m Model, on bool) string {
	if on {
		return m.st.Info.Render("▶ ")
	}
	return "  "
}

func (m Model) alertsView(w int) (body, footer []string) {
	now := m.fleet.Now()
	tr := m.tr
	state, machine := tr.T("events.all"), tr.T("events.all")
	if m.filter.State != "" {
		state = m.alertState(m.filter.State)
	}
	if m.filter.Machine != "" {
		machine = m.filter.Machine
	}
	count := tr.N("alerts.count", len(m.data.Alerts), len(m.data.Alerts))
	filt := tr.T("alerts.filter", m.st.Info.Render(state), m.st.Info.Render(machine))
	body = append(body, format.Fit(filt, w-ansi.StringWidth(count)-1)+" "+m.st.Muted.Render(count))
	if m.data.AlertsErr != nil {
		body = append(body, m.st.Error.Render(format.Fit(tr.T("alerts.loaderr", m.data.AlertsErr.Error()), w)))
	}
	const fixed = 2 + 5 + 9 + 10 + 8 + 7
	free := max(w-fixed, 24)
	ruleW := min(max(free*2/5, 12), 24)
	noteW := free - ruleW
	head := "  " + format.Fit(tr.T("alerts.col.sev"), 5) + format.Fit(tr.T("alerts.col.state"), 9) + format.Fit(tr.T("alerts.col.machine"), 10) +
		format.Fit(tr.T("alerts.col.rule"), ruleW) + format.FitRight(tr.T("alerts.col.value"), 7) + " " + format.FitRight(tr.T("alerts.col.since"), 6) + " " +
		format.Fit(tr.T("alerts.col.note"), noteW-1)
	body = append(body, m.st.Header.Render(format.Fit(head, w)))
	footer = m.alertFooter(w)
	rows := max(m.height-1-len(body)-len(footer)-boolInt(m.flash != ""), 1)
	if len(m.data.Alerts) == 0 && m.data.AlertsErr == nil {
		body = append(body, m.st.Muted.Render("  "+tr.T("alerts.nomatch")))
	}
	cur := m.cursor[SectionAlerts]
	first := scroll(cur, rows)
	for i := first; i < len(m.data.Alerts) && i < first+rows; i++ {
		a := m.data.Alerts[i]
		sevStyle := m.severityStyle(a.Severity)
		sev := tr.T("alerts.sev.warning")
		if a.Severity == api.SeverityCritical {
			sev = tr.T("alerts.sev.critical")
		} else if a.Severity != api.SeverityWarning {
			sev = strings.ToUpper(a.Severity)
		}
		stateStyle := sevStyle
		since := a.ActiveAt
		switch a.State {
		case api.AlertPending:
			stateStyle = m.st.Info
		case api.AlertResolved:
			stateStyle = m.st.OK
			if a.ResolvedAt != nil {
				since = *a.ResolvedAt
			}
		default:
			if a.FiredAt != nil {
				since = *a.FiredAt
			}
		}
		cells := []string{format.Fit(sev, 5), format.Fit(m.alertState(a.State), 9), format.Fit(a.MachineID, 10), format.Fit(a.Rule, ruleW),
			format.FitRight(m.value(a), 7) + " ", format.FitRight(tr.Span(now.Sub(since)), 6) + " "}
		var note string
		var row string
		if mu := WhyIn(m.tr, a, m.data.Silences, m.data.Maintenance, m.data.Alerts, now); mu.Short != "" {
			note = mu.Short
			if a.AcknowledgedAt != nil {
				note = "✓ " + a.AcknowledgedBy + " · " + note
			}
			row = m.st.Muted.Render(strings.Join(cells, "") + format.Fit(note, noteW-1))
		} else {
			switch {
			case a.AcknowledgedAt != nil:
				note = m.st.OK.Render("✓ " + a.AcknowledgedBy)
			case a.State == api.AlertFiring:
				note = m.st.Warning.Render(tr.T("event.unacked"))
			}
			cells[0] = sevStyle.Render(cells[0])
			cells[1] = stateStyle.Render(cells[1])
			if a.State == api.AlertResolved {
				cells[0] = m.st.Muted.Render(format.Fit(sev, 5))
			}
			row = strings.Join(cells, "") + format.Fit(note, noteW-1)
		}
		body = append(body, format.Fit(marker(m, i == cur)+row, w))
	}
	return body, footer
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// alertFooter is the selected alert's summary and why it is muted or who acknowledged it, or
// the comment box, or the silence form.
func (m Model) alertFooter(w int) []string {
	a, ok := m.selectedAlert()
	now := m.fleet.Now()
	switch m.mode {
	case commenting:
		what := m.tr.T("alerts.ackq", a.Rule, a.MachineID)
		if m.anomalyRule(a.Rule) {
			what = m.tr.T("alerts.ackq.event", a.Rule, a.MachineID) // the appliance acknowledges the events it fires for too
		}
		return []string{m.st.Header.Render(format.Fit(what, w)), m.comment.View()}
	case silencing:
		return m.formView(w)
	}
	if !ok {
		return nil
	}
	out := []string{format.Fit(a.Summary, w)}
	switch mu := WhyIn(m.tr, a, m.data.Silences, m.data.Maintenance, m.data.Alerts, now); {
	case mu.Long != "":
		out = append(out, m.st.Muted.Render(format.Fit(mu.Long, w)))
	case a.AcknowledgedAt != nil:
		out = append(out, m.st.Muted.Render(format.Fit(ackTextIn(m.tr, a, now), w)))
	case !m.canOperate():
		out = append(out, m.st.Muted.Render(format.Fit(m.tr.T("alerts.readonly", m.tr.Role(m.fleet.Me.Role)), w)))
	}
	return out
}

func ackText(a api.Alert, now time.Time) string { return ackTextIn(i18n.Translator{}, a, now) }

func ackTextIn(tr i18n.Translator, a api.Alert, now time.Time) string {
	if a.AcknowledgedAt == nil {
		return tr.T("alerts.notacked")
	}
	s := tr.T("alerts.ackedby", a.AcknowledgedBy, tr.Clock(now, *a.AcknowledgedAt))
	if a.AckComment != "" {
		s += fmt.Sprintf(": %q", a.AckComment)
	}
	return s
}

// alertState names an alert's state (firing, pending, resolved).
func (m Model) alertState(s string) string {
	if k := "alerts.state." + s; m.tr.Has(k) {
		return m.tr.T(k)
	}
	return s
}

// formView draws the silence form with its errors under the fields and what it would mute.
func (m Model) formView(w int) []string {
	a := m.formAlert
	tr := m.tr
	out := []string{m.st.Header.Render(format.Fit(tr.T("silence.title", a.Rule, a.MachineID), w))}
	for i := range nFields {
		label := format.Fit(tr.T("silence.f."+strings.ToLower(fieldLabels[i])), formLabelW)
		if i == m.focus {
			label = m.st.Info.Render(label)
		} else {
			label = m.st.Label.Render(label)
		}
		out = append(out, format.Fit(label+m.form[i].View(), w))
		if e := m.formErrs[i]; e != "" {
			out = append(out, m.st.Error.Render(format.Fit(strings.Repeat(" ", formLabelW)+"✗ "+e, w)))
		}
	}
	preview := ""
	if ms, err := ParseMatchers(m.form[fieldMatchers].Value()); err == nil {
		n := 0
		for _, x := range m.fleet.Alerts {
			if x.State != api.AlertResolved && Matches(ms, LabelsOf(x)) {
				n++
			}
		}
		preview = tr.T("silence.preview", tr.N("silences.matches", n, n))
		if d, err := parseDuration(m.form[fieldDuration].Value()); err == nil {
			preview = tr.T("silence.previewuntil", tr.N("silences.matches", n, n), clock(m.fleet.Now(), m.fleet.Now().Add(d)))
		}
		preview += tr.T("silence.create")
	}
	return append(out, m.st.Muted.Render(format.Fit(preview, w)))
}

func (m Model) detailsView(w int) []string {
	a, ok := m.selectedAlert()
	for _, x := range m.data.Alerts { // the alert opened, even if a reload moved the cursor
		if x.Fingerprint == m.deliveriesFP {
			a, ok = x, true
		}
	}
	if !ok {
		return nil
	}
	now := m.fleet.Now()
	tr := m.tr
	sev := m.severityStyle(a.Severity)
	var out []string
	sevName := strings.ToUpper(a.Severity)
	if k := "details.sev." + a.Severity; tr.Has(k) {
		sevName = tr.T(k)
	}
	title := sev.Render(tr.T("details.title", a.Rule, a.MachineID, sevName, m.alertState(a.State)))
	fp := m.st.Muted.Render(a.Fingerprint)
	if gap := w - lipgloss.Width(title) - lipgloss.Width(fp); gap > 0 {
		title += strings.Repeat(" ", gap) + fp
	}
	out = append(out, format.Fit(title, w))
	row := func(label, value string) {
		out = append(out, format.Fit(m.st.Label.Render(format.Fit(label, formLabelW))+value, w))
	}
	row(tr.T("details.summary"), a.Summary)
	v := m.value(a)
	if strings.HasSuffix(v, "×") {
		v = tr.T("details.threshold", v)
	}
	row(tr.T("details.value"), v)
	times := tr.T("details.active", tr.Clock(now, a.ActiveAt))
	if a.FiredAt != nil {
		times += tr.T("details.fired", tr.Clock(now, *a.FiredAt))
	}
	if a.ResolvedAt != nil {
		times += tr.T("details.resolved", tr.Clock(now, *a.ResolvedAt))
	}
	row(tr.T("details.times"), times)
	labels := LabelsOf(a)
	var ls []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		ls = append(ls, k+"="+labels[k])
	}
	row(tr.T("details.labels"), strings.Join(ls, " "))
	muted := tr.T("details.no")
	if mu := WhyIn(m.tr, a, m.data.Silences, m.data.Maintenance, m.data.Alerts, now); mu.Long != "" {
		muted = m.st.Muted.Render(mu.Long)
	}
	row(tr.T("details.muted"), muted)
	row(tr.T("details.ack"), ackTextIn(tr, a, now))
	out = append(out, "", m.st.Title.Render(tr.T("details.deliveries")))
	recvW := 14
	errW := max(w-(2+6+recvW+11+10+4+2), 10)
	out = append(out, m.st.Header.Render(format.Fit("  "+format.Fit(tr.T("details.col.job"), 6)+format.Fit(tr.T("details.col.receiver"), recvW)+
		format.Fit(tr.T("details.col.kind"), 11)+format.Fit(tr.T("details.col.state"), 10)+format.FitRight(tr.T("details.col.att"), 4)+"  "+
		format.Fit(tr.T("details.col.lasterr"), errW), w)))
	switch {
	case m.deliveriesErr != nil:
		out = append(out, m.st.Error.Render(format.Fit("  "+tr.T("details.loaderr", m.deliveriesErr.Error()), w)))
	case m.deliveries == nil:
		out = append(out, m.st.Muted.Render("  "+tr.T("events.loading")))
	case len(m.deliveries) == 0:
		out = append(out, m.st.Muted.Render("  "+tr.T("details.nodeliveries")))
	}
	for _, d := range m.deliveries {
		out = append(out, format.Fit("  "+format.Fit(fmt.Sprintf("#%d", d.JobID), 6)+format.Fit(d.Receiver, recvW)+format.Fit(m.word("details.kind.", d.Kind), 11)+
			m.deliveryStyle(d.State).Render(format.Fit(m.word("queue.state.", d.State), 10))+format.FitRight(fmt.Sprint(d.Attempts), 4)+"  "+
			m.st.Muted.Render(format.Fit(d.LastError, errW)), w))
	}
	// Errors cut in the table, in full below it.
	for _, d := range m.deliveries {
		if len([]rune(d.LastError)) > errW {
			out = append(out, m.st.Muted.Render(format.Fit(fmt.Sprintf("  #%d: %s", d.JobID, d.LastError), w)))
		}
	}
	return out
}

func (m Model) silencesView(w int) (body, footer []string) {
	now := m.fleet.Now()
	tr := m.tr
	if m.data.SilencesErr != nil {
		body = append(body, m.st.Error.Render(format.Fit(tr.T("silences.loaderr", m.data.SilencesErr.Error()), w)))
	}
	const fixed = 2 + 6 + 9 + 15 + 11
	free := max(w-fixed, 24)
	matchW := free * 11 / 20
	commentW := free - matchW
	body = append(body, m.st.Header.Render(format.Fit("  "+format.Fit("ID", 6)+format.Fit(tr.T("silences.col.state"), 9)+
		format.Fit(tr.T("silences.col.matchers"), matchW)+format.Fit(tr.T("silences.col.when"), 15)+format.Fit(tr.T("silences.col.by"), 11)+
		format.Fit(tr.T("silences.col.comment"), commentW), w)))
	s, ok := m.selectedSilence()
	switch {
	case !ok:
	case m.mode == confirming:
		footer = append(footer, m.st.Warning.Render(format.Fit(tr.T("silences.expireq", s.ID, FormatMatchers(s.Matchers)), w)))
	default:
		n := 0
		for _, a := range m.fleet.Alerts {
			if a.State != api.AlertResolved && Matches(s.Matchers, LabelsOf(a)) {
				n++
			}
		}
		footer = append(footer, format.Fit(tr.T("silences.summary", s.ID, FormatMatchers(s.Matchers),
			tr.Clock(now, s.StartsAt), tr.Clock(now, s.EndsAt), tr.N("silences.matches", n, n)), w))
		if !m.canOperate() {
			footer = append(footer, m.st.Muted.Render(format.Fit(tr.T("silences.readonly", tr.Role(api.MinRoleSilence), tr.Role(m.fleet.Me.Role)), w)))
		}
	}
	if len(m.data.Silences) == 0 && m.data.SilencesErr == nil {
		body = append(body, m.st.Muted.Render("  "+tr.T("silences.none")))
	}
	rows := max(m.height-1-len(body)-len(footer)-boolInt(m.flash != ""), 1)
	cur := m.cursor[SectionSilences]
	first := scroll(cur, rows)
	for i := first; i < len(m.data.Silences) && i < first+rows; i++ {
		s := m.data.Silences[i]
		var when string
		switch s.State {
		case "pending":
			when = tr.T("silences.starts", tr.Span(s.StartsAt.Sub(now)))
		case "expired":
			when = tr.T("silences.ended", tr.Span(now.Sub(s.EndsAt)))
		default:
			when = tr.T("silences.ends", tr.Span(s.EndsAt.Sub(now)))
		}
		state := format.Fit(m.word("silences.state.", s.State), 9)
		rest := format.Fit(FormatMatchers(s.Matchers), matchW-1) + " " + format.Fit(when, 15) + format.Fit(s.CreatedBy, 11) + format.Fit(s.Comment, commentW)
		var row string
		switch s.State {
		case "expired":
			row = m.st.Muted.Render(format.Fit(s.ID, 6) + state + rest)
		case "active":
			row = format.Fit(s.ID, 6) + m.st.Info.Render(state) + rest
		default:
			row = format.Fit(s.ID, 6) + state + rest
		}
		body = append(body, format.Fit(marker(m, i == cur)+row, w))
	}
	return body, footer
}

func (m Model) maintenanceView(w int) (body, footer []string) {
	if m.data.MaintenanceErr != nil {
		body = append(body, m.st.Error.Render(format.Fit(m.tr.T("maint.loaderr", m.data.MaintenanceErr.Error()), w)))
	}
	tr := m.tr
	const fixed = 2 + 17 + 12 + 12 + 14 + 7
	matchW := max(w-fixed, 12)
	body = append(body, m.st.Header.Render(format.Fit("  "+format.Fit(tr.T("maint.col.name"), 17)+format.Fit(tr.T("maint.col.days"), 12)+
		format.Fit(tr.T("maint.col.time"), 12)+format.Fit(tr.T("maint.col.zone"), 14)+format.Fit(tr.T("maint.col.now"), 7)+
		format.Fit(tr.T("silences.col.matchers"), matchW), w)))
	if len(m.data.Maintenance) == 0 && m.data.MaintenanceErr == nil {
		body = append(body, m.st.Muted.Render("  "+tr.T("maint.none")))
	}
	cur := m.cursor[SectionMaintenance]
	for i, mw := range m.data.Maintenance {
		days := strings.Join(mw.Days, ",")
		if days == "" {
			days = tr.T("maint.everyday")
		}
		now := m.st.Muted.Render(format.Fit(tr.T("maint.closed"), 7))
		if mw.Open {
			now = m.st.Warning.Render(format.Fit(tr.T("maint.open"), 7))
		}
		body = append(body, format.Fit(marker(m, i == cur)+format.Fit(mw.Name, 16)+" "+format.Fit(days, 11)+" "+format.Fit(mw.Start+"–"+mw.End, 12)+
			format.Fit(mw.TimeZone, 13)+" "+now+format.Fit(FormatMatchers(mw.Matchers), matchW), w))
	}
	if cur < len(m.data.Maintenance) {
		mw := m.data.Maintenance[cur]
		if m.mode == deleting {
			footer = append(footer, m.deleteQuestion(KindWindow, mw.Name, w))
		} else {
			footer = append(footer, format.Fit(mw.Name+": "+FormatMatchers(mw.Matchers), w))
		}
	}
	note := tr.T("maint.note")
	if !m.admin() {
		note += tr.T("maint.readonly", tr.Role(m.fleet.Me.Role))
	}
	footer = append(footer, m.st.Muted.Render(format.Fit(note, w)))
	return body, footer
}

func (m Model) receiversView(w int) (body, footer []string) {
	if m.data.ReceiversErr != nil {
		body = append(body, m.st.Error.Render(format.Fit(m.tr.T("recv.loaderr", m.data.ReceiversErr.Error()), w)))
	}
	tr := m.tr
	const fixed = 2 + 14 + 16 + 5 + 9
	setW := max(w-fixed, 12)
	body = append(body, m.st.Header.Render(format.Fit("  "+format.Fit(tr.T("maint.col.name"), 14)+format.Fit(tr.T("recv.col.type"), 16)+
		format.Fit(tr.T("recv.col.lang"), 5)+format.Fit(tr.T("recv.col.resolved"), 9)+format.Fit(tr.T("recv.col.settings"), setW), w)))
	if len(m.data.Receivers) == 0 && m.data.ReceiversErr == nil {
		body = append(body, m.st.Muted.Render("  "+tr.T("recv.none")))
	}
	cur := m.cursor[SectionReceivers]
	for i, r := range m.data.Receivers {
		res := m.st.Muted.Render(format.Fit(tr.T("details.no"), 9))
		if r.SendResolved {
			res = m.st.OK.Render(format.Fit(tr.T("key.yes"), 9))
		}
		body = append(body, format.Fit(marker(m, i == cur)+format.Fit(r.Name, 14)+format.Fit(r.Type, 16)+format.Fit(r.Lang, 5)+res+
			m.st.Muted.Render(format.Fit(settingsText(r.Settings), setW)), w))
	}
	if cur < len(m.data.Receivers) {
		r := m.data.Receivers[cur]
		if m.mode == deleting {
			footer = append(footer, m.deleteQuestion(KindReceiver, r.Name, w))
		} else {
			footer = append(footer, format.Fit(r.Name+": "+settingsText(r.Settings), w))
		}
	}
	if d := m.lastTest; d != nil {
		line := tr.T("recv.lasttest", d.Receiver)
		if d.JobID != 0 {
			line = tr.T("recv.lasttestjob", d.JobID, d.Receiver)
		}
		line += fmt.Sprintf(" · %s · %s · %s", m.word("details.kind.", d.Kind), m.word("queue.state.", d.State), tr.N("queue.attempts", d.Attempts, d.Attempts))
		if d.LastError != "" {
			line += " · " + d.LastError
		}
		footer = append(footer, m.deliveryStyle(d.State).Render(format.Fit(line, w)))
	}
	if !m.admin() {
		footer = append(footer, m.st.Muted.Render(format.Fit(tr.T("recv.readonly", tr.Role(m.fleet.Me.Role)), w)))
	}
	return body, footer
}

func wrap(s string, w int) string { return lipgloss.NewStyle().Width(w).Render(s) }

// deleteQuestion asks to confirm deleting an item.
func (m Model) deleteQuestion(k Kind, name string, w int) string {
	return m.st.Warning.Render(format.Fit(m.tr.T("edit.deleteq."+k.Prefix(), name), w))
}

// ruleCondition is a rule's condition: "anomaly_score > 1.4 (exit 1.2)" or "sensor lost, stuck".
func ruleCondition(r api.AlertRule) string {
	if len(r.SensorStates) > 0 {
		return "sensor " + strings.Join(r.SensorStates, ", ")
	}
	s := fmt.Sprintf("%s %s %s", r.Metric, r.Op, num(r.Enter))
	if r.Exit != 0 {
		s += " (exit " + num(r.Exit) + ")"
	}
	return s
}

func (m Model) rulesView(w int) (body, footer []string) {
	if m.data.RulesErr != nil {
		body = append(body, m.st.Error.Render(format.Fit(m.tr.T("rules.loaderr", m.data.RulesErr.Error()), w)))
	}
	tr := m.tr
	const fixed = 2 + 18 + 7 + 8 + 9
	condW := max(w-fixed, 16)
	body = append(body, m.st.Header.Render(format.Fit("  "+format.Fit(tr.T("maint.col.name"), 18)+format.Fit(tr.T("rules.col.condition"), condW)+
		format.Fit(tr.T("rules.col.for"), 7)+format.Fit(tr.T("rules.col.keep"), 8)+format.Fit(tr.T("rules.col.severity"), 9), w)))
	if len(m.data.Rules) == 0 && m.data.RulesErr == nil {
		body = append(body, m.st.Muted.Render("  "+tr.T("rules.none")))
	}
	cur := m.cursor[SectionRules]
	if cur < len(m.data.Rules) {
		r := m.data.Rules[cur]
		if m.mode == deleting {
			footer = append(footer, m.deleteQuestion(KindRule, r.Name, w))
		} else {
			head := r.Name
			if len(r.Labels) > 0 {
				head += tr.T("rules.labels", formatPairs(r.Labels))
			}
			footer = append(footer, format.Fit(head, w))
			for _, lang := range []string{"en", "ko"} {
				if s := r.Summary[lang]; s != "" {
					footer = append(footer, m.st.Muted.Render(format.Fit(lang+"  "+s, w)))
				}
			}
		}
	}
	if !m.admin() {
		footer = append(footer, m.st.Muted.Render(format.Fit(tr.T("rules.readonly", tr.Role(m.fleet.Me.Role)), w)))
	}
	rows := max(m.height-1-len(body)-len(footer)-boolInt(m.flash != ""), 1)
	first := scroll(cur, rows)
	for i := first; i < len(m.data.Rules) && i < first+rows; i++ {
		r := m.data.Rules[i]
		keep := r.KeepFiringFor
		if keep == "" {
			keep = "—"
		}
		sev := m.severityStyle(r.Severity).Render(format.Fit(m.word("fleet.sev.", r.Severity), 9))
		body = append(body, format.Fit(marker(m, i == cur)+format.Fit(r.Name, 17)+" "+format.Fit(ruleCondition(r), condW-1)+" "+
			format.Fit(r.For, 7)+format.Fit(keep, 8)+sev, w))
	}
	return body, footer
}

// editorView draws the edit form: a title, one line per field with its hint or the
// appliance's error beside it (below it when there is no room), scrolled to keep the
// focused field in view.
func (m Model) editorView(w int) (body, footer []string) {
	e := m.ed
	tr := m.tr
	title := tr.T("editor.edit."+e.kind.Prefix(), e.name, e.index+1, m.rowsOf(sectionOf(e.kind)))
	if e.isNew {
		title = tr.T("editor.new."+e.kind.Prefix(), e.index+1, e.index+1)
	}
	body = append(body, m.st.Title.Render(format.Fit(title, w)))
	var lines []string
	focusAt := 0
	for i, f := range e.fields {
		fk := "editor." + e.kind.Prefix() + "." + f.key
		label, hint := f.label, f.hint
		if tr.Has(fk) { // the fixed fields; a receiver's settings are named by their keys
			label = tr.T(fk)
		}
		if hint != "" && tr.Has(fk+".hint") {
			hint = tr.T(fk + ".hint")
		} else if k, ok := settingHintKeys[hint]; ok {
			hint = tr.T(k)
		}
		label = format.Fit(label, editLabelW)
		if i == e.focus && !e.saving {
			label = m.st.Info.Render(label)
			focusAt = len(lines)
		} else {
			label = m.st.Label.Render(label)
		}
		line := label + " " + format.Fit(f.in.View(), e.inW)
		note := m.st.Muted.Render(hint)
		if msg := e.errs[f.key]; msg != "" {
			note = m.st.Error.Render("✗ " + msg)
		}
		room := w - editLabelW - 1 - e.inW - 1
		switch {
		case hint == "" && e.errs[f.key] == "":
			lines = append(lines, format.Fit(line, w))
		case lipgloss.Width(note) <= room || e.errs[f.key] == "":
			lines = append(lines, format.Fit(line+" "+note, w))
		default: // an error without room beside the field goes below it, wrapped
			lines = append(lines, format.Fit(line, w))
			for _, l := range strings.Split(wrap("✗ "+e.errs[f.key], w-editLabelW-1), "\n") {
				lines = append(lines, format.Fit(strings.Repeat(" ", editLabelW+1)+m.st.Error.Render(strings.TrimRight(l, " ")), w))
			}
		}
	}
	help := tr.T("editor.help." + e.kind.Prefix())
	footer = append(footer, m.st.Muted.Render(format.Fit(help, w)))
	room := max(m.height-1-len(body)-len(footer)-boolInt(m.flash != ""), 1)
	first := 0
	if len(lines) > room {
		first = min(max(focusAt-room/2, 0), len(lines)-room)
	}
	end := min(first+room, len(lines))
	return append(body, lines[first:end]...), footer
}

// anomalyRule reports whether a rule reads the anomaly score: the appliance acknowledges its
// alerts together with the machine's anomaly events.
func (m Model) anomalyRule(name string) bool {
	for _, r := range m.data.Rules {
		if r.Name == name {
			return r.Metric == "anomaly_score" || r.Metric == "score"
		}
	}
	return false
}

// value renders an alert's value in the unit of its rule's metric: anomaly_score in
// multiples of the threshold ("1.43×"), as scores are shown on every page.
func (m Model) value(a api.Alert) string {
	for _, r := range m.data.Rules {
		if r.Name == a.Rule && r.Metric == "anomaly_score" {
			return format.Times(a.Value)
		}
	}
	return fmt.Sprintf("%.2f", a.Value)
}

// word is prefix+w's message in the page's language, or w when the catalog has none.
func (m Model) word(prefix, w string) string {
	if m.tr.Has(prefix + w) {
		return m.tr.T(prefix + w)
	}
	return w
}

// settingHintKeys are the catalog keys of the hints the receiver form gives its settings.
var settingHintKeys = map[string]string{
	"**** keeps the stored secret": "editor.hint.masked",
	"comma-separated":              "editor.hint.list",
	"secret":                       "editor.hint.secret",
}
