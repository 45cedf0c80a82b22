package daemon

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"signalcraft/appliance/capture"
	"signalcraft/appliance/config"
	"signalcraft/appliance/datadir"
)

// CheckOptions says what Check may look at besides the files the configuration names.
type CheckOptions struct {
	// Devices lists the capture devices (capture.Devices); nil skips the device checks,
	// as when an image is built on a machine without the appliance's microphones.
	Devices func() ([]capture.Device, error)
}

// Check reports, all at once, the problems New would meet at start-up with a configuration
// that already passed config.Validate: a data_dir the current user cannot write or create,
// WAV sources whose files the daemon would refuse (checked by opening them as New does),
// and PortAudio sources whose device is not there or cannot capture as configured. Field
// problems are *config.FieldError values naming the field and its value. Check changes nothing.
func Check(cfg *config.Config, co CheckOptions) error {
	var errs []error
	if err := datadir.Check(cfg.DataDir, cfg.DatabasePath()); err != nil {
		errs = append(errs, &config.FieldError{Path: "data_dir", Value: cfg.DataDir, Reason: strings.TrimPrefix(err.Error(), "data_dir: ")})
	}
	var o Options
	o.defaults()
	for i, sc := range cfg.Sources {
		if sc.Kind != config.KindWAV {
			continue
		}
		src, err := openSource(sc, nil, o)
		if err != nil {
			errs = append(errs, &config.FieldError{Path: fmt.Sprintf("sources[%d].paths", i), Value: strings.Join(sc.Paths, ", "), Reason: err.Error()})
			continue
		}
		rate := src.Info().SampleRate
		for j, mc := range cfg.Machines {
			if mc.Sensor.Source != sc.ID {
				continue
			}
			if _, err := newChain(mc, rate); err != nil {
				errs = append(errs, &config.FieldError{Path: fmt.Sprintf("machines[%d].detection", j), Value: mc.ID,
					Reason: fmt.Sprintf("cannot analyse the %d Hz recordings of source %q: %v", rate, sc.ID, err)})
			}
		}
	}
	if co.Devices != nil && slices.ContainsFunc(cfg.Sources, func(s config.Source) bool { return s.Kind == config.KindPortAudio }) {
		devs, err := co.Devices()
		if err != nil {
			errs = append(errs, fmt.Errorf("list capture devices (skip this check with --no-devices): %w", err))
		} else {
			errs = append(errs, checkDevices(cfg, devs)...)
		}
	}
	return errors.Join(errs...)
}

// checkDevices checks each PortAudio source against the devices present: its device by
// exact name, its channel count and its sample rate.
func checkDevices(cfg *config.Config, devs []capture.Device) []error {
	var errs []error
	for i, sc := range cfg.Sources {
		if sc.Kind != config.KindPortAudio {
			continue
		}
		p := fmt.Sprintf("sources[%d]", i)
		k := slices.IndexFunc(devs, func(d capture.Device) bool { return d.Name == sc.Device })
		if k < 0 {
			errs = append(errs, &config.FieldError{Path: p + ".device", Value: sc.Device, Reason: noDevice(sc.Device, devs)})
			continue
		}
		d := devs[k]
		if sc.Channels > d.MaxInputChannels {
			errs = append(errs, &config.FieldError{Path: p + ".channels", Value: sc.Channels,
				Reason: fmt.Sprintf("device %q has %d input channel(s)", d.Name, d.MaxInputChannels)})
		}
		if !slices.Contains(d.SupportedRates, sc.SampleRate) {
			rates := "none of 16000, 44100, 48000"
			if len(d.SupportedRates) > 0 {
				rates = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(d.SupportedRates)), ", "), "[]")
			}
			errs = append(errs, &config.FieldError{Path: p + ".sample_rate", Value: sc.SampleRate,
				Reason: fmt.Sprintf("device %q records mono int16 at %s Hz", d.Name, rates)})
		}
	}
	return errs
}

// noDevice says that name is not a capture device, suggesting the devices with close names
// or, when none is close, listing them all.
func noDevice(name string, devs []capture.Device) string {
	if len(devs) == 0 {
		return "no such capture device: none is present (see `arecord -l`; skip this check with --no-devices)"
	}
	var close, all []string
	for _, d := range devs {
		all = append(all, strconv.Quote(d.Name))
		if similar(name, d.Name) {
			close = append(close, strconv.Quote(d.Name))
		}
	}
	if len(close) > 0 {
		return "no such capture device; did you mean " + strings.Join(close, " or ") + "? (names must match exactly; see signalcraftd devices)"
	}
	return "no such capture device; available: " + strings.Join(all, ", ") + " (see signalcraftd devices)"
}

// similar reports whether a device name is a near miss for the configured one: the same
// but for case or spacing, one containing the other, or a few edits apart.
func similar(want, got string) bool {
	w, g := strings.ToLower(strings.TrimSpace(want)), strings.ToLower(strings.TrimSpace(got))
	if w == "" {
		return false
	}
	if strings.Contains(g, w) || strings.Contains(w, g) {
		return true
	}
	return editDistance(w, g) <= max(2, len(w)/5)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
