package detect

import (
	"fmt"
	"math"
)

// MaxK bounds the number of neighbours of the knn model.
const MaxK = 32

// knnModel scores the mean Euclidean distance, in standardised space, to the K nearest
// training vectors.
type knnModel struct {
	Scale scaler      `json:"scaler"`
	K     int         `json:"k"`
	Train [][]float64 `json:"train"` // standardised training vectors
}

func (m *knnModel) Kind() Kind { return KindKNN }
func (m *knnModel) Dim() int   { return len(m.Scale.Mean) }

func (m *knnModel) validate() error {
	d := len(m.Scale.Mean)
	if d == 0 || m.K < 1 || m.K > MaxK || len(m.Train) < m.K {
		return fmt.Errorf("%w: knn dimensions", ErrCorrupt)
	}
	for _, t := range m.Train {
		if len(t) != d {
			return fmt.Errorf("%w: knn training vector", ErrCorrupt)
		}
	}
	return m.Scale.check(d)
}

// Score returns the mean distance to the K nearest training vectors.
func (m *knnModel) Score(x []float64) float64 {
	if len(x) != m.Dim() {
		return math.Inf(1)
	}
	return m.score(x, -1)
}

// score skips training vector skip (leave-one-out training scores).
func (m *knnModel) score(x []float64, skip int) float64 {
	var buf [MaxK]float64
	k := m.K
	if skip >= 0 && k > len(m.Train)-1 {
		k = len(m.Train) - 1
	}
	best := buf[:k]
	for i := range best {
		best[i] = math.Inf(1)
	}
	for i, t := range m.Train {
		if i == skip {
			continue
		}
		var s float64
		worst := best[k-1]
		for j, tj := range t {
			e := m.Scale.z(x, j) - tj
			s += e * e
			if s >= worst {
				break
			}
		}
		if s >= worst {
			continue
		}
		// insert keeping best sorted ascending
		p := k - 1
		for p > 0 && best[p-1] > s {
			best[p] = best[p-1]
			p--
		}
		best[p] = s
	}
	var sum float64
	for _, v := range best {
		sum += math.Sqrt(v)
	}
	return sum / float64(k)
}

func fitKNN(X [][]float64, o Options) (Model, error) {
	k := min(o.K, MaxK, len(X)-1)
	sc := fitScaler(X)
	return &knnModel{Scale: sc, K: k, Train: sc.transform(X)}, nil
}
