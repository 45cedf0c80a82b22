package health

import (
	"math"

	"signalcraft/core/dsp"
)

// Indicators are the health indicators of one record (one burst or window of samples).
type Indicators struct {
	RMS      float64 // root mean square of the mean-removed signal (the level the alarm and RUL use)
	Kurtosis float64 // fourth standardised moment: 3 for Gaussian noise, higher with impacts
	Peak     float64 // largest |x − mean|
	// Envelope is the envelope-spectrum energy (Σ mag², signal units²) within one frequency
	// bin of the first Harmonics harmonics of BPFO, BPFI and BSF; 0 without [Defects].
	Envelope float64
}

// Defects configures the envelope indicator: the shaft speed and the bearing's defect orders.
type Defects struct {
	ShaftHz   float64           // shaft rotation frequency (rpm/60)
	Orders    dsp.BearingOrders // defect frequencies as multiples of shaft speed
	Harmonics int               // harmonics of each defect frequency; 0 means 3
}

// BearingOrdersFromGeometry returns the kinematic defect orders of a rolling-element bearing
// with z rolling elements of diameter ballD on pitch (mean) diameter pitchD and contact angle
// contactDeg, rotating inner race and fixed outer race:
// BPFO = z/2·(1 − r), BPFI = z/2·(1 + r), BSF = pitchD/(2·ballD)·(1 − r²), FTF = (1 − r)/2,
// with r = ballD/pitchD·cos(contact angle).
func BearingOrdersFromGeometry(z int, ballD, pitchD, contactDeg float64) dsp.BearingOrders {
	r := ballD / pitchD * math.Cos(contactDeg*math.Pi/180)
	return dsp.BearingOrders{
		BPFO: float64(z) / 2 * (1 - r),
		BPFI: float64(z) / 2 * (1 + r),
		BSF:  pitchD / (2 * ballD) * (1 - r*r),
		FTF:  (1 - r) / 2,
	}
}

// Measure returns the indicators of one record x sampled at rate Hz. The envelope indicator is
// computed only when d is not nil and its shaft speed is positive. An empty x gives zeros.
func Measure(x []float64, rate int, d *Defects) Indicators {
	n := len(x)
	if n == 0 {
		return Indicators{}
	}
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	var m2, m4, peak float64
	for _, v := range x {
		c := v - mean
		c2 := c * c
		m2 += c2
		m4 += c2 * c2
		peak = max(peak, math.Abs(c))
	}
	m2 /= float64(n)
	m4 /= float64(n)
	in := Indicators{RMS: math.Sqrt(m2), Peak: peak}
	if m2 > 0 {
		in.Kurtosis = m4 / (m2 * m2)
	}
	if d != nil && d.ShaftHz > 0 && rate > 0 && n >= 2 {
		h := d.Harmonics
		if h <= 0 {
			h = 3
		}
		freqs, mag := dsp.EnvelopeSpectrum(x, rate)
		f := dsp.FaultFrequencies(d.ShaftHz, d.Orders)
		tol := float64(rate) / float64(n) // one bin
		for _, f0 := range []float64{f.BPFO, f.BPFI, f.BSF} {
			in.Envelope += dsp.FaultEnergy(freqs, mag, f0, h, tol)
		}
	}
	return in
}

// Combine returns the indicators of several channels of one record (e.g. a horizontal and a
// vertical accelerometer): RMS is the root of the mean of the squared RMS values (the record's
// energy per channel), kurtosis the mean, peak the largest and envelope energy the sum.
func Combine(ch ...Indicators) Indicators {
	if len(ch) == 0 {
		return Indicators{}
	}
	var out Indicators
	var e float64
	for _, c := range ch {
		e += c.RMS * c.RMS
		out.Kurtosis += c.Kurtosis
		out.Peak = max(out.Peak, c.Peak)
		out.Envelope += c.Envelope
	}
	out.RMS = math.Sqrt(e / float64(len(ch)))
	out.Kurtosis /= float64(len(ch))
	return out
}
