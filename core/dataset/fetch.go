package dataset

import (
	"context"
	"fmt"
	"io"
)

// Getter reads an object by its name from where the objects are replicated (the S3
// bucket); appliance code provides it.
type Getter interface {
	Get(ctx context.Context, sha string) (io.ReadCloser, error)
}

// Fetch downloads from g every object of m that o lacks, verifying each against its name,
// and returns how many it fetched. It stops at the first failure, naming the object.
func Fetch(ctx context.Context, m Manifest, o Objects, g Getter) (fetched int, err error) {
	seen := map[string]bool{}
	for _, it := range m.Items {
		if seen[it.SHA256] || o.Has(it.SHA256) {
			continue
		}
		seen[it.SHA256] = true
		if err := ctx.Err(); err != nil {
			return fetched, err
		}
		if err := fetchOne(ctx, o, g, it.SHA256); err != nil {
			return fetched, fmt.Errorf("dataset: fetch %s (%s): %w", it.SHA256, it.Source, err)
		}
		fetched++
	}
	return fetched, nil
}

func fetchOne(ctx context.Context, o Objects, g Getter, sha string) error {
	r, err := g.Get(ctx, sha)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = o.PutVerified(r, sha)
	return err
}
