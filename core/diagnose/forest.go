package diagnose

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// forest is a Random Forest of CART trees (gini impurity, bootstrap samples, √d candidate
// features per split), as scikit-learn's RandomForestClassifier with default settings.
type forest struct {
	Trees    []tree
	NClasses int
}

// tree is a flattened CART tree. Leaves have Feature −1 and class probabilities in Probs.
type tree struct {
	Feature   []int32
	Threshold []float64
	Left      []int32
	Right     []int32
	Probs     [][]float32
}

type forestParams struct {
	Trees, MaxFeatures, MinLeaf, MaxDepth, Workers int
	Seed                                           uint64
}

// trainForest grows the trees on Workers goroutines. Tree i draws from its own PCG stream
// seeded with (seed, i), so the forest does not depend on scheduling.
func trainForest(ctx context.Context, X [][]float64, y []int, nClasses int, p forestParams) (*forest, error) {
	f := &forest{Trees: make([]tree, p.Trees), NClasses: nClasses}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(p.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := newBuilder(X, y, nClasses, p)
			for i := range jobs {
				f.Trees[i] = b.grow(rand.New(rand.NewPCG(p.Seed, uint64(i)+0x9e3779b97f4a7c15)))
			}
		}()
	}
	var err error
loop:
	for i := range p.Trees {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			break loop
		case jobs <- i:
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return f, nil
}

type builder struct {
	X        [][]float64
	y        []int
	k        int
	p        forestParams
	d        int
	t        tree
	weights  []int // bootstrap counts per sample
	order    []int
	features []int
	leftCnt  []float64
	rightCnt []float64
}

func newBuilder(X [][]float64, y []int, k int, p forestParams) *builder {
	return &builder{X: X, y: y, k: k, p: p, d: len(X[0]),
		weights: make([]int, len(X)), features: make([]int, len(X[0])),
		leftCnt: make([]float64, k), rightCnt: make([]float64, k)}
}

func (b *builder) grow(r *rand.Rand) tree {
	n := len(b.X)
	clear(b.weights)
	for range n {
		b.weights[r.IntN(n)]++
	}
	idx := make([]int, 0, n)
	for i, w := range b.weights {
		if w > 0 {
			idx = append(idx, i)
		}
	}
	b.t = tree{}
	b.node(idx, 0, r)
	return b.t
}

func (b *builder) counts(idx []int, c []float64) float64 {
	clear(c)
	var tot float64
	for _, i := range idx {
		w := float64(b.weights[i])
		c[b.y[i]] += w
		tot += w
	}
	return tot
}

func gini(c []float64, tot float64) float64 {
	if tot == 0 {
		return 0
	}
	g := 1.0
	for _, v := range c {
		q := v / tot
		g -= q * q
	}
	return g
}

// node grows the subtree on samples idx and returns its index.
func (b *builder) node(idx []int, depth int, r *rand.Rand) int32 {
	id := int32(len(b.t.Feature))
	b.t.Feature = append(b.t.Feature, -1)
	b.t.Threshold = append(b.t.Threshold, 0)
	b.t.Left = append(b.t.Left, -1)
	b.t.Right = append(b.t.Right, -1)
	b.t.Probs = append(b.t.Probs, nil)

	total := make([]float64, b.k)
	tot := b.counts(idx, total)
	imp := gini(total, tot)
	leaf := func() int32 {
		pr := make([]float32, b.k)
		for c, v := range total {
			pr[c] = float32(v / tot)
		}
		b.t.Probs[id] = pr
		return id
	}
	if imp == 0 || len(idx) < 2*b.p.MinLeaf || (b.p.MaxDepth > 0 && depth >= b.p.MaxDepth) {
		return leaf()
	}

	// Candidate features: a random subset of MaxFeatures; like scikit-learn, keep drawing past
	// constant features until one valid split is found or all features were tried.
	for i := range b.features {
		b.features[i] = i
	}
	bestF, bestT, bestScore := -1, 0.0, math.Inf(1)
	sorted := slices.Clone(idx)
	for tried := 0; tried < b.d; tried++ {
		j := tried + r.IntN(b.d-tried)
		b.features[tried], b.features[j] = b.features[j], b.features[tried]
		f := b.features[tried]
		if tried >= b.p.MaxFeatures && bestF >= 0 {
			break
		}
		slices.SortFunc(sorted, func(a, c int) int {
			va, vc := b.X[a][f], b.X[c][f]
			switch {
			case va < vc:
				return -1
			case va > vc:
				return 1
			}
			return a - c
		})
		if b.X[sorted[0]][f] == b.X[sorted[len(sorted)-1]][f] {
			continue
		}
		clear(b.leftCnt)
		copy(b.rightCnt, total)
		var nl float64
		for s := 0; s < len(sorted)-1; s++ {
			i := sorted[s]
			w := float64(b.weights[i])
			b.leftCnt[b.y[i]] += w
			b.rightCnt[b.y[i]] -= w
			nl += w
			v, next := b.X[i][f], b.X[sorted[s+1]][f]
			if v == next || s+1 < b.p.MinLeaf || len(sorted)-s-1 < b.p.MinLeaf {
				continue
			}
			nr := tot - nl
			score := nl*gini(b.leftCnt, nl) + nr*gini(b.rightCnt, nr)
			if score < bestScore {
				bestF, bestT, bestScore = f, v+(next-v)/2, score
			}
		}
	}
	if bestF < 0 || bestScore >= imp*tot-1e-12 {
		return leaf()
	}
	var left, right []int
	for _, i := range idx {
		if b.X[i][bestF] <= bestT {
			left = append(left, i)
		} else {
			right = append(right, i)
		}
	}
	b.t.Feature[id] = int32(bestF)
	b.t.Threshold[id] = bestT
	l := b.node(left, depth+1, r)
	rr := b.node(right, depth+1, r)
	b.t.Left[id], b.t.Right[id] = l, rr
	return id
}

func (t *tree) predict(x []float64) []float32 {
	i := int32(0)
	for t.Feature[i] >= 0 {
		if x[t.Feature[i]] <= t.Threshold[i] {
			i = t.Left[i]
		} else {
			i = t.Right[i]
		}
	}
	return t.Probs[i]
}

// proba averages the trees' leaf class frequencies (scikit-learn's predict_proba).
func (f *forest) proba(x []float64) []float64 {
	p := make([]float64, f.NClasses)
	for i := range f.Trees {
		for c, v := range f.Trees[i].predict(x) {
			p[c] += float64(v)
		}
	}
	for c := range p {
		p[c] /= float64(len(f.Trees))
	}
	return p
}
