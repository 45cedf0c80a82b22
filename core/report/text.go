package report

import (
	"fmt"
	"math"
	"signalcraft/core/api"
	"time"
)

// words are the strings of one language.
type words struct {
	title, period, generated, kind                                   string
	kinds                                                            map[Kind]string
	summary, machine, events, anomalous, unacked, maxPeak, available string
	rul, noRUL, none                                                 string
	trend, trendCaption, trendCaptionRaw, noTrend                    string
	eventList, start, end, duration, peak, ack, label, diagnosis     string
	open, yes, no, noEvents                                          string
	sensors, sensor, ok, observed, worst, noSensors                  string
	health, indicator, alarm, rulLine, rulUnsure, healthCaption      string
	correlations, pair, signal, lag, coefficient, note               string
	page                                                             string
	// columns names the CSV columns; nil keeps their English names.
	columns map[string]string
}

var english = words{
	title: "SignalCraft condition report", period: "Period", generated: "Generated", kind: "Report",
	kinds:   map[Kind]string{KindDaily: "daily", KindWeekly: "weekly", KindOnDemand: "on demand"},
	summary: "Summary", machine: "Machine", events: "Events", anomalous: "Anomalous time", unacked: "Unacked",
	maxPeak: "Highest peak", available: "Sensors ok", rul: "Remaining life", noRUL: "—", none: "none",
	trend:           "Anomaly score",
	trendCaption:    "Blue: mean score per %s; grey: highest score; red dashed: threshold (1.0). Scores as multiples of the threshold %.3g.",
	trendCaptionRaw: "Blue: mean score per %s; grey: highest score (raw scores: the model's threshold is unknown).",
	noTrend:         "No scores were recorded in this period.",
	eventList:       "Events", start: "Start", end: "End", duration: "Duration", peak: "Peak ×thr", ack: "Ack.",
	label: "Label", diagnosis: "Diagnosis", open: "open", yes: "yes", no: "no", noEvents: "No events in this period.",
	sensors: "Sensor availability", sensor: "Sensor", ok: "ok", observed: "observed", worst: "most often otherwise",
	noSensors: "No sensor is recorded for this machine.",
	health:    "Health trend", indicator: "Indicator", alarm: "alarm level",
	rulLine:       "Remaining useful life: about %s h (%s–%s h)",
	rulUnsure:     "Remaining useful life: no confident estimate yet",
	healthCaption: "Blue: health indicator; red dashed: alarm level.",
	correlations:  "Cross-sensor correlations", pair: "Pair", signal: "Signal", lag: "Lag", coefficient: "Coefficient", note: "Note",
	page: "page",
}

var korean = words{
	title: "SignalCraft 설비 상태 보고서", period: "기간", generated: "작성", kind: "보고서",
	kinds:   map[Kind]string{KindDaily: "일간", KindWeekly: "주간", KindOnDemand: "요청"},
	summary: "요약", machine: "설비", events: "이벤트", anomalous: "이상 시간", unacked: "미확인",
	maxPeak: "최고 피크", available: "센서 정상", rul: "잔여 수명", noRUL: "—", none: "없음",
	trend:           "이상 점수",
	trendCaption:    "파란색: %s 평균 점수, 회색: 최고 점수, 빨간 점선: 임계값(1.0). 점수는 임계값 %.3g의 배수입니다.",
	trendCaptionRaw: "파란색: %s 평균 점수, 회색: 최고 점수(모델 임계값을 몰라 원점수로 표시).",
	noTrend:         "이 기간에 기록된 점수가 없습니다.",
	eventList:       "이벤트 목록", start: "시작", end: "종료", duration: "지속", peak: "피크 ×임계",
	ack: "확인", label: "라벨", diagnosis: "진단", open: "진행 중", yes: "예", no: "아니오",
	noEvents: "이 기간에 이벤트가 없습니다.",
	sensors:  "센서 가용성", sensor: "센서", ok: "정상", observed: "관측", worst: "주요 이상 상태",
	noSensors: "이 설비에 기록된 센서가 없습니다.",
	health:    "건전성 추세", indicator: "지표", alarm: "경보 수준",
	rulLine:       "잔여 유효 수명: 약 %s시간 (%s–%s시간)",
	rulUnsure:     "잔여 유효 수명: 아직 신뢰할 만한 추정이 없습니다",
	healthCaption: "파란색: 건전성 지표, 빨간 점선: 경보 수준.",
	correlations:  "센서 간 상관관계", pair: "쌍", signal: "신호", lag: "지연", coefficient: "상관계수", note: "비고",
	page:    "쪽",
	columns: koreanColumns,
}

// Languages lists the languages reports are written in.
func Languages() []string { return []string{LangEnglish, LangKorean} }

