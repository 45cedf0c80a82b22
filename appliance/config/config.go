// Package config reads the appliance's YAML configuration strictly: unknown keys are errors,
// defaults are applied before validation, and every error names the field (as a path such
// as machines[1].detection.model) and the offending value.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"signalcraft/core/alert"
	"signalcraft/core/machine"
	"signalcraft/core/notify"
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid configuration")

// Source kinds.
const (
	KindPortAudio = "portaudio"
	KindWAV       = "wav"
	KindSimulator = "simulator"
)

// Config is the whole appliance configuration.
type Config struct {
	DataDir  string    `yaml:"data_dir"`  // database and models live here
	Database string    `yaml:"database"`  // file name inside data_dir, or an absolute path
	LogLevel string    `yaml:"log_level"` // debug, info, warn, error
	Store    Store     `yaml:"store"`
	API      API       `yaml:"api"`
	Sources  []Source  `yaml:"sources"`
	Machines []Machine `yaml:"machines"`
	// Language of notifications: en or ko.
	Language string `yaml:"language"`
	// Alerting is the alert engine's configuration (core/alert: rules, route,
	// inhibit_rules, maintenance_windows); left out, the default rules route every alert
	// to the receiver "default".
	Alerting yaml.Node `yaml:"alerting"`
	// Receivers are where notifications go (core/notify). A receiver the route names but
	// that is not configured here only writes the notification to the log.
	Receivers []notify.Receiver `yaml:"receivers"`
	// LogFormat is how log lines are written to stdout: text (logfmt) or json (one object
	// a line, for journald and log shippers).
	LogFormat string `yaml:"log_format"`
	// Metrics says where the Prometheus metrics and health endpoints are served.
	Metrics Metrics `yaml:"metrics"`
	// Replication continuously copies the database to an S3-compatible store.
	Replication Replication `yaml:"replication"`
	// Clips are the audio clips saved around anomaly events, their quota and upload.
	Clips Clips `yaml:"clips"`
	// Retention says how long scores and their rollups are kept.
	Retention Retention `yaml:"retention"`
	// Retraining is the learning loop: datasets kept from learning and labels, and what
	// starts a retraining.
	Retraining Retraining `yaml:"retraining"`
	// Reports are the daily and weekly reports and where they are mailed.
	Reports Reports `yaml:"reports"`
	// Name is the appliance's name in central logs (the Loki label appliance), error
	// tracking and the fleet's Prometheus labels (docs/FLEET.md); default: the host name.
	Name string `yaml:"name"`
	// ErrorTracking sends panics and ERROR log lines to a Sentry-compatible server.
	ErrorTracking ErrorTracking `yaml:"error_tracking"`
	// Logging ships log lines to a central store (Grafana Loki) besides stdout.
	Logging Logging `yaml:"logging"`
	// Correlation relates the machines to each other (common cause, attribution).
	Correlation Correlation `yaml:"correlation"`
}

// Store tunes database writes.
type Store struct {
	BatchSize  int           `yaml:"batch_size"`  // window rows per transaction
	FlushEvery time.Duration `yaml:"flush_every"` // commit at least this often
}

// API says where the appliance's API listens.
type API struct {
	// Socket is the unix socket for clients on the same machine; whoever may open it is
	// admin, so its permissions are the access control. "" disables it.
	Socket string `yaml:"socket"`
	// Listen is a TCP address such as ":8443" for TLS with bearer tokens; "" disables it.
	Listen string `yaml:"listen"`
	// CertHosts are extra names or addresses put in the self-signed certificate.
	CertHosts []string `yaml:"cert_hosts"`
}

// Metrics says where the Prometheus metrics and the health endpoints are served.
type Metrics struct {
	// Listen is a plain-HTTP address for /metrics, /healthz, /readyz and /health, without
	// authentication: keep it on loopback or a management network. "" disables it.
	Listen string `yaml:"listen"`
}

// DefaultMetricsListen is where metrics are served unless the configuration says otherwise.
const DefaultMetricsListen = "127.0.0.1:9477"

// A machine's settings and their rules are core/machine's, shared with the API and the clients.
type (
	Machine       = machine.Machine
	Detection     = machine.Detection
	Diagnosis     = machine.Diagnosis
	Binding       = machine.Binding
	BearingOrders = machine.BearingOrders
)

