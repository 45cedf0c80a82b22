// Command fakeappliance serves the fake appliance API (canned machines, a
// live stream where the pump goes anomalous) on a loopback address, for
// the desktop client's screenshots and for trying the client without an
// appliance.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"signalcraft/core/api"
	"signalcraft/gui/internal/fakeappliance"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	role := flag.String("role", "operator", "role of every caller: viewer, operator, admin")
	token := flag.String("token", "", "require this bearer token")
	backfill := flag.Int("backfill", 300, "past updates sent on a fresh stream so charts start full")
	age := flag.Duration("age", 45*time.Second, "how long the appliance has been running at start (the pump turns anomalous after 15s)")
	flag.Parse()
	r, err := api.ParseRole(*role)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s := fakeappliance.New(fakeappliance.Options{Role: r, Token: *token, Start: time.Now().Add(-*age), Backfill: *backfill})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	if err := http.Serve(ln, s.Handler()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
