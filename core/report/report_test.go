package report

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ and the page images in docs/screenshots/")

// needTool fails the test when a poppler-utils program is missing: the Makefile's
// test-deps installs it (installer/dev-deps.sh).
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install poppler-utils (make test-deps)", name)
	}
	return p
}

func newRenderer(t testing.TB) *PDFRenderer {
	t.Helper()
	r, err := NewPDFRenderer("")
	if err != nil {
		t.Fatalf("%v (make test-deps installs fonts-nanum)", err)
	}
	return r
}

func renderPDF(t *testing.T, r *PDFRenderer, d *Data, lang string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.Render(&b, d, lang); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pdfText extracts a PDF's text with pdftotext -layout.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool := needTool(t, "pdftotext")
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-layout", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// trailing spaces depend on layout rounding only
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./core/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendered report; run go test ./core/report -update and review the diff\n got:\n%s", path, got)
	}
}

// TestPDFGolden renders the demo appliance's weekly report (every section) and a daily one
// (no optional section) in both languages and compares the PDF's text with the goldens.
// With -update it also writes page 1 of the weekly reports to docs/screenshots/.
func TestPDFGolden(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		name string
		data func() *Data
	}{{"weekly", demoData}, {"daily", plainData}} {
		for _, lang := range Languages() {
			t.Run(tc.name+"-"+lang, func(t *testing.T) {
				pdf := renderPDF(t, r, tc.data(), lang)
				if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
					t.Fatalf("output does not start with %%PDF-: %q", pdf[:min(len(pdf), 16)])
				}
				again := renderPDF(t, r, tc.data(), lang)
				if !bytes.Equal(pdf, again) {
					t.Error("the same data rendered twice gave different bytes")
				}
				text := pdfText(t, pdf)
				golden(t, "pdf-"+tc.name+"-"+lang+".txt", []byte(text))
				if *update && tc.name == "weekly" {
					writePage1(t, pdf, filepath.Join("..", "..", "docs", "screenshots", "report-"+lang+"-page1"))
				}
			})
		}
	}
}

// writePage1 renders page 1 at 60 dpi to prefix.png (pdftoppm adds the extension).
func writePage1(t *testing.T, pdf []byte, prefix string) {
	tool := needTool(t, "pdftoppm")
	in := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", in, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
}

// TestPDFSections checks what the goldens cannot say plainly: the optional sections appear
// exactly when present, in the report's language, with the RUL written as "about N h (a–b h)".
func TestPDFSections(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		name, lang string
		data       func() *Data
		want, not  []string
	}{
		{"weekly en", LangEnglish, demoData,
			[]string{"SignalCraft condition report", "weekly", "Coolant pump 2 (pump-2)", "Remaining useful life: about 72 h (48–110 h)",
				"Remaining useful life: no confident estimate yet", "Cross-sensor correlations", "attributed to pump-2",
				"unknown 41 %", "operator-1", "open", "2026-11-30 06:00 – 2026-12-07 06:00 (KST)"},
			[]string{"잔여"}},
		{"weekly ko", LangKorean, demoData,
			[]string{"SignalCraft 설비 상태 보고서", "주간", "잔여 유효 수명: 약 72시간 (48–110시간)", "센서 간 상관관계", "이벤트 목록 (5)",
				"진행 중", "센서 가용성"},
			[]string{"Remaining useful life", "Summary"}},
		{"daily en", LangEnglish, plainData,
			[]string{"daily", "Events (2)", "No events in this period."},
			[]string{"Health trend", "Cross-sensor correlations", "Remaining useful life"}},
		{"daily ko", LangKorean, plainData,
			[]string{"일간", "이 기간에 이벤트가 없습니다."},
			[]string{"건전성 추세", "센서 간 상관관계"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := pdfText(t, renderPDF(t, r, tc.data(), tc.lang))
			flat := strings.Join(strings.Fields(text), " ")
			for _, w := range tc.want {
				if !strings.Contains(flat, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(flat, n) {
					t.Errorf("text has %q:\n%s", n, text)
				}
			}
		})
	}
}

func readZip(t *testing.T, b []byte) (names []string, files map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files = map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		files[f.Name] = data
	}
	return names, files
}

