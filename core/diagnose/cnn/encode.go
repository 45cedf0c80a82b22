package cnn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"
)

// Encoding (little-endian): magic "SCCNN" version 1; rate, samples, mels u32; window ns
// i64; classes u32 then each as u16 length + bytes; channels 3×u32; parameter count u32
// then float32s; CRC-32 (IEEE) of everything before it.
const (
	magic   = "SCCNN"
	version = 1
)

// MarshalBinary encodes the Net; Unmarshal decodes it.
func (n *Net) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(magic)
	b.WriteByte(version)
	put := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	put(uint32(n.front.rate))
	put(uint32(n.front.samples))
	put(uint32(n.front.mels))
	put(int64(time.Duration(float64(n.front.samples) / float64(n.front.rate) * float64(time.Second))))
	put(uint32(len(n.classes)))
	for _, c := range n.classes {
		if len(c) > math.MaxUint16 {
			return nil, fmt.Errorf("%w: class label of %d bytes", ErrFormat, len(c))
		}
		put(uint16(len(c)))
		b.WriteString(c)
	}
	for _, c := range n.ch {
		put(uint32(c))
	}
	put(uint32(len(n.params)))
	put(n.params)
	put(crc32.ChecksumIEEE(b.Bytes()))
	return b.Bytes(), nil
}

// Unmarshal decodes a Net encoded by MarshalBinary, checking its checksum and shapes.
func Unmarshal(data []byte) (*Net, error) {
	if len(data) < len(magic)+1+4 || string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: not a CNN model", ErrFormat)
	}
	if v := data[len(magic)]; v != version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrFormat, v, version)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrFormat)
	}
	r := bytes.NewReader(body[len(magic)+1:])
	var err error
	get := func(v any) {
		if err == nil {
			err = binary.Read(r, binary.LittleEndian, v)
		}
	}
	var rate, samples, mels, nc uint32
	var window int64
	get(&rate)
	get(&samples)
	get(&mels)
	get(&window)
	get(&nc)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if nc < 2 || nc > 1024 || rate == 0 || rate > 1<<24 || mels == 0 || mels > 1024 {
		return nil, fmt.Errorf("%w: rate %d, mels %d, %d classes", ErrFormat, rate, mels, nc)
	}
	fr, ferr := newFront(int(rate), time.Duration(window), int(mels))
	if ferr != nil || fr.samples != int(samples) || fr.frames < 4 {
		return nil, fmt.Errorf("%w: front end rate %d, window %v, mels %d", ErrFormat, rate, time.Duration(window), mels)
	}
	classes := make([]string, nc)
	for i := range classes {
		var l uint16
		get(&l)
		if err != nil || int(l) > r.Len() {
			return nil, fmt.Errorf("%w: class %d", ErrFormat, i)
		}
		s := make([]byte, l)
		get(s)
		classes[i] = string(s)
	}
	var ch [3]uint32
	get(&ch)
	var np uint32
	get(&np)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	var chi [3]int
	for i, c := range ch {
		if c == 0 || c > 1024 {
			return nil, fmt.Errorf("%w: %d channels in layer %d", ErrFormat, c, i+1)
		}
		chi[i] = int(c)
	}
	n := newNet(fr, classes, chi)
	if int(np) != len(n.params) || r.Len() != 4*len(n.params) {
		return nil, fmt.Errorf("%w: %d parameters (%d bytes left), want %d", ErrFormat, np, r.Len(), len(n.params))
	}
	get(n.params)
	if err != nil {
		return nil, fmt.Errorf("%w: parameters: %v", ErrFormat, err)
	}
	for _, v := range n.params {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: non-finite parameter", ErrFormat)
		}
	}
	return n, nil
}
