package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// DefaultFontPath is the TrueType font with Hangul that reports are set in: Debian's
// fonts-nanum, which the signalcraft package depends on. The bold face is expected beside
// it as NanumGothicBold.ttf (the same package).
const DefaultFontPath = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

// ErrFontMissing is returned by NewPDFRenderer when the font file is not there.
var ErrFontMissing = errors.New("report font missing (install the Debian package fonts-nanum)")

// PDFRenderer writes reports as PDF. It holds the font files, read once; it is safe for
// concurrent use.
type PDFRenderer struct {
	regular, bold []byte
}

// NewPDFRenderer reads the regular font at path ("" is DefaultFontPath) and its bold face
// (the same name with "Bold" before ".ttf"; the regular face when there is none).
func NewPDFRenderer(path string) (*PDFRenderer, error) {
	if path == "" {
		path = DefaultFontPath
	}
	reg, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("report: font %s: %w", path, ErrFontMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("report: font %s: %w", path, err)
	}
	bold := reg
	if ext := filepath.Ext(path); ext != "" {
		if b, err := os.ReadFile(strings.TrimSuffix(path, ext) + "Bold" + ext); err == nil {
			bold = b
		}
	}
	return &PDFRenderer{regular: reg, bold: bold}, nil
}

// Layout of an A4 portrait page, in millimetres.
const (
	pageMargin   = 15.0
	contentWidth = 210 - 2*pageMargin
	lineH        = 5.0
	plotH        = 55.0
	maxEventRows = 40 // per machine in the PDF; the CSV has them all
)

const fontFamily = "report"

