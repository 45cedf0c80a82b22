package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// startMosquitto runs a real Mosquitto broker on a free loopback port for the test.
func startMosquitto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/mosquitto"); serr == nil {
			bin = "/usr/sbin/mosquitto"
		} else {
			t.Fatalf("MQTT tests need the mosquitto binary (Debian package mosquitto; installer/dev-deps.sh test): %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	cfg := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n", port)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "tcp://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type mqttRecv struct {
	topic    string
	retained bool
	payload  []byte
}

// subscribe connects a paho client and collects what arrives on filter.
func subscribe(t *testing.T, broker, id, filter string) (func() []mqttRecv, func(n int) []mqttRecv) {
	t.Helper()
	var mu sync.Mutex
	var got []mqttRecv
	arrived := make(chan struct{}, 100)
	opts := mqtt.NewClientOptions().AddBroker(broker).SetClientID(id).SetAutoReconnect(false)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	tok := c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
		mu.Lock()
		got = append(got, mqttRecv{m.Topic(), m.Retained(), append([]byte(nil), m.Payload()...)})
		mu.Unlock()
		arrived <- struct{}{}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	all := func() []mqttRecv {
		mu.Lock()
		defer mu.Unlock()
		return append([]mqttRecv(nil), got...)
	}
	waitN := func(n int) []mqttRecv {
		timeout := time.After(5 * time.Second)
		for {
			if r := all(); len(r) >= n {
				return r
			}
			select {
			case <-arrived:
			case <-timeout:
				t.Fatalf("%s: got %d messages, want %d: %v", filter, len(all()), n, all())
			}
		}
	}
	return all, waitN
}

func TestMQTTRetainedStateAndDiscovery(t *testing.T) {
	broker := startMosquitto(t)
	clk := newFakeClock()
	n, logs := newTestNotifier(t, clk)
	const password = "MqttPassw0rd-do-not-leak"
	r := Receiver{Name: "plant-mqtt", Type: TypeMQTT, SendResolved: true, MQTT: &MQTTConfig{
		Broker: broker, Username: "signalcraft", Password: password, TopicPrefix: "sc/ansan", HomeAssistant: true,
	}}
	_, events := subscribe(t, broker, "events", "sc/ansan/+/alert")

	m := sampleMessage(clk, LangEnglish)
	if err := n.Deliver(context.Background(), r, m); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	// Events: one per alert, not retained, QoS 1.
	ev := events(2)
	for i, e := range ev {
		var got MQTTEvent
		if err := json.Unmarshal(e.payload, &got); err != nil {
			t.Fatal(err)
		}
		if e.topic != "sc/ansan/pump-1/alert" || e.retained || got.Key != m.Key || got.Rule != m.Alerts[i].Rule || got.Status != StatusFiring {
			t.Errorf("event %d on %s retained=%v: %s", i, e.topic, e.retained, e.payload)
		}
	}

	// A client connecting later gets the retained state and the discovery config.
	_, states := subscribe(t, broker, "late1", "sc/ansan/+/state")
	st := states(1)[0]
	if st.topic != "sc/ansan/pump-1/state" || !st.retained {
		t.Errorf("state on %s retained=%v", st.topic, st.retained)
	}
	var state map[string]any
	if err := json.Unmarshal(st.payload, &state); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"state": "firing", "severity": "critical", "value": 7.25,
		"since": m.Alerts[0].StartsAt.Format(time.RFC3339), "rule": "anomaly-score", "summary": "베어링 소음 증가"}
	for k, v := range want {
		if state[k] != v {
			t.Errorf("state[%q] = %v, want %v", k, state[k], v)
		}
	}
	_, disc := subscribe(t, broker, "late2", "homeassistant/binary_sensor/+/config")
	d := disc(1)[0]
	if d.topic != "homeassistant/binary_sensor/signalcraft_pump-1/config" || !d.retained {
		t.Errorf("discovery on %s retained=%v", d.topic, d.retained)
	}
	var hd HADiscovery
	if err := json.Unmarshal(d.payload, &hd); err != nil {
		t.Fatal(err)
	}
	if hd.DeviceClass != "problem" || hd.StateTopic != "sc/ansan/pump-1/state" || hd.UniqueID != "signalcraft_pump-1" ||
		hd.PayloadOn != "firing" || hd.PayloadOff != "resolved" || hd.ValueTemplate != "{{ value_json.state }}" {
		t.Errorf("discovery config %s", d.payload)
	}

	// Resolution replaces the retained state.
	clk.Advance(10 * time.Minute)
	res := m
	res.Key, res.Status = m.Key+"-resolved", StatusResolved
	res.Alerts = []AlertInfo{m.Alerts[0]}
	res.Alerts[0].EndsAt = clk.Now()
	if err := n.Deliver(context.Background(), r, res); err != nil {
		t.Fatalf("deliver resolved: %v", err)
	}
	events(3)
	_, states2 := subscribe(t, broker, "late3", "sc/ansan/pump-1/state")
	if err := json.Unmarshal(states2(1)[0].payload, &state); err != nil {
		t.Fatal(err)
	}
	if state["state"] != "resolved" || state["since"] != clk.Now().Format(time.RFC3339) {
		t.Errorf("state after resolution: %v", state)
	}
	if strings.Contains(logs.String(), password) {
		t.Errorf("log contains the MQTT password:\n%s", logs)
	}
}

func TestMQTTUnreachableBrokerHidesCredentials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	clk := newFakeClock()
	n, logs := newTestNotifier(t, clk)
	const password = "BrokerUrlPassw0rd-xyz"
	r := Receiver{Name: "dead", Type: TypeMQTT, MQTT: &MQTTConfig{
		Broker: "tcp://user:" + password + "@" + addr, Password: "FieldPassw0rd-abc", Timeout: Duration(2 * time.Second),
	}}
	err = n.Deliver(context.Background(), r, sampleMessage(clk, "en"))
	if err == nil || IsPermanent(err) {
		t.Fatalf("got %v, want a retryable connection error", err)
	}
	t.Log(err)
	for _, s := range []string{password, "FieldPassw0rd-abc"} {
		if strings.Contains(err.Error(), s) || strings.Contains(logs.String(), s) {
			t.Errorf("secret %q leaked: %v\n%s", s, err, logs)
		}
	}
}
