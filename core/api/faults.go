package api

import "strings"

// faultNames are the fault labels, "normal", "unknown" and "false_alarm" in words, by
// language, for messages that leave the appliance (notifications, reports). Clients keep
// their own translations beside their other strings.
var faultNames = map[string]map[string]string{
	"en": {
		"bearing_outer_race": "bearing outer race", "bearing_inner_race": "bearing inner race", "bearing_ball": "bearing ball",
		"imbalance": "imbalance", "misalignment": "misalignment", "looseness": "looseness", "cavitation": "cavitation",
		"leak": "leak", "belt": "belt", "electrical": "electrical", "other": "other fault", "bearing": "bearing",
		"normal": "normal", DiagnosisUnknown: "unknown", LabelFalseAlarm: "false alarm",
	},
	"ko": {
		"bearing_outer_race": "베어링 외륜", "bearing_inner_race": "베어링 내륜", "bearing_ball": "베어링 볼",
		"imbalance": "불균형", "misalignment": "정렬 불량", "looseness": "풀림", "cavitation": "캐비테이션",
		"leak": "누설", "belt": "벨트", "electrical": "전기 계통", "other": "기타 고장", "bearing": "베어링",
		"normal": "정상", DiagnosisUnknown: "불확실", LabelFalseAlarm: "오경보",
	},
}

// FaultName names a fault label in lang ("en" or "ko"; others get English). A label a site
// made up is shown with its underscores as spaces.
func FaultName(lang, label string) string {
	if s, ok := faultNames[lang][label]; ok {
		return s
	}
	if s, ok := faultNames["en"][label]; ok {
		return s
	}
	return strings.ReplaceAll(label, "_", " ")
}
