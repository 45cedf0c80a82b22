package mlops

import (
	"fmt"
	"time"
)

// MinNormal is the least held-back normal sound a comparison needs: below it, a false-alarm
// rate says too little to replace a model on.
const MinNormal = time.Minute

// Gate decides whether a challenger replaces the champion, both measured on the same
// held-back clips. It promotes only when the challenger is no worse on either count and
// better on one:
//
//	false alarms:  challenger.FalseAlarms ≤ champion.FalseAlarms
//	faults found:  challenger.Detected    ≥ champion.Detected     (when there are fault clips)
//	and at least one of the two strictly better.
//
// Counts, not rates, are compared: both ran on the same sound. With less than MinNormal
// of normal sound it promotes nothing. The reason says which rule decided, with the numbers.
func Gate(champion, challenger Metrics) (promote bool, reason string) {
	if champion.NormalHours != challenger.NormalHours || champion.Faults != challenger.Faults {
		return false, fmt.Sprintf("not compared on the same clips (normal %.3f h vs %.3f h, faults %d vs %d)",
			champion.NormalHours, challenger.NormalHours, champion.Faults, challenger.Faults)
	}
	if time.Duration(challenger.NormalHours*float64(time.Hour)) < MinNormal {
		return false, fmt.Sprintf("too little held-back normal sound: %.0f s, %.0f s needed",
			challenger.NormalHours*3600, MinNormal.Seconds())
	}
	fa := fmt.Sprintf("false alarms %d → %d in %.2f h", champion.FalseAlarms, challenger.FalseAlarms, challenger.NormalHours)
	found := fmt.Sprintf("faults found %d → %d of %d", champion.Detected, challenger.Detected, challenger.Faults)
	switch {
	case challenger.FalseAlarms > champion.FalseAlarms:
		return false, "more false alarms: " + fa + "; " + found
	case challenger.Detected < champion.Detected:
		return false, "fewer faults found: " + found + "; " + fa
	case challenger.FalseAlarms == champion.FalseAlarms && challenger.Detected == champion.Detected:
		return false, "no better than the champion: " + fa + "; " + found
	}
	return true, "better: " + fa + "; " + found
}
