package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// MQTTState is the retained payload at <prefix>/<machine>/state.
type MQTTState struct {
	State    string    `json:"state"` // "firing" or "resolved"
	Severity string    `json:"severity"`
	Value    float64   `json:"value"`
	Since    time.Time `json:"since"`
	Rule     string    `json:"rule"`
	Summary  string    `json:"summary,omitempty"`
}

// MQTTEvent is the payload at <prefix>/<machine>/alert (not retained).
type MQTTEvent struct {
	Key      string    `json:"key"`
	Status   Status    `json:"status"`
	Severity string    `json:"severity"`
	Title    string    `json:"title"`
	Body     string    `json:"body"`
	Machine  string    `json:"machine"`
	Rule     string    `json:"rule"`
	Value    float64   `json:"value"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
	Summary  string    `json:"summary,omitempty"`
}

// HADiscovery is the Home Assistant MQTT discovery config for a machine's binary sensor.
type HADiscovery struct {
	Name                string   `json:"name"`
	UniqueID            string   `json:"unique_id"`
	StateTopic          string   `json:"state_topic"`
	ValueTemplate       string   `json:"value_template"`
	PayloadOn           string   `json:"payload_on"`
	PayloadOff          string   `json:"payload_off"`
	DeviceClass         string   `json:"device_class"`
	JSONAttributesTopic string   `json:"json_attributes_topic"`
	Device              HADevice `json:"device"`
}

// HADevice groups a machine's entities in Home Assistant.
type HADevice struct {
	Identifiers  []string `json:"identifiers"`
	Name         string   `json:"name"`
	Manufacturer string   `json:"manufacturer"`
}

const mqttQoS = 1

// topicLevel makes a machine name safe as one topic level.
func topicLevel(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '/', '+', '#', 0:
			return '_'
		}
		return r
	}, s)
}

// objectID makes a machine name safe as a Home Assistant object id.
func objectID(s string) string {
	id := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
	if id == "" {
		id = "unknown"
	}
	return id
}

func severityRank(s string) int {
	return map[string]int{SeverityInfo: 1, SeverityWarning: 2, SeverityCritical: 3}[s]
}

type mqttPublish struct {
	topic    string
	retained bool
	payload  []byte
}

// mqttPublishes lists what one message publishes, in order: discovery configs, retained
// states (one per machine: its most severe firing alert, else its most severe resolved one),
// then events (one per alert, with the alert's own status).
func (f formatter) mqttPublishes(c *MQTTConfig, m Message, lang string) ([]mqttPublish, error) {
	prefix := c.TopicPrefix
	if prefix == "" {
		prefix = DefaultMQTTTopicPrefix
	}
	disc := c.DiscoveryPrefix
	if disc == "" {
		disc = DefaultDiscoveryPrefix
	}
	alerts := m.Alerts
	if len(alerts) == 0 {
		alerts = []AlertInfo{{Machine: m.Labels["machine"], Severity: m.Severity, StartsAt: m.SentAt}}
	}
	var out []mqttPublish
	add := func(topic string, retained bool, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		out = append(out, mqttPublish{topic: topic, retained: retained, payload: b})
		return nil
	}
	if m.Status != StatusTest {
		var order []string
		worst := map[string]AlertInfo{}
		rank := func(a AlertInfo) int {
			r := severityRank(a.Severity)
			if m.status(a) == StatusFiring {
				r += 10
			}
			return r
		}
		for _, a := range alerts {
			mc := topicLevel(a.Machine)
			if w, seen := worst[mc]; !seen {
				order = append(order, mc)
				worst[mc] = a
			} else if rank(a) > rank(w) {
				worst[mc] = a
			}
		}
		for _, mc := range order {
			a := worst[mc]
			stateTopic := prefix + "/" + mc + "/state"
			if c.HomeAssistant {
				id := "signalcraft_" + objectID(a.Machine)
				d := HADiscovery{
					Name: a.Machine, UniqueID: id, StateTopic: stateTopic,
					ValueTemplate: "{{ value_json.state }}", PayloadOn: string(StatusFiring), PayloadOff: string(StatusResolved),
					DeviceClass: "problem", JSONAttributesTopic: stateTopic,
					Device: HADevice{Identifiers: []string{id}, Name: "SignalCraft " + a.Machine, Manufacturer: "SignalCraft"},
				}
				if err := add(disc+"/binary_sensor/"+id+"/config", true, d); err != nil {
					return nil, err
				}
			}
			st := m.status(a)
			since := a.StartsAt
			if st == StatusResolved && !a.EndsAt.IsZero() {
				since = a.EndsAt
			}
			s := MQTTState{State: string(st), Severity: a.Severity, Value: a.Value, Since: since, Rule: a.Rule, Summary: a.Summary}
			if err := add(stateTopic, true, s); err != nil {
				return nil, err
			}
		}
	}
	title, body := f.title(m, lang), f.body(m, lang)
	for _, a := range alerts {
		e := MQTTEvent{Key: m.Key, Status: m.status(a), Severity: a.Severity, Title: title, Body: body,
			Machine: a.Machine, Rule: a.Rule, Value: a.Value, StartsAt: a.StartsAt, EndsAt: a.EndsAt, Summary: a.Summary}
		if err := add(prefix+"/"+topicLevel(a.Machine)+"/alert", false, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func mqttClientID(c *MQTTConfig, name string) string {
	if c.ClientID != "" {
		return c.ClientID
	}
	id := "signalcraft-" + name
	if len(id) > 23 { // the length every MQTT 3.1.1 broker must accept
		id = id[:23]
	}
	return id
}

func (n *Notifier) sendMQTT(ctx context.Context, r Receiver, m Message, lang string) error {
	c := r.MQTT
	pubs, err := n.fmt.mqttPublishes(c, m, lang)
	if err != nil {
		return permanentf("encode MQTT payload: %w", err)
	}
	timeout := timeoutOr(c.Timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts := mqtt.NewClientOptions().
		AddBroker(c.Broker).
		SetClientID(mqttClientID(c, r.Name)).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(timeout).
		SetWriteTimeout(timeout).
		SetOrderMatters(true)
	if c.Username != "" {
		opts.SetUsername(c.Username)
	}
	if c.Password != "" {
		opts.SetPassword(c.Password)
	}
	cl := mqtt.NewClient(opts)
	if err := wait(ctx, cl.Connect()); err != nil {
		var perm bool
		// Refused credentials or client id: retrying will not help.
		for _, e := range []error{packets.ErrorRefusedBadUsernameOrPassword, packets.ErrorRefusedNotAuthorised, packets.ErrorRefusedIDRejected, packets.ErrorRefusedBadProtocolVersion} {
			perm = perm || errors.Is(err, e)
		}
		return &sendError{err: fmt.Errorf("connect to MQTT broker %s: %w", redactURL(c.Broker, false), err), permanent: perm}
	}
	defer cl.Disconnect(100)
	for _, p := range pubs {
		if err := wait(ctx, cl.Publish(p.topic, mqttQoS, p.retained, p.payload)); err != nil {
			return retryablef(0, "publish %s: %w", p.topic, err)
		}
	}
	return nil
}

// wait waits for a paho token or the context.
func wait(ctx context.Context, t mqtt.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
