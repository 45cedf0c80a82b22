package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEExamples parses the configuration examples in the README, so they cannot drift
// from what the daemon accepts.
func TestREADMEExamples(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	if len(blocks) < 2 {
		t.Fatalf("found %d yaml blocks in README.md, want the microphone and the alerting examples", len(blocks))
	}
	for i, blk := range blocks {
		y := blk[1]
		if !strings.Contains(y, "sources:") { // a fragment: complete it with a source and a machine
			y = base + y
		}
		if _, err := Parse([]byte(y)); err != nil {
			t.Errorf("README yaml block %d does not parse: %v\n%s", i+1, err, y)
		}
	}
}