// Render writes d as a PDF in lang (en or ko) to w.
func (r *PDFRenderer) Render(w io.Writer, d *Data, lang string) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	wd, err := wordsFor(lang)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(pageMargin, pageMargin, pageMargin)
	pdf.SetAutoPageBreak(true, pageMargin+5)
	pdf.AddUTF8FontFromBytes(fontFamily, "", r.regular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", r.bold)
	// A report is a function of its data: fixed dates and sorted catalogue make the same
	// data give the same bytes.
	pdf.SetCreationDate(d.Generated)
	pdf.SetModificationDate(d.Generated)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(wd.title+" — "+d.Appliance, true)
	pdf.SetCreator("SignalCraft", true)
	pdf.SetProducer("SignalCraft", true)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-pageMargin)
		pdf.SetFont(fontFamily, "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(contentWidth/2, 4, "SignalCraft · "+d.Appliance, "", 0, "L", false, 0, "")
		pdf.CellFormat(contentWidth/2, 4, fmt.Sprintf("%s %d/{nb}", wd.page, pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	p := &pdfWriter{pdf: pdf, d: d, w: wd, lang: lang}
	pdf.AddPage()
	p.head()
	p.summary()
	if d.Correlations != nil {
		p.correlations()
	}
	for i := range d.Machines {
		if err := p.machine(&d.Machines[i], i); err != nil {
			return fmt.Errorf("report: machine %q: %w", d.Machines[i].ID, err)
		}
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

type pdfWriter struct {
	pdf  *fpdf.Fpdf
	d    *Data
	w    words
	lang string
}

func (p *pdfWriter) time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.d.loc()).Format("2006-01-02 15:04")
}

func (p *pdfWriter) heading(text string, size float64) {
	p.pdf.SetFont(fontFamily, "B", size)
	p.pdf.CellFormat(contentWidth, size*0.5, text, "", 1, "L", false, 0, "")
	p.pdf.Ln(1.5)
	p.pdf.SetFont(fontFamily, "", 9.5)
}

func (p *pdfWriter) para(text string) {
	p.pdf.SetFont(fontFamily, "", 9.5)
	p.pdf.MultiCell(contentWidth, lineH, text, "", "L", false)
}

// room starts a new page unless h millimetres are left above the bottom margin.
func (p *pdfWriter) room(h float64) {
	_, ph := p.pdf.GetPageSize()
	if p.pdf.GetY()+h > ph-pageMargin-5 {
		p.pdf.AddPage()
	}
}

func (p *pdfWriter) head() {
	p.pdf.SetFont(fontFamily, "B", 17)
	p.pdf.CellFormat(contentWidth, 9, p.w.title, "", 1, "L", false, 0, "")
	p.pdf.SetFont(fontFamily, "B", 12)
	p.pdf.CellFormat(contentWidth, 7, p.d.Appliance, "", 1, "L", false, 0, "")
	p.pdf.Ln(1)
	zone, _ := p.d.From.In(p.d.loc()).Zone()
	p.pdf.SetFont(fontFamily, "", 9.5)
	lines := [][2]string{
		{p.w.kind, p.w.kinds[p.d.Kind]},
		{p.w.period, fmt.Sprintf("%s – %s (%s)", p.time(p.d.From), p.time(p.d.To), zone)},
		{p.w.generated, p.time(p.d.Generated)},
	}
	for _, l := range lines {
		p.pdf.SetFont(fontFamily, "B", 9.5)
		p.pdf.CellFormat(28, lineH, l[0], "", 0, "L", false, 0, "")
		p.pdf.SetFont(fontFamily, "", 9.5)
		p.pdf.CellFormat(contentWidth-28, lineH, l[1], "", 1, "L", false, 0, "")
	}
	p.pdf.Ln(4)
}

// machineSummary is one machine's line of the summary table (also the summary CSV).
type machineSummary struct {
	events, unacked int
	anomalous       time.Duration
	maxPeak         float64
	sensorsOK       float64 // the worst sensor's; -1 without sensors
}

func summarize(d *Data, m *Machine) machineSummary {
	s := machineSummary{events: len(m.Events), sensorsOK: -1}
	for _, e := range m.Events {
		if !e.Acknowledged {
			s.unacked++
		}
		s.anomalous += e.Duration(d.From, d.To)
		s.maxPeak = max(s.maxPeak, e.Peak)
	}
	for i, a := range m.Sensors {
		if i == 0 || a.OK < s.sensorsOK {
			s.sensorsOK = a.OK
		}
	}
	return s
}

func percent(f float64) string {
	if f < 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f %%", 100*f)
}

func peakText(x float64) string {
	if x <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", x)
}

func (p *pdfWriter) summary() {
	p.heading(p.w.summary, 13)
	cols := []column{{p.w.machine, 44, "L"}, {p.w.events, 15, "R"}, {p.w.anomalous, 27, "R"}, {p.w.unacked, 17, "R"},
		{p.w.maxPeak, 22, "R"}, {p.w.available, 20, "R"}, {p.w.rul, 35, "R"}}
	var rows [][]string
	for i := range p.d.Machines {
		m := &p.d.Machines[i]
		s := summarize(p.d, m)
		var rul *RUL
		if m.Health != nil {
			rul = m.Health.RUL
		}
		rows = append(rows, []string{machineTitle(m), fmt.Sprint(s.events), p.w.durationText(s.anomalous, p.lang),
			fmt.Sprint(s.unacked), peakText(s.maxPeak), percent(s.sensorsOK), rulShort(rul, p.lang)})
	}
	p.table(cols, rows)
	p.pdf.Ln(4)
}

func machineTitle(m *Machine) string {
	if m.Name == "" || m.Name == m.ID {
		return m.ID
	}
	return m.Name + " (" + m.ID + ")"
}

func (p *pdfWriter) correlations() {
	p.room(30)
	p.heading(p.w.correlations, 13)
	if len(p.d.Correlations) == 0 {
		p.para(p.w.none)
		p.pdf.Ln(3)
		return
	}
	cols := []column{{p.w.pair, 50, "L"}, {p.w.signal, 32, "L"}, {p.w.lag, 20, "R"}, {p.w.coefficient, 22, "R"}, {p.w.note, 56, "L"}}
	var rows [][]string
	for _, c := range p.d.Correlations {
		rows = append(rows, []string{c.A + " / " + c.B, c.Signal, lagText(c.Lag), fmt.Sprintf("%.2f", c.Coefficient), c.Note})
	}
	p.table(cols, rows)
	p.pdf.Ln(4)
}

func (p *pdfWriter) machine(m *Machine, i int) error {
	p.room(plotH + 30)
	p.heading(machineTitle(m), 13)
	if m.Kind != "" {
		p.para(m.Kind)
	}
	// trend
	p.pdf.SetFont(fontFamily, "B", 10.5)
	p.pdf.CellFormat(contentWidth, 6, p.w.trend, "", 1, "L", false, 0, "")
	if len(m.Trend) == 0 {
		p.para(p.w.noTrend)
	} else {
		hi, avg := series{color: colMax, width: vg1}, series{color: colMean, width: vg15}
		scale, level := 1.0, 0.0
		if m.Threshold > 0 {
			scale, level = 1/m.Threshold, 1
		}
		for _, t := range m.Trend {
			hi.t, hi.y = append(hi.t, t.Time), append(hi.y, t.Max*scale)
			avg.t, avg.y = append(avg.t, t.Time), append(avg.y, t.Mean*scale)
		}
		png, err := timePlot(p.d.From, p.d.To, p.d.loc(), []series{hi, avg}, level, contentWidth, plotH, 2*i)
		if err != nil {
			return err
		}
		if err := p.image(fmt.Sprintf("trend-%d", i), png, plotH); err != nil {
			return err
		}
		if m.Threshold > 0 {
			p.caption(fmt.Sprintf(p.w.trendCaption, resolutionText(m.Resolution, p.lang), m.Threshold))
		} else {
			p.caption(fmt.Sprintf(p.w.trendCaptionRaw, resolutionText(m.Resolution, p.lang)))
		}
	}
	p.pdf.Ln(2)
	// events
	p.room(20)
	p.pdf.SetFont(fontFamily, "B", 10.5)
	p.pdf.CellFormat(contentWidth, 6, fmt.Sprintf("%s (%d)", p.w.eventList, len(m.Events)), "", 1, "L", false, 0, "")
	if len(m.Events) == 0 {
		p.para(p.w.noEvents)
	} else {
		cols := []column{{p.w.start, 30, "L"}, {p.w.end, 30, "L"}, {p.w.duration, 21, "R"}, {p.w.peak, 17, "R"},
			{p.w.ack, 24, "L"}, {p.w.label, 24, "L"}, {p.w.diagnosis, 34, "L"}}
		var rows [][]string
		for j, e := range m.Events {
			if j == maxEventRows {
				break
			}
			end := p.time(e.End)
			if e.End.IsZero() {
				end = p.w.open
			}
			ack := p.w.no
			if e.Acknowledged {
				ack = p.w.yes
				if e.AcknowledgedBy != "" {
					ack = e.AcknowledgedBy
				}
			}
			rows = append(rows, []string{p.time(e.Start), end, p.w.durationText(e.Duration(p.d.From, p.d.To), p.lang),
				peakText(e.Peak), ack, labelText(e.Label, p.lang), diagnosisText(e.Diagnosis, p.lang)})
		}
		p.table(cols, rows)
		if n := len(m.Events) - maxEventRows; n > 0 {
			p.caption(moreEvents(n, p.lang))
		}
	}
	p.pdf.Ln(2)
	// sensors
	p.room(15)
	p.pdf.SetFont(fontFamily, "B", 10.5)
	p.pdf.CellFormat(contentWidth, 6, p.w.sensors, "", 1, "L", false, 0, "")
	if len(m.Sensors) == 0 {
		p.para(p.w.noSensors)
	}
	for _, s := range m.Sensors {
		line := fmt.Sprintf("%s: %s %s, %s %s", s.ID, p.w.ok, percent(s.OK), p.w.observed, percent(s.Observed))
		if s.Worst != "" {
			line += fmt.Sprintf(", %s %s", p.w.worst, s.Worst)
		}
		p.para(line)
	}
	p.pdf.Ln(2)
	if m.Health != nil {
		if err := p.health(m, i); err != nil {
			return err
		}
	}
	p.pdf.Ln(4)
	return nil
}

func moreEvents(n int, lang string) string {
	if lang == LangKorean {
		return fmt.Sprintf("외 %d건 (CSV 참조)", n)
	}
	return fmt.Sprintf("… and %d more (see the CSV)", n)
}

func (p *pdfWriter) health(m *Machine, i int) error {
	h := m.Health
	p.room(plotH + 20)
	p.pdf.SetFont(fontFamily, "B", 10.5)
	p.pdf.CellFormat(contentWidth, 6, p.w.health, "", 1, "L", false, 0, "")
	if h.Indicator != "" {
		p.para(p.w.indicator + ": " + h.Indicator)
	}
	if len(h.Points) > 0 {
		s := series{color: colMean, width: vg15}
		for _, pt := range h.Points {
			s.t, s.y = append(s.t, pt.Time), append(s.y, pt.Value)
		}
		png, err := timePlot(p.d.From, p.d.To, p.d.loc(), []series{s}, h.Alarm, contentWidth, plotH*0.8, 2*i+1)
		if err != nil {
			return err
		}
		if err := p.image(fmt.Sprintf("health-%d", i), png, plotH*0.8); err != nil {
			return err
		}
		p.caption(p.w.healthCaption)
	}
	p.pdf.SetFont(fontFamily, "B", 10)
	p.pdf.MultiCell(contentWidth, lineH+0.5, p.w.rulText(h.RUL), "", "L", false)
	if h.RUL != nil && h.RUL.Model != "" {
		p.caption(h.RUL.Model)
	}
	return nil
}

func (p *pdfWriter) caption(text string) {
	p.pdf.SetFont(fontFamily, "", 8)
	p.pdf.SetTextColor(90, 90, 90)
	p.pdf.MultiCell(contentWidth, 4, text, "", "L", false)
	p.pdf.SetTextColor(0, 0, 0)
	p.pdf.SetFont(fontFamily, "", 9.5)
}

func (p *pdfWriter) image(name string, png []byte, h float64) error {
	p.room(h + 2)
	p.pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	if err := p.pdf.Error(); err != nil {
		return err
	}
	y := p.pdf.GetY()
	p.pdf.ImageOptions(name, pageMargin, y, contentWidth, h, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.pdf.SetY(y + h + 1)
	return nil
}

type column struct {
	title string
	width float64
	align string
}

// table draws a header row and rows; cells too long for their column are cut with "…".
func (p *pdfWriter) table(cols []column, rows [][]string) {
	const h = 6.0
	header := func() {
		p.pdf.SetFont(fontFamily, "B", 8.5)
		p.pdf.SetFillColor(228, 232, 240)
		for _, c := range cols {
			p.pdf.CellFormat(c.width, h, p.fit(c.title, c.width), "B", 0, c.align, true, 0, "")
		}
		p.pdf.Ln(h)
		p.pdf.SetFont(fontFamily, "", 8.5)
	}
	header()
	for _, r := range rows {
		_, ph := p.pdf.GetPageSize()
		if p.pdf.GetY()+h > ph-pageMargin-5 {
			p.pdf.AddPage()
			header()
		}
		for i, c := range cols {
			p.pdf.CellFormat(c.width, h, p.fit(r[i], c.width), "B", 0, c.align, false, 0, "")
		}
		p.pdf.Ln(h)
	}
}

func (p *pdfWriter) fit(s string, w float64) string {
	const pad = 2.2
	if p.pdf.GetStringWidth(s) <= w-pad {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && p.pdf.GetStringWidth(string(rs)+"…") > w-pad {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}
