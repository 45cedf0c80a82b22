// Package tui is the technicians' terminal client of the SignalCraft
// appliance, built with Bubble Tea. The program is cmd/signalcraft; the root
// model is app, the seven pages live under pages/, reusable widgets under
// components/, colours in theme and the data shared by the pages in fleet.
// It talks to the appliance only through signalcraft/core/api.
//
// This package itself holds only the end-to-end acceptance test.
package tui