// Source is where samples come from: a PortAudio device, a WAV file or folder, or a simulator.
type Source struct {
	ID         string        `yaml:"id"`
	Kind       string        `yaml:"kind"`
	Device     string        `yaml:"device"` // portaudio: exact device name (signalcraftd devices)
	SampleRate int           `yaml:"sample_rate"`
	Channels   int           `yaml:"channels"`
	Paths      []string      `yaml:"paths"`    // wav: files, folders of *.wav or globs, played in order
	Realtime   *bool         `yaml:"realtime"` // wav, simulator: pace like a live microphone (default true)
	Loop       bool          `yaml:"loop"`     // wav: start again at the end
	Simulator  *SimulatorCfg `yaml:"simulator"`
}

// SimulatorCfg configures a simulated machine source, one machine per channel.
type SimulatorCfg struct {
	ShaftHz float64 `yaml:"shaft_hz"`
	// Faults lists, per channel, a developing bearing fault (empty: healthy).
	Faults []SimFault `yaml:"faults"`
	Seed   int64      `yaml:"seed"`
	// Duration ends the simulated signal after this long; 0 runs until the daemon stops.
	Duration time.Duration `yaml:"duration"`
}

// SimFault is a bearing fault that develops on one simulated channel.
type SimFault struct {
	Channel int           `yaml:"channel"`
	Start   time.Duration `yaml:"start"` // after the source starts
	Ramp    time.Duration `yaml:"ramp"`  // time to grow to full level
	Level   float64       `yaml:"level"` // impact amplitude relative to the machine's sound
}

// Defaults returns a configuration holding every default; decoding fills it.
func Defaults() Config {
	return Config{
		DataDir:     "/var/lib/signalcraft",
		Database:    "signalcraft.db",
		LogLevel:    "info",
		LogFormat:   "text",
		Metrics:     Metrics{Listen: DefaultMetricsListen},
		Language:    notify.LangEnglish,
		Store:       Store{BatchSize: 256, FlushEvery: time.Second},
		API:         API{Socket: "/run/signalcraft/api.sock"},
		Clips:       DefaultClips(),
		Retention:   DefaultRetention(),
		Retraining:  DefaultRetraining(),
		Correlation: DefaultCorrelation(),
	}
}

// applyDefaults fills what the file left out and depends on other fields.
func (c *Config) applyDefaults() {
	c.Replication.applyDefaults()
	c.applyObserveDefaults()
	for i := range c.Sources {
		s := &c.Sources[i]
		switch s.Kind {
		case KindWAV:
			if s.Realtime == nil {
				t := true
				s.Realtime = &t
			}
			if s.Channels == 0 {
				s.Channels = 1 // checked against the file when the source opens
			}
		case KindSimulator:
			if s.Realtime == nil {
				t := true
				s.Realtime = &t
			}
			if s.SampleRate == 0 {
				s.SampleRate = 16000
			}
			if s.Simulator == nil {
				s.Simulator = &SimulatorCfg{}
			}
			if s.Simulator.ShaftHz == 0 {
				s.Simulator.ShaftHz = 29.95
			}
		}
	}
	for i := range c.Machines {
		machine.DefaultDetection(&c.Machines[i].Detection, c.Machines[i].Kind)
		c.Machines[i].Diagnosis.Default()
	}
}

// Replay reports whether any source replays a recording as fast as possible (realtime:
// false). Then the appliance runs on stream time — the time of the sound analysed —
// rather than the wall clock, and every source must be such a replay.
func (c *Config) Replay() bool {
	for _, s := range c.Sources {
		if s.Kind != KindPortAudio && s.Realtime != nil && !*s.Realtime {
			return true
		}
	}
	return false
}

// Load reads and validates the file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, InFile(path, err)
	}
	return c, nil
}

// InFile prefixes err with the file it is about. Several problems (errors.Join) are listed
// one per indented line under a count, so each stays readable; errors.Is and errors.As
// still see every one.
func InFile(path string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 1 {
		return &fileErrors{path: path, errs: j.Unwrap()}
	}
	return fmt.Errorf("%s: %w", path, err)
}

