package report

import "gonum.org/v1/plot/vg"

var (
	vg1  = vg.Points(0.8)
	vg15 = vg.Points(1.4)
)
