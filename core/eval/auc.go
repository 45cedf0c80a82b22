package eval

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrOneClass is returned when the labels do not contain both classes.
var ErrOneClass = errors.New("eval: need both normal and anomalous items")

// roc returns the ROC curve as scikit-learn's roc_curve(y, s, drop_intermediate=True):
// thresholds at distinct scores in decreasing order (ties grouped), collinear points
// dropped, starting at (0, 0).
func roc(scores []float64, labels []bool) (fpr, tpr []float64, err error) {
	if len(scores) != len(labels) {
		return nil, nil, fmt.Errorf("eval: %d scores but %d labels", len(scores), len(labels))
	}
	n := len(scores)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
		if math.IsNaN(scores[i]) {
			return nil, nil, fmt.Errorf("eval: score %d is NaN", i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	var tps, fps []float64
	var tp, fp float64
	for k, i := range idx {
		if labels[i] {
			tp++
		} else {
			fp++
		}
		if k == n-1 || scores[idx[k+1]] != scores[i] {
			tps = append(tps, tp)
			fps = append(fps, fp)
		}
	}
	if tp == 0 || fp == 0 {
		return nil, nil, ErrOneClass
	}
	// drop_intermediate: keep the ends and points where the second difference is non-zero.
	if len(fps) > 2 {
		keepF, keepT := []float64{fps[0]}, []float64{tps[0]}
		for i := 1; i < len(fps)-1; i++ {
			if fps[i-1]-2*fps[i]+fps[i+1] != 0 || tps[i-1]-2*tps[i]+tps[i+1] != 0 {
				keepF, keepT = append(keepF, fps[i]), append(keepT, tps[i])
			}
		}
		fps = append(keepF, fps[len(fps)-1])
		tps = append(keepT, tps[len(tps)-1])
	}
	fpr = append(make([]float64, 0, len(fps)+1), 0)
	tpr = append(make([]float64, 0, len(tps)+1), 0)
	for i := range fps {
		fpr = append(fpr, fps[i]/fp)
		tpr = append(tpr, tps[i]/tp)
	}
	return fpr, tpr, nil
}

func trapezoid(x, y []float64) float64 {
	var a float64
	for i := 1; i < len(x); i++ {
		a += (x[i] - x[i-1]) * (y[i] + y[i-1]) / 2
	}
	return a
}

// AUC returns the area under the ROC curve of scores (higher = more anomalous) for
// labels (true = anomaly), equal to scikit-learn's roc_auc_score(labels, scores); tied
// scores count one half.
func AUC(scores []float64, labels []bool) (float64, error) {
	fpr, tpr, err := roc(scores, labels)
	if err != nil {
		return 0, err
	}
	return trapezoid(fpr, tpr), nil
}

// PAUC returns the partial AUC over false-positive rates [0, maxFPR], standardised with
// the McClish correction exactly as scikit-learn's roc_auc_score(labels, scores,
// max_fpr=maxFPR): 0.5 is chance and 1 perfect. maxFPR 1 gives AUC.
func PAUC(scores []float64, labels []bool, maxFPR float64) (float64, error) {
	if !(maxFPR > 0 && maxFPR <= 1) {
		return 0, fmt.Errorf("eval: max_fpr %g must be in (0, 1]", maxFPR)
	}
	fpr, tpr, err := roc(scores, labels)
	if err != nil {
		return 0, err
	}
	if maxFPR == 1 {
		return trapezoid(fpr, tpr), nil
	}
	stop := sort.Search(len(fpr), func(i int) bool { return fpr[i] > maxFPR }) // searchsorted right
	x0, x1 := fpr[stop-1], fpr[stop]
	y0, y1 := tpr[stop-1], tpr[stop]
	yi := y0 + (maxFPR-x0)*(y1-y0)/(x1-x0)
	px := append(append([]float64(nil), fpr[:stop]...), maxFPR)
	py := append(append([]float64(nil), tpr[:stop]...), yi)
	partial := trapezoid(px, py)
	minArea := 0.5 * maxFPR * maxFPR
	maxArea := maxFPR
	return 0.5 * (1 + (partial-minArea)/(maxArea-minArea)), nil
}
