package app_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/app"
	"signalcraft/tui/i18n"
	"signalcraft/tui/pages/alerts"
	"signalcraft/tui/pages/detail"
	"signalcraft/tui/pages/devices"
	"signalcraft/tui/pages/events"
	"signalcraft/tui/pages/queue"
)

// koreanModel is model in Korean.
func koreanModel(t *testing.T, fx Fixture, w, h int) app.Model {
	t.Helper()
	m := app.New(app.Options{Target: "unix:/run/signalcraft/api.sock", Now: func() time.Time { return Now }, Tick: -1, Lang: i18n.Korean})
	m = feed(t, m, tea.WindowSizeMsg{Width: w, Height: h},
		app.ConnectedMsg{Health: fx.Health, Me: fx.Me, Machines: fx.Machines, Events: fx.Events, Alerts: fx.Alerts},
		app.LiveMsg{Updates: append(append([]api.Live(nil), fx.History...), fx.Live...)})
	t.Cleanup(m.Close)
	return m
}

// The most used pages in Korean: every line exactly as wide as the terminal (Hangul takes
// two cells), and the words that matter in Korean.
func TestKoreanPagesGolden(t *testing.T) {
	fx := NewFixture()
	admin := fx
	admin.Me = api.Identity{Actor: "local:root", Role: api.RoleAdmin}
	pages := []struct {
		name  string
		drive func(t *testing.T, m app.Model) app.Model
		want  []string
	}{
		{"overview", func(t *testing.T, m app.Model) app.Model { return m },
			[]string{"1 전체", "2 설비", "3 이벤트", "소리 이상", "센서 무음", "설비 3대", "울리는 경보 3건", "● 실시간", "운영자", "상세"}},
		{"detail", func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "down")
			m, cmd := step(t, m, press("enter"))
			m = settle(t, m, cmd)
			return feed(t, m, detail.HealthLoadedMsg{MachineID: "pump-2", Health: FixtureHealth("pump-2")})
		}, []string{"펌프", "임계값의 1.43×", "센서 정상", "나빠지는 중", "남은 수명 약 31시간", "최근 이벤트", "진행 중", "미확인", "[베어링]", "이전 설비"}},
		{"models", func(t *testing.T, m app.Model) app.Model {
			return modelHistory(t, m, fx, "pump-2")
		}, []string{"모델 이력", "버전", "챔피언", "후보", "은퇴", "진단", "감지", "오경보 0.40/시 · 재현율 0.50", "F1 0.89 · 정확도 0.91", "승격"}},
		{"events", func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "3")
			return feed(t, m, events.LoadedMsg{Events: fx.Events})
		}, []string{"이벤트 4건", "미확인만", "최고 ×임계값", "베어링 외륜", "pump-2에서 들려온 소리", "[오경보]", "03-13 08:30", "확인"}},
		{"event_clips", func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "3")
			m = feed(t, m, events.LoadedMsg{Events: fx.Events})
			m = keys(t, m, "enter")
			w, _ := m.BodySize()
			return feed(t, m, events.ClipsLoadedMsg{EventID: 7, Clips: fx.Clips[7]},
				events.SpectrogramMsg{ClipID: 12, Spectrogram: FixtureSpectrogram(12, w-7)})
		}, []string{"이벤트 #7", "시작 10:29:32", "진행 중", "녹음", "녹음 #12의 스펙트로그램", "멜 대역", "WAV 내려받기"}},
		{"alerts", func(t *testing.T, m app.Model) app.Model { return loadAlerts(t, m, fx) },
			[]string{"경보 5 ", "알림 끄기 3", "정비 시간 2", "경보 5건", "등급", "긴급", "발생 중", "해결됨", "미확인", "알림 끔 (s-1)", "알림 보류", "구역"}},
		{"devices", func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "4")
			return feed(t, m, devices.LoadedMsg{Sensors: fx.Sensors, Devices: fx.Devices})
		}, []string{"센서", "재연결", "무음", "녹음 장치", "호스트 API", "새로 고침"}},
		{"queue", func(t *testing.T, m app.Model) app.Model {
			m = keys(t, m, "7")
			return feed(t, m, queue.LoadedMsg{Jobs: fx.Jobs})
		}, []string{"작업 대기열", "최근 작업", "실패 확정", "3초 후", "마지막 오류", "재시도"}},
		{"settings", func(t *testing.T, m app.Model) app.Model { return keys(t, m, "5", "down") },
			[]string{"설비 pump-2", "센서 소스 *", "학습 기간", "지속 시간", "* 바꾸면 설비가 다시 학습합니다", "재학습"}},
		{"alert_details", func(t *testing.T, m app.Model) app.Model {
			m = keys(t, loadAlerts(t, m, fx), "enter")
			return feed(t, m, alerts.DeliveriesMsg{Fingerprint: FPPumpScore, Deliveries: fx.Deliveries[FPPumpScore]})
		}, []string{"pump-2의 PumpHighScore · 긴급 · 발생 중", "요약", "임계값의 1.43×", "부터 활성", "보낸 알림 (최신순)", "수신자"}},
		{"silences", func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, fx), "v") },
			[]string{"대상 조건", "설정자", "적용 중", "후 끝남", "해당 경보"}},
		{"maintenance", func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, fx), "v", "v") },
			[]string{"요일", "시간대", "매주 정비 시간", "관리자 권한"}},
		{"receivers", func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, admin), "v", "v", "v") },
			[]string{"종류", "해결알림", "시험 발송"}},
		{"rules", func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, admin), "v", "v", "v", "v") },
			[]string{"조건", "유지", "등급", "긴급"}},
		{"silence_form", func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, fx), "s") },
			[]string{"지금부터 알림 끄기", "대상 조건", "기간", "메모", "경보 1건의 알림을 끕니다", "ctrl+s로 만듭니다"}},
		{"history_1d", func(t *testing.T, m app.Model) app.Model { return longRange(t, m, "pump-2", 3.4, 2) },
			[]string{"점수 × 임계값, 최근 1일", "평균 █ 최대 ░", "1분 요약", "간격"}},
		{"rule_form", func(t *testing.T, m app.Model) app.Model {
			return keys(t, loadAlerts(t, m, admin), "v", "v", "v", "v", "e")
		}, []string{"규칙 PumpHighScore 편집 (1/3)", "지표", "발생 값", "해제 값", "요약 (한국어)", "경보 규칙 전체 목록"}},
		{"receiver_form", func(t *testing.T, m app.Model) app.Model {
			return keys(t, loadAlerts(t, m, admin), "v", "v", "v", "down", "e")
		}, []string{"수신자 night-kakao 편집 (2/3)", "종류", "언어", "해결 알림", "+ 설정"}},
		{"window_form", func(t *testing.T, m app.Model) app.Model { return keys(t, loadAlerts(t, m, admin), "v", "v", "e") },
			[]string{"정비 시간 weekly-cleaning 편집 (1/2)", "요일", "시작", "시간대", "대상 조건"}},
	}
	for _, p := range pages {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			name := "ko_" + p.name + "_" + itoa(size[0]) + "x" + itoa(size[1])
			t.Run(name, func(t *testing.T) {
				f := fx
				switch p.name {
				case "models", "queue", "settings", "receivers", "rules", "rule_form", "receiver_form", "window_form": // pages an admin sees with their actions
					f = admin
				}
				screen := p.drive(t, koreanModel(t, f, size[0], size[1])).Render()
				checkSize(t, screen, size[0], size[1])
				golden(t, name, screen)
				if size[0] < 120 {
					return // narrow screens cut some of the words
				}
				text := ansi.Strip(screen)
				for _, w := range p.want {
					if !strings.Contains(text, w) {
						t.Errorf("screen lacks %q:\n%s", w, text)
					}
				}
			})
		}
	}
}

