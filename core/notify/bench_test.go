package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// BenchmarkDeliverWebhook measures one signed webhook delivery to a loopback receiver,
// including validation, rate limiting, rendering, signing and scrubbing setup.
func BenchmarkDeliverWebhook(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	clk := newFakeClock()
	n := New(Options{Now: clk.Now})
	r := Receiver{Name: "bench", Type: TypeWebhook, Webhook: &WebhookConfig{URL: srv.URL + "/in?token=" + secQueryToken, Secret: secHMAC}}
	m := sampleMessage(clk, LangKorean)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Key = strconv.Itoa(i)
		if err := n.Deliver(context.Background(), r, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScrub measures scrubbing one error line against a receiver's secrets.
func BenchmarkScrub(b *testing.B) {
	r := secretReceivers("http://127.0.0.1:9")[4] // webhook: URL token, HMAC secret, header
	sc := newScrubber(r)
	line := "POST http://127.0.0.1:9/in?token=" + secQueryToken + ": HTTP 400: bad request from upstream gateway"
	b.ReportAllocs()
	for b.Loop() {
		_ = sc.scrub(line)
	}
}