type fileErrors struct {
	path string
	errs []error
}

func (e *fileErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", e.path, len(e.errs))
	for _, err := range e.errs {
		b.WriteString("\n  ")
		b.WriteString(strings.ReplaceAll(err.Error(), "\n", "\n    "))
	}
	return b.String()
}

func (e *fileErrors) Unwrap() []error { return e.errs }

// Parse decodes YAML strictly, applies defaults and validates.
func Parse(b []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the file is empty", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	c := Defaults()
	if err := checkKeys(&root, reflect.TypeOf(c), ""); err != nil {
		return nil, err
	}
	if err := root.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "))
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// checkKeys walks the YAML tree beside the Go type and reports the first key the type does
// not have, with its path and line, and the keys that would be accepted.
func checkKeys(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return checkKeys(n.Content[0], t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeOf(yaml.Node{}) {
			return nil // decoded and checked by its own package
		}
		if t == reflect.TypeOf(time.Duration(0)) || n.Kind != yaml.MappingNode {
			return nil
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("%w: line %d: unknown field %q in %s (known fields: %s)",
					ErrInvalid, k.Line, k.Value, orRoot(path), strings.Join(names, ", "))
			}
			if seen[k.Value] {
				return fmt.Errorf("%w: line %d: %s is given twice", ErrInvalid, k.Line, join(path, k.Value))
			}
			seen[k.Value] = true
			if err := checkKeys(v, ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, item := range n.Content {
			if err := checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

// FieldError is a validation error of one field: its path (machines[1].detection.model),
// the value it had, and why that value is wrong. It wraps ErrInvalid.
type FieldError struct {
	Path   string
	Value  any
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%v: %s %s: %s", ErrInvalid, e.Path, quote(e.Value), e.Reason)
}

func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(path string, value any, why string) error {
	return &FieldError{Path: path, Value: value, Reason: why}
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

// Validate reports every invalid field at once (joined with errors.Join, one per line),
// each a *FieldError naming the field and its value, so a config needs one fix round, not one per run.
func (c *Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if c.DataDir == "" {
		add(fieldErr("data_dir", c.DataDir, "must not be empty"))
	}
	if c.Database == "" {
		add(fieldErr("database", c.Database, "must not be empty"))
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		add(fieldErr("log_level", c.LogLevel, "must be one of debug, info, warn, error"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		add(fieldErr("log_format", c.LogFormat, "must be text or json"))
	}
	if c.Metrics.Listen != "" {
		if _, port, err := net.SplitHostPort(c.Metrics.Listen); err != nil || port == "" {
			add(fieldErr("metrics.listen", c.Metrics.Listen, "must be host:port, e.g. 127.0.0.1:9477"))
		}
	}
	add(c.Replication.validate())
	errs = append(errs, c.validateObserve()...)
	if c.Store.BatchSize < 1 || c.Store.BatchSize > 100000 {
		add(fieldErr("store.batch_size", c.Store.BatchSize, "must be between 1 and 100000"))
	}
	if c.Store.FlushEvery < 10*time.Millisecond {
		add(fieldErr("store.flush_every", c.Store.FlushEvery, "must be at least 10ms"))
	}
	if c.API.Listen != "" {
		if _, port, err := net.SplitHostPort(c.API.Listen); err != nil || port == "" {
			add(fieldErr("api.listen", c.API.Listen, "must be host:port or :port, e.g. :8443"))
		}
	}
	if c.Language != notify.LangEnglish && c.Language != notify.LangKorean {
		add(fieldErr("language", c.Language, "must be en or ko"))
	}
	add(c.Clips.validate())
	if c.Clips.Upload && c.Replication.S3 == nil {
		add(fieldErr("clips.upload", true, "clips are uploaded to the replication bucket: configure replication.s3"))
	}
	add(c.Retraining.validate())
	add(c.Correlation.validate())
	add(c.Retention.validate())
	for _, err := range c.validateReports() {
		add(err)
	}
	names := map[string]bool{}
	for i, r := range c.Receivers {
		if err := r.Validate(); err != nil {
			add(fieldErr(fmt.Sprintf("receivers[%d]", i), r.Name, err.Error()))
		}
		if names[r.Name] {
			add(fieldErr(fmt.Sprintf("receivers[%d].name", i), r.Name, "is used by an earlier receiver"))
		}
		names[r.Name] = true
	}
	if _, err := c.AlertConfig(); err != nil {
		add(fieldErr("alerting", "…", err.Error()))
	}
	if len(c.Sources) == 0 {
		add(fieldErr("sources", "[]", "at least one source is needed"))
	}
	sources := map[string]*Source{}
	for i := range c.Sources {
		s := &c.Sources[i]
		p := fmt.Sprintf("sources[%d]", i)
		add(s.validate(p))
		if _, dup := sources[s.ID]; dup {
			add(fieldErr(p+".id", s.ID, "is used by an earlier source"))
			continue
		}
		sources[s.ID] = s
	}
	if c.Replay() {
		for i, s := range c.Sources {
			if s.Realtime == nil || *s.Realtime {
				add(fieldErr(fmt.Sprintf("sources[%d].realtime", i), true,
					"a recording replayed as fast as possible (realtime: false) runs the appliance on the recording's time; every source must then be such a replay"))
			}
		}
	}
	if len(c.Machines) == 0 {
		add(fieldErr("machines", "[]", "at least one machine is needed"))
	}
	ids := map[string]bool{}
	bound := map[Binding]string{}
	for i := range c.Machines {
		m := &c.Machines[i]
		p := fmt.Sprintf("machines[%d]", i)
		for _, pr := range m.Problems() {
			add(fieldErr(p+"."+pr.Path, pr.Value, pr.Reason))
		}
		if ids[m.ID] {
			add(fieldErr(p+".id", m.ID, "is used by an earlier machine"))
		}
		ids[m.ID] = true
		s, ok := sources[m.Sensor.Source]
		if !ok {
			if machine.ValidID(m.Sensor.Source) { // an invalid id is reported by Problems
				add(fieldErr(p+".sensor.source", m.Sensor.Source, "no source has this id"))
			}
			continue
		}
		if m.Sensor.Channel >= s.Channels && s.Channels > 0 {
			add(fieldErr(p+".sensor.channel", m.Sensor.Channel,
				fmt.Sprintf("source %q has channels 0 to %d", s.ID, s.Channels-1)))
		}
		if other, taken := bound[m.Sensor]; taken {
			add(fieldErr(p+".sensor", fmt.Sprintf("%s channel %d", m.Sensor.Source, m.Sensor.Channel),
				fmt.Sprintf("already bound to machine %q", other)))
		} else {
			bound[m.Sensor] = m.ID
		}
	}
	return errors.Join(errs...)
}

func (s *Source) validate(p string) error {
	if !machine.ValidID(s.ID) {
		return fieldErr(p+".id", s.ID, "must be 1-64 characters of a-z, 0-9, '-' and '_'")
	}
	switch s.Kind {
	case KindPortAudio:
		if s.Device == "" {
			return fieldErr(p+".device", s.Device, "the exact device name is needed (list them with: signalcraftd devices)")
		}
		if !slices.Contains([]int{16000, 44100, 48000}, s.SampleRate) {
			return fieldErr(p+".sample_rate", s.SampleRate, "must be 16000, 44100 or 48000")
		}
	case KindWAV:
		if len(s.Paths) == 0 {
			return fieldErr(p+".paths", "[]", "a WAV file, a folder of WAV files or a glob is needed")
		}
		for j, path := range s.Paths {
			if path == "" {
				return fieldErr(fmt.Sprintf("%s.paths[%d]", p, j), path, "must not be empty")
			}
		}
		if s.SampleRate != 0 {
			return fieldErr(p+".sample_rate", s.SampleRate, "comes from the WAV file; leave it out")
		}
	case KindSimulator:
		if !slices.Contains([]int{16000, 44100, 48000}, s.SampleRate) {
			return fieldErr(p+".sample_rate", s.SampleRate, "must be 16000, 44100 or 48000")
		}
	default:
		return fieldErr(p+".kind", s.Kind, "must be portaudio, wav or simulator")
	}
	if s.Kind != KindWAV && (s.Channels < 1 || s.Channels > 32) {
		return fieldErr(p+".channels", s.Channels, "must be between 1 and 32")
	}
	if s.Simulator != nil && s.Kind != KindSimulator {
		return fieldErr(p+".simulator", "…", "only a simulator source takes simulator settings")
	}
	if s.Realtime != nil && s.Kind == KindPortAudio {
		return fieldErr(p+".realtime", *s.Realtime, "a microphone is always real time; leave it out")
	}
	if s.Kind == KindSimulator {
		sim := s.Simulator
		if sim.Duration < 0 {
			return fieldErr(p+".simulator.duration", sim.Duration, "must not be negative")
		}
		if sim.ShaftHz < 1 || sim.ShaftHz > float64(s.SampleRate)/20 {
			return fieldErr(p+".simulator.shaft_hz", sim.ShaftHz, fmt.Sprintf("must be between 1 and %d", s.SampleRate/20))
		}
		for j, f := range sim.Faults {
			fp := fmt.Sprintf("%s.simulator.faults[%d]", p, j)
			if f.Channel < 0 || f.Channel >= s.Channels {
				return fieldErr(fp+".channel", f.Channel, fmt.Sprintf("the source has channels 0 to %d", s.Channels-1))
			}
			if f.Start < 0 {
				return fieldErr(fp+".start", f.Start, "must not be negative")
			}
			if f.Ramp < 0 {
				return fieldErr(fp+".ramp", f.Ramp, "must not be negative")
			}
			if f.Level <= 0 || f.Level > 10 {
				return fieldErr(fp+".level", f.Level, "must be above 0 and at most 10")
			}
		}
	}
	return nil
}

// AlertConfig returns the alert engine's configuration: the alerting section (or the
// defaults) with its receivers taken from the receivers section. Every receiver the routing
// tree names and the receivers section lacks is added as a log-only receiver.
func (c *Config) AlertConfig() (alert.Config, error) {
	var named []string
	if c.Alerting.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(c.Alerting.Content); i += 2 {
			if k := c.Alerting.Content[i]; k.Value == "receivers" {
				return alert.Config{}, fmt.Errorf("alerting.receivers: line %d: receivers are configured in the top-level receivers section", k.Line)
			}
		}
		named = receiverNames(&c.Alerting, nil)
	} else {
		named = alert.DefaultConfig().Route.Receivers()
	}
	var rs []alert.Receiver
	have := map[string]bool{}
	for _, r := range c.Receivers {
		rs = append(rs, alert.Receiver{Name: r.Name, SendResolved: r.SendResolved})
		have[r.Name] = true
	}
	for _, name := range named {
		if !have[name] {
			rs = append(rs, alert.Receiver{Name: name})
			have[name] = true
		}
	}
	if c.Alerting.Kind != yaml.MappingNode {
		ac := alert.DefaultConfig()
		ac.Receivers = rs
		return ac, ac.Validate()
	}
	// Hand the section to core/alert's strict parser with the receivers list added.
	var recvNode yaml.Node
	if err := recvNode.Encode(rs); err != nil {
		return alert.Config{}, err
	}
	doc := c.Alerting
	doc.Content = append(slices.Clone(doc.Content), &yaml.Node{Kind: yaml.ScalarNode, Value: "receivers"}, &recvNode)
	if !slices.ContainsFunc(c.Alerting.Content, func(k *yaml.Node) bool { return k.Value == "rules" }) {
		var rules yaml.Node // a section without rules keeps the default rules
		if err := rules.Encode(alert.DefaultConfig().Rules); err != nil {
			return alert.Config{}, err
		}
		doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "rules"}, &rules)
	}
	b, err := yaml.Marshal(&doc)
	if err != nil {
		return alert.Config{}, err
	}
	return alert.ParseConfig(b)
}

// receiverNames lists the values of every "receiver" key in a YAML tree.
func receiverNames(n *yaml.Node, out []string) []string {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; k.Value == "receiver" && v.Kind == yaml.ScalarNode {
				out = append(out, v.Value)
			}
		}
	}
	for _, c := range n.Content {
		out = receiverNames(c, out)
	}
	return out
}

// DatabasePath is where the database file lives.
func (c *Config) DatabasePath() string {
	if strings.HasPrefix(c.Database, "/") {
		return c.Database
	}
	return c.DataDir + "/" + c.Database
}