// Outside free text from the appliance (names, ids, error messages), a Korean screen has
// no English words left: the English wording of the pages translated so far must not leak.
func TestKoreanPagesHaveNoEnglishWords(t *testing.T) {
	fx := NewFixture()
	m := koreanModel(t, fx, 120, 40)
	screens := map[string]string{"overview": m.Render()}
	m = keys(t, m, "3")
	screens["events"] = feed(t, m, events.LoadedMsg{Events: fx.Events}).Render()
	english := regexp.MustCompile(`\b(?i:machine|machines|monitoring|anomaly|unack|unacknowledged|open|peak|threshold|events?|alerts? firing|live|details|quit|help|next page|none|learning|started|lasted)\b`)
	for name, s := range screens {
		for _, l := range strings.Split(ansi.Strip(s), "\n") {
			if w := english.FindString(l); w != "" {
				t.Errorf("%s: English %q left in %q", name, w, l)
			}
		}
	}
}

func TestKoreanErrorScreens(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"unreachable", &os.PathError{Op: "dial", Path: "/run/signalcraft/api.sock", Err: os.ErrNotExist},
			[]string{"unix:/run/signalcraft/api.sock의 장비에 연결할 수 없습니다", "5초마다 다시 시도", "r 지금 다시 시도", "q 종료", "● 연결 안 됨", "r 다시 시도"}},
		{"socket permission", &api.SocketError{Path: "/run/signalcraft/api.sock", Err: os.ErrPermission},
			[]string{"API 소켓", "sudo usermod -aG signalcraft $USER", "signalcraft 그룹"}},
		{"unauthorized", &api.Error{Code: api.CodeUnauthorized, Message: "unknown token"}, []string{"401 unauthorized", "SIGNALCRAFT_TOKEN"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := app.New(app.Options{Target: "unix:/run/signalcraft/api.sock", Now: func() time.Time { return Now }, Tick: -1, Lang: i18n.Korean})
			m = feed(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
			m, _ = step(t, m, app.ConnectedMsg{Err: c.err})
			screen := ansi.Strip(m.Render())
			for _, w := range c.want {
				if !strings.Contains(screen, w) {
					t.Errorf("screen lacks %q:\n%s", w, screen)
				}
			}
			checkSize(t, m.Render(), 80, 24)
			if c.name == "unreachable" {
				golden(t, "ko_unreachable_80x24", m.Render())
			}
		})
	}
}

// A field the form itself rejects says why in Korean; the Korean form fits 80 columns.
func TestKoreanSettingsFormErrors(t *testing.T) {
	fx := NewFixture()
	fx.Me = api.Identity{Actor: "local:root", Role: api.RoleAdmin}
	m := koreanModel(t, fx, 80, 24)
	m = keys(t, m, "5", "down", "e", "tab", "tab", "tab", "tab", "tab")
	for range 10 {
		m = keys(t, m, "backspace")
	}
	m = keys(t, m, "x", "ctrl+s") // quantile "x"
	screen := ansi.Strip(m.Render())
	for _, want := range []string{"✗ 0.99 같은 숫자여야 합니다", "✗ 표시된 칸을 고치세요", "분위수"} {
		if !strings.Contains(screen, want) {
			t.Errorf("screen lacks %q:\n%s", want, screen)
		}
	}
	checkSize(t, m.Render(), 80, 24)
}