// TestCSVGolden writes the CSV zips and compares every file with its golden.
func TestCSVGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  func() *Data
		files []string
	}{
		{"weekly", demoData, []string{CSVSummary, CSVEvents, CSVTrend, CSVSensors, CSVHealth, CSVCorrelations}},
		{"daily", plainData, []string{CSVSummary, CSVEvents, CSVTrend, CSVSensors}},
	} {
		for _, lang := range Languages() {
			t.Run(tc.name+"-"+lang, func(t *testing.T) {
				var b bytes.Buffer
				if err := WriteCSV(&b, tc.data(), lang); err != nil {
					t.Fatal(err)
				}
				var again bytes.Buffer
				if err := WriteCSV(&again, tc.data(), lang); err != nil || !bytes.Equal(b.Bytes(), again.Bytes()) {
					t.Errorf("the same data written twice gave different zips (%v)", err)
				}
				names, files := readZip(t, b.Bytes())
				if strings.Join(names, ",") != strings.Join(tc.files, ",") {
					t.Fatalf("zip holds %v, want %v", names, tc.files)
				}
				for _, n := range names {
					if !bytes.HasPrefix(files[n], []byte(bom)) {
						t.Errorf("%s does not start with the UTF-8 byte-order mark", n)
					}
					if tc.name == "weekly" && n == CSVTrend {
						// 3 machines × 168 hours: compare the size and the head only
						lines := strings.Split(strings.TrimSuffix(string(files[n]), "\r\n"), "\r\n")
						if len(lines) != 1+3*168 {
							t.Errorf("%s has %d lines, want %d", n, len(lines), 1+3*168)
						}
						files[n] = []byte(strings.Join(lines[:6], "\r\n") + "\r\n")
					}
					golden(t, "csv-"+tc.name+"-"+lang+"/"+n, files[n])
				}
			})
		}
	}
}

func TestFontMissing(t *testing.T) {
	const path = "/nonexistent/fonts/NanumGothic.ttf"
	_, err := NewPDFRenderer(path)
	if !errors.Is(err, ErrFontMissing) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "fonts-nanum") {
		t.Fatalf("err = %v, want ErrFontMissing naming %s and fonts-nanum", err, path)
	}
}

func TestInvalid(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		name string
		mod  func(*Data)
		lang string
	}{
		{"language", func(*Data) {}, "de"},
		{"kind", func(d *Data) { d.Kind = "monthly" }, LangEnglish},
		{"empty period", func(d *Data) { d.To = d.From }, LangEnglish},
		{"machine id", func(d *Data) { d.Machines[0].ID = "" }, LangKorean},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := plainData()
			tc.mod(d)
			if err := r.Render(io.Discard, d, tc.lang); !errors.Is(err, ErrInvalid) {
				t.Errorf("Render: %v, want ErrInvalid", err)
			}
			if err := WriteCSV(io.Discard, d, tc.lang); !errors.Is(err, ErrInvalid) {
				t.Errorf("WriteCSV: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestAvailability(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	tests := []struct {
		name         string
		changes      []StateChange
		ok, observed float64
		worst        string
	}{
		{"never seen", nil, 0, 0, ""},
		{"ok before the period", []StateChange{{"ok", h(-5)}}, 1, 1, ""},
		{"starts mid-period", []StateChange{{"ok", h(6)}}, 0.75, 0.75, ""},
		{"silent for 6 h", []StateChange{{"ok", h(-1)}, {"silent", h(2)}, {"ok", h(8)}}, 0.75, 1, "silent"},
		{"longest wins", []StateChange{{"clipping", h(0)}, {"ok", h(1)}, {"stuck", h(10)}, {"ok", h(13)}}, 20.0 / 24, 1, "stuck"},
		{"changes after the period", []StateChange{{"ok", h(0)}, {"silent", h(30)}}, 1, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := Availability("s", tc.changes, t0, h(24))
			if abs(a.OK-tc.ok) > 1e-9 || abs(a.Observed-tc.observed) > 1e-9 || a.Worst != tc.worst {
				t.Errorf("got ok %.4f observed %.4f worst %q, want %.4f %.4f %q", a.OK, a.Observed, a.Worst, tc.ok, tc.observed, tc.worst)
			}
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// BenchmarkRenderWeekly renders the demo appliance's weekly report (3 machines × 168 hourly
// buckets, 3 plots, 6 events) as PDF and as CSV, per language.
func BenchmarkRenderWeekly(b *testing.B) {
	r := newRenderer(b)
	d := demoData()
	for _, lang := range Languages() {
		b.Run("pdf-"+lang, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				var buf bytes.Buffer
				if err := r.Render(&buf, d, lang); err != nil {
					b.Fatal(err)
				}
				n = buf.Len()
			}
			b.ReportMetric(float64(n)/1024, "KiB/report")
		})
		b.Run("csv-"+lang, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteCSV(io.Discard, d, lang); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
