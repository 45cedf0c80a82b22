package cnn

import (
	"math"
	"math/rand/v2"
)

// Activations are channel-major: a[c*h*w + y*w + x], y along frames (time), x along mels.

// layout places every parameter in one flat vector, so Adam and the gradient reduction
// work on a single slice: conv1 w,b; conv2 w,b; conv3 w,b; dense w (K×C3), b.
type layout struct {
	h, w    [3]int // input height and width of each conv layer
	ch      [3]int
	cin     [3]int
	k       int
	wOff    [3]int
	bOff    [3]int
	dwOff   int
	dbOff   int
	size    int
	acts    [3]int // conv outputs' lengths
	pooled  [2]int // max-pool outputs' lengths
	inputSz int
}

func newLayout(frames, mels int, ch [3]int, k int) layout {
	l := layout{ch: ch, k: k, inputSz: frames * mels}
	h, w, cin := frames, mels, 1
	off := 0
	for i := range 3 {
		l.h[i], l.w[i], l.cin[i] = h, w, cin
		l.wOff[i] = off
		off += ch[i] * cin * 9
		l.bOff[i] = off
		off += ch[i]
		l.acts[i] = ch[i] * h * w
		if i < 2 {
			h, w = h/2, w/2
			l.pooled[i] = ch[i] * h * w
		}
		cin = ch[i]
	}
	l.dwOff = off
	off += k * ch[2]
	l.dbOff = off
	off += k
	l.size = off
	return l
}

// init draws He-normal weights (zero biases).
func (l *layout) init(p []float32, rng *rand.Rand) {
	clear(p)
	for i := range 3 {
		sd := math.Sqrt(2 / float64(l.cin[i]*9))
		for j := range l.ch[i] * l.cin[i] * 9 {
			p[l.wOff[i]+j] = float32(rng.NormFloat64() * sd)
		}
	}
	sd := math.Sqrt(1 / float64(l.ch[2]))
	for j := range l.k * l.ch[2] {
		p[l.dwOff+j] = float32(rng.NormFloat64() * sd)
	}
}

// workspace holds one example's activations and their gradients.
type workspace struct {
	fe        *frontEnd
	in        []float32
	act       [3][]float32 // ReLU outputs of the conv layers
	pooled    [2][]float32
	argmax    [2][]int32
	gap, prob []float32
	dAct      [3][]float32
	dPooled   [2][]float32
	dGap      []float32
}

func newWorkspace(l *layout, f front) *workspace {
	w := &workspace{fe: newFrontEnd(f), in: make([]float32, l.inputSz)}
	for i := range 3 {
		w.act[i] = make([]float32, l.acts[i])
		w.dAct[i] = make([]float32, l.acts[i])
	}
	for i := range 2 {
		w.pooled[i] = make([]float32, l.pooled[i])
		w.dPooled[i] = make([]float32, l.pooled[i])
		w.argmax[i] = make([]int32, l.pooled[i])
	}
	w.gap = make([]float32, l.ch[2])
	w.dGap = make([]float32, l.ch[2])
	w.prob = make([]float32, l.k)
	return w
}

func (l *layout) convW(p []float32, i int) []float32 {
	return p[l.wOff[i] : l.wOff[i]+l.ch[i]*l.cin[i]*9]
}
func (l *layout) convB(p []float32, i int) []float32 { return p[l.bOff[i] : l.bOff[i]+l.ch[i]] }

// forward runs ws.in through the net into ws.prob.
func (l *layout) forward(p []float32, ws *workspace) {
	in := ws.in
	for i := range 3 {
		conv(in, l.cin[i], l.h[i], l.w[i], l.convW(p, i), l.convB(p, i), l.ch[i], ws.act[i])
		for j, v := range ws.act[i] {
			if v < 0 {
				ws.act[i][j] = 0
			}
		}
		if i < 2 {
			maxPool(ws.act[i], l.ch[i], l.h[i], l.w[i], ws.pooled[i], ws.argmax[i])
			in = ws.pooled[i]
		}
	}
	hw := l.h[2] * l.w[2]
	for c := range l.ch[2] {
		var s float32
		for _, v := range ws.act[2][c*hw : (c+1)*hw] {
			s += v
		}
		ws.gap[c] = s / float32(hw)
	}
	dw := p[l.dwOff : l.dwOff+l.k*l.ch[2]]
	db := p[l.dbOff : l.dbOff+l.k]
	top := float32(math.Inf(-1))
	for k := range l.k {
		z := db[k]
		for c, g := range ws.gap {
			z += dw[k*l.ch[2]+c] * g
		}
		ws.prob[k] = z
		top = max(top, z)
	}
	var s float32
	for k, z := range ws.prob {
		e := float32(math.Exp(float64(z - top)))
		ws.prob[k] = e
		s += e
	}
	for k := range ws.prob {
		ws.prob[k] /= s
	}
}

