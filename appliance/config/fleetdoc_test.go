package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestFleetDocExamples parses the configuration examples of docs/FLEET.md (name,
// logging.loki, error_tracking, the plant's MQTT receiver), so they cannot drift from what
// the daemon accepts.
func TestFleetDocExamples(t *testing.T) {
	b, err := os.ReadFile("../../docs/FLEET.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	if len(blocks) < 3 {
		t.Fatalf("found %d yaml blocks in docs/FLEET.md, want the Loki, error tracking and MQTT examples", len(blocks))
	}
	for i, blk := range blocks {
		y := strings.ReplaceAll(blk[1], "PUBLIC_KEY", "0123456789abcdef")
		if _, err := Parse([]byte(base + y)); err != nil {
			t.Errorf("docs/FLEET.md yaml block %d does not parse: %v\n%s", i+1, err, y)
		}
	}
}
