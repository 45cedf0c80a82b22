package config

import (
	_ "embed"
	"os"
	"path/filepath"
	"time"
)

// recordedLearning is how long the demo learns a recording: 18 of its 10-second clips, so
// the normal model has seen the spread between clips and does not call the next one anomalous.
const recordedLearning = 3 * time.Minute

//go:embed demo.yaml
var demoYAML []byte

// DemoYAML is the embedded demo configuration, used when no microphone is configured.
func DemoYAML() []byte { return demoYAML }

// Demo returns the demo configuration with its data in dataDir. When the DCASE recordings
// are found in sharedData, it adds replay sources for them: a real fan that stays normal and
// a real valve whose normal recordings are followed by anomalous ones.
func Demo(dataDir, sharedData string) (*Config, error) {
	c, err := Parse(demoYAML)
	if err != nil {
		return nil, err
	}
	c.DataDir = dataDir
	c.API.Socket = filepath.Join(dataDir, "api.sock")
	fan := filepath.Join(sharedData, "dcase2020-id00")
	if isDir(fan) {
		c.Sources = append(c.Sources, Source{ID: "rec-fan", Kind: KindWAV, Channels: 1, Loop: true,
			Paths: []string{filepath.Join(fan, "normal_*.wav")}})
		c.Machines = append(c.Machines, Machine{ID: "fan-rec", Name: "Recorded fan (DCASE 2020)", Kind: "fan",
			Line: "recordings", Sensor: Binding{Source: "rec-fan"}, Detection: Detection{Model: "mahalanobis", Learning: recordedLearning}})
	}
	valve := filepath.Join(sharedData, "dcase2022-valve-sec00-source")
	if isDir(valve) {
		c.Sources = append(c.Sources, Source{ID: "rec-valve", Kind: KindWAV, Channels: 1, Loop: true,
			Paths: []string{filepath.Join(valve, "*_normal_*.wav"), filepath.Join(valve, "*_anomaly_*.wav")}})
		c.Machines = append(c.Machines, Machine{ID: "valve-rec", Name: "Recorded valve (DCASE 2022)", Kind: "valve",
			Line: "recordings", Sensor: Binding{Source: "rec-valve"}, Detection: Detection{Model: "mahalanobis", Learning: recordedLearning}})
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
