// Command demo-appliance runs the test appliance (appliance/apptest) as a program: the real
// daemon with its API, store, alert engine and job queue on a temporary directory, its
// simulated sources (the demo plant of config.DemoYAML, or -config) paced by its clock. It
// runs -age of stream time as fast as it can, up to now, then lets the clock follow real time, and
// prints three lines: the API's URL, its certificate's fingerprint and a token of -role. A
// client connects with them (signalcraft-desktop -url URL -fingerprint FP -token TOKEN); the
// screenshot tools use it so. It stops on SIGINT or SIGTERM and removes its directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"signalcraft/appliance/apptest"
	wire "signalcraft/core/api"
)

func main() {
	age := flag.Duration("age", 90*time.Second, "stream time to run before serving (the demo pump's fault starts 50 s in)")
	role := flag.String("role", "operator", "role of the printed token: viewer, operator or admin")
	cfgPath := flag.String("config", "", "the appliance's configuration file (default: the demo plant); simulators and recordings only")
	flag.Parse()
	r, err := wire.ParseRole(*role)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo-appliance: -role:", err)
		os.Exit(2)
	}
	// The clock starts -age ago, so that once the stream has caught up it stands at the
	// real time a client compares the appliance's answers with.
	o := apptest.Options{Start: time.Now().Add(-*age).UTC().Truncate(time.Millisecond)}
	if *cfgPath != "" {
		if o.Config, err = os.ReadFile(*cfgPath); err != nil {
			fmt.Fprintln(os.Stderr, "demo-appliance: -config:", err)
			os.Exit(2)
		}
	}
	t := &apptest.ProcessT{Name: "demo-appliance"}
	a := apptest.Start(t, o)
	a.Advance(t, *age)
	fmt.Printf("%s\n%s\n%s\n", a.URL(), a.Fingerprint, a.Token(t, r))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tick := time.NewTicker(apptest.Step)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case now := <-tick.C: // the clock follows real time from here on
			a.Advance(t, now.Sub(a.Clock.Now()))
		}
	}
	if t.Close() {
		os.Exit(1)
	}
}