// backward adds to g the gradient of weight·cross-entropy(label) for the example forward
// last ran on ws.
func (l *layout) backward(p []float32, ws *workspace, label int, weight float32, g []float32) {
	c3 := l.ch[2]
	dw := p[l.dwOff : l.dwOff+l.k*c3]
	gdw := g[l.dwOff : l.dwOff+l.k*c3]
	gdb := g[l.dbOff : l.dbOff+l.k]
	clear(ws.dGap)
	for k, pk := range ws.prob {
		dz := pk
		if k == label {
			dz--
		}
		dz *= weight
		gdb[k] += dz
		for c := range c3 {
			gdw[k*c3+c] += dz * ws.gap[c]
			ws.dGap[c] += dz * dw[k*c3+c]
		}
	}
	hw := l.h[2] * l.w[2]
	for c := range c3 {
		d := ws.dGap[c] / float32(hw)
		a := ws.act[2][c*hw : (c+1)*hw]
		da := ws.dAct[2][c*hw : (c+1)*hw]
		for j, v := range a {
			if v > 0 {
				da[j] = d
			} else {
				da[j] = 0
			}
		}
	}
	for i := 2; i >= 0; i-- {
		var in, din []float32
		if i == 0 {
			in = ws.in
		} else {
			in, din = ws.pooled[i-1], ws.dPooled[i-1]
		}
		convBackward(in, l.cin[i], l.h[i], l.w[i], l.convW(p, i), l.ch[i], ws.dAct[i],
			g[l.wOff[i]:l.wOff[i]+l.ch[i]*l.cin[i]*9], g[l.bOff[i]:l.bOff[i]+l.ch[i]], din)
		if i == 0 {
			break
		}
		// Through the max-pool and the previous layer's ReLU.
		da := ws.dAct[i-1]
		clear(da)
		for j, idx := range ws.argmax[i-1] {
			da[idx] += din[j]
		}
		for j, v := range ws.act[i-1] {
			if v <= 0 {
				da[j] = 0
			}
		}
	}
}

// conv is a 3×3 convolution with zero "same" padding: out = b + w ⊛ in.
func conv(in []float32, cin, h, w int, wt, b []float32, cout int, out []float32) {
	hw := h * w
	for co := range cout {
		o := out[co*hw : (co+1)*hw]
		for j := range o {
			o[j] = b[co]
		}
		for ci := range cin {
			src := in[ci*hw : (ci+1)*hw]
			k := wt[(co*cin+ci)*9 : (co*cin+ci+1)*9]
			for ky := range 3 {
				dy := ky - 1
				y0, y1 := max(0, -dy), min(h, h-dy)
				for kx := range 3 {
					dx := kx - 1
					x0, x1 := max(0, -dx), min(w, w-dx)
					wv := k[ky*3+kx]
					for y := y0; y < y1; y++ {
						orow := o[y*w+x0 : y*w+x1]
						irow := src[(y+dy)*w+x0+dx : (y+dy)*w+x1+dx]
						irow = irow[:len(orow)]
						for j := range orow {
							orow[j] += wv * irow[j]
						}
					}
				}
			}
		}
	}
}

// convBackward adds the weight and bias gradients of conv to gw and gb and, if din is not
// nil, sets din to the gradient with respect to in.
func convBackward(in []float32, cin, h, w int, wt []float32, cout int, dout, gw, gb, din []float32) {
	hw := h * w
	if din != nil {
		clear(din)
	}
	for co := range cout {
		d := dout[co*hw : (co+1)*hw]
		var s float32
		for _, v := range d {
			s += v
		}
		gb[co] += s
		for ci := range cin {
			src := in[ci*hw : (ci+1)*hw]
			k := wt[(co*cin+ci)*9 : (co*cin+ci+1)*9]
			gk := gw[(co*cin+ci)*9 : (co*cin+ci+1)*9]
			var dsrc []float32
			if din != nil {
				dsrc = din[ci*hw : (ci+1)*hw]
			}
			for ky := range 3 {
				dy := ky - 1
				y0, y1 := max(0, -dy), min(h, h-dy)
				for kx := range 3 {
					dx := kx - 1
					x0, x1 := max(0, -dx), min(w, w-dx)
					wv := k[ky*3+kx]
					var acc float32
					for y := y0; y < y1; y++ {
						drow := d[y*w+x0 : y*w+x1]
						irow := src[(y+dy)*w+x0+dx : (y+dy)*w+x1+dx]
						irow = irow[:len(drow)]
						for j, dv := range drow {
							acc += dv * irow[j]
						}
						if dsrc != nil {
							srow := dsrc[(y+dy)*w+x0+dx : (y+dy)*w+x1+dx]
							srow = srow[:len(drow)]
							for j, dv := range drow {
								srow[j] += wv * dv
							}
						}
					}
					gk[ky*3+kx] += acc
				}
			}
		}
	}
}

// maxPool is a 2×2, stride-2 max-pool (odd trailing rows/columns dropped); argmax records
// the winning input index of each output for the backward pass.
func maxPool(in []float32, c, h, w int, out []float32, argmax []int32) {
	oh, ow := h/2, w/2
	for ch := range c {
		base := ch * h * w
		for y := range oh {
			for x := range ow {
				i0 := base + 2*y*w + 2*x
				best, bi := in[i0], i0
				for _, i := range [3]int{i0 + 1, i0 + w, i0 + w + 1} {
					if in[i] > best {
						best, bi = in[i], i
					}
				}
				o := ch*oh*ow + y*ow + x
				out[o], argmax[o] = best, int32(bi)
			}
		}
	}
}