func wordsFor(lang string) (words, error) {
	switch lang {
	case LangEnglish:
		return english, nil
	case LangKorean:
		return korean, nil
	}
	return words{}, fmt.Errorf("report language %q (want en or ko): %w", lang, ErrInvalid)
}

// duration writes d as "2 h 05 min" or "2시간 05분"; under a minute in seconds.
func (w words) durationText(d time.Duration, lang string) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	ko := lang == LangKorean
	switch {
	case h > 0 && ko:
		return fmt.Sprintf("%d시간 %02d분", h, m)
	case h > 0:
		return fmt.Sprintf("%d h %02d min", h, m)
	case m > 0 && ko:
		return fmt.Sprintf("%d분 %02d초", m, s)
	case m > 0:
		return fmt.Sprintf("%d min %02d s", m, s)
	case ko:
		return fmt.Sprintf("%d초", s)
	}
	return fmt.Sprintf("%d s", s)
}

// resolutionText names a trend bucket width: "minute", "hour" (or 분, 시간).
func resolutionText(d time.Duration, lang string) string {
	ko := lang == LangKorean
	switch {
	case d == time.Minute && ko:
		return "1분"
	case d == time.Minute:
		return "minute"
	case d == time.Hour && ko:
		return "1시간"
	case d == time.Hour:
		return "hour"
	}
	return d.String()
}

// hours writes an RUL bound: whole hours from 10 h up, one decimal below.
func hours(h float64) string {
	if h >= 10 || h == math.Trunc(h) {
		return fmt.Sprintf("%.0f", h)
	}
	return fmt.Sprintf("%.1f", h)
}

// rulShort is the summary table's RUL cell: "~72 h (48–110)".
func rulShort(r *RUL, lang string) string {
	if r == nil || !r.Confident {
		return "—"
	}
	if lang == LangKorean {
		return fmt.Sprintf("약 %s시간 (%s–%s)", hours(r.Hours), hours(r.Low), hours(r.High))
	}
	return fmt.Sprintf("~%s h (%s–%s)", hours(r.Hours), hours(r.Low), hours(r.High))
}

func (w words) rulText(r *RUL) string {
	if r == nil || !r.Confident {
		return w.rulUnsure
	}
	return fmt.Sprintf(w.rulLine, hours(r.Hours), hours(r.Low), hours(r.High))
}

// lagText writes a correlation lag: "+1.5 s".
func lagText(d time.Duration) string { return fmt.Sprintf("%+.1f s", d.Seconds()) }

// diagnosisText is "bearing outer race 87 %" (in lang) or "".
func diagnosisText(d *Diagnosis, lang string) string {
	if d == nil {
		return ""
	}
	return fmt.Sprintf("%s %.0f %%", api.FaultName(lang, d.Label), 100*d.Confidence)
}

// labelText is an operator's label in words ("false alarm", "베어링 외륜"), "" for none.
func labelText(label, lang string) string {
	if label == "" {
		return ""
	}
	return api.FaultName(lang, label)
}

// koreanColumns are the Korean names of the CSV columns.
var koreanColumns = map[string]string{
	"machine_id": "설비_ID", "name": "이름", "kind": "종류", "threshold": "임계값", "events": "이벤트_수",
	"anomalous_s": "이상_시간_초", "unacknowledged": "미확인_수", "max_peak_x_threshold": "최고_피크_임계배수",
	"sensors_ok": "센서_정상_비율", "rul_hours": "잔여수명_시간", "rul_low_hours": "잔여수명_하한_시간",
	"rul_high_hours": "잔여수명_상한_시간", "event_id": "이벤트_ID", "start": "시작", "end": "종료",
	"duration_s": "지속_초", "peak_x_threshold": "피크_임계배수", "acknowledged": "확인", "acknowledged_by": "확인자",
	"label": "라벨", "diagnosis": "진단", "diagnosis_confidence": "진단_신뢰도", "diagnosis_model": "진단_모델",
	"bucket_start": "구간_시작", "windows": "윈도우_수", "mean_score": "평균_점수", "max_score": "최고_점수",
	"mean_x_threshold": "평균_임계배수", "max_x_threshold": "최고_임계배수", "anomalous_windows": "이상_윈도우_수",
	"sensor_id": "센서_ID", "ok": "정상_비율", "observed": "관측_비율", "worst_state": "주요_이상_상태",
	"time": "시각", "value": "값", "a": "A", "b": "B", "signal": "신호", "lag_s": "지연_초",
	"coefficient": "상관계수", "note": "비고",
}

// header names CSV columns in w's language.
func (w words) header(cols ...string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c
		if k, ok := w.columns[c]; ok {
			out[i] = k
		}
	}
	return out
}
