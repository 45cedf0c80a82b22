package detect

// DefaultFolds is the number of contiguous folds used to score training windows.
const DefaultFolds = 5

// CrossValidatedScores scores each training vector with a model fitted without it: X is
// split into folds contiguous blocks (windows are in time order and overlap, so random
// folds would leak neighbours into training), each block is scored by a model fitted on
// the others. In-sample scores are biased low, more so when windows are few and dimensions
// many, and a threshold fitted to them raises false alarms as soon as monitoring starts.
// With fewer than 2·folds vectors it falls back to TrainingScores of a model fitted on all.
func CrossValidatedScores(kind Kind, X [][]float64, opts Options, folds int) ([]float64, error) {
	if folds < 2 || len(X) < 2*folds {
		m, err := Fit(kind, X, opts)
		if err != nil {
			return nil, err
		}
		return TrainingScores(m, X), nil
	}
	scores := make([]float64, len(X))
	train := make([][]float64, 0, len(X))
	for f := 0; f < folds; f++ {
		lo, hi := f*len(X)/folds, (f+1)*len(X)/folds
		train = append(append(train[:0], X[:lo]...), X[hi:]...)
		m, err := Fit(kind, train, opts)
		if err != nil {
			return nil, err
		}
		for i := lo; i < hi; i++ {
			scores[i] = m.Score(X[i])
		}
	}
	return scores, nil
}
