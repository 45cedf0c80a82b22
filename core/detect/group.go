package detect

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// groupModel scores window vectors made of several groups of features (the log-mel
// statistics of the frames, then the modulation bands of the window) with one model per
// group, so that a strong change in a small group is not drowned by the normal variation
// of a large one: each group's score is divided by its median training score, and the
// window's score is the largest of these ratios.
type groupModel struct {
	K     Kind      `json:"kind"`
	Sizes []int     `json:"sizes"` // consecutive group lengths, summing to the dimension
	Parts []Model   `json:"-"`
	Scale []float64 `json:"scale"` // median training score of each group
	buf   [][]float64
}

// Kind returns the kind of the groups' models.
func (g *groupModel) Kind() Kind { return g.K }

// Dim returns the total dimension.
func (g *groupModel) Dim() int {
	n := 0
	for _, s := range g.Sizes {
		n += s
	}
	return n
}

// Score returns the largest group score relative to its median training score. It does
// not allocate and is safe for concurrent use.
func (g *groupModel) Score(x []float64) float64 {
	best, off := math.Inf(-1), 0
	for i, p := range g.Parts {
		n := g.Sizes[i]
		best = math.Max(best, p.Score(x[off:off+n])/g.Scale[i])
		off += n
	}
	return best
}

// split returns the columns of group i of X.
func split(X [][]float64, sizes []int, i int) [][]float64 {
	off := 0
	for _, s := range sizes[:i] {
		off += s
	}
	out := make([][]float64, len(X))
	for r, x := range X {
		out[r] = x[off : off+sizes[i]]
	}
	return out
}

func fitGroups(kind Kind, X [][]float64, opts Options) (Model, error) {
	sizes := opts.Groups
	total := 0
	for _, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("%w: feature group of %d values", ErrDimension, s)
		}
		total += s
	}
	if total != len(X[0]) {
		return nil, fmt.Errorf("%w: feature groups %v cover %d values, vectors have %d", ErrDimension, sizes, total, len(X[0]))
	}
	sub := opts
	sub.Groups = nil
	g := &groupModel{K: kind, Sizes: slices.Clone(sizes)}
	for i := range sizes {
		Xi := split(X, sizes, i)
		m, err := Fit(kind, Xi, sub)
		if err != nil {
			return nil, fmt.Errorf("feature group %d: %w", i, err)
		}
		s, err := CrossValidatedScores(kind, Xi, sub, DefaultFolds)
		if err != nil {
			return nil, fmt.Errorf("feature group %d: %w", i, err)
		}
		med, _, err := Threshold(s, DefaultQuantile)
		if err != nil || !(med > 0) || math.IsInf(med, 0) {
			med = 1 // a group that scores 0 on its training data (constant features)
		}
		g.Parts, g.Scale = append(g.Parts, m), append(g.Scale, med)
	}
	return g, nil
}

func (g *groupModel) validate() error {
	if len(g.Parts) != len(g.Sizes) || len(g.Scale) != len(g.Sizes) || len(g.Sizes) == 0 {
		return fmt.Errorf("%w: feature groups", ErrCorrupt)
	}
	for i, p := range g.Parts {
		if p.Dim() != g.Sizes[i] || !(g.Scale[i] > 0) || p.Kind() != g.K {
			return fmt.Errorf("%w: feature group %d", ErrCorrupt, i)
		}
	}
	return nil
}

// groupEnvelope is the serialised form of a groupModel.
type groupEnvelope struct {
	Kind  Kind              `json:"kind"`
	Sizes []int             `json:"sizes"`
	Scale []float64         `json:"scale"`
	Parts []json.RawMessage `json:"parts"`
}

func (g *groupModel) MarshalJSON() ([]byte, error) {
	e := groupEnvelope{Kind: g.K, Sizes: g.Sizes, Scale: g.Scale}
	for _, p := range g.Parts {
		b, err := MarshalModel(p)
		if err != nil {
			return nil, err
		}
		e.Parts = append(e.Parts, b)
	}
	return json.Marshal(e)
}

func (g *groupModel) UnmarshalJSON(b []byte) error {
	var e groupEnvelope
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	g.K, g.Sizes, g.Scale, g.Parts = e.Kind, e.Sizes, e.Scale, nil
	for _, pb := range e.Parts {
		p, err := UnmarshalModel(pb)
		if err != nil {
			return err
		}
		g.Parts = append(g.Parts, p)
	}
	return nil
}
