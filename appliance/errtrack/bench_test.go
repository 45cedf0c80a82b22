package errtrack_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"signalcraft/appliance/errtrack"
	"signalcraft/appliance/errtrack/sentrytest"
)

// BenchmarkHandler measures what error tracking adds to a log line below ERROR (nothing
// but a level check is expected) against the bare JSON handler.
func BenchmarkHandler(b *testing.B) {
	srv := sentrytest.New(b)
	tr, err := errtrack.New(errtrack.Options{DSN: srv.DSN("publickey0123", ""), Appliance: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close(time.Second)
	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"bare", slog.NewJSONHandler(io.Discard, nil)},
		{"tracked", tr.Handler(slog.NewJSONHandler(io.Discard, nil))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			log := slog.New(bc.h)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				log.Info("window scored", "machine", "fan-1", "score", 3.25, "window", i)
			}
		})
	}
}
