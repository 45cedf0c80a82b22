package matfile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math"
)

// The tests' MAT-files are written here, from the level-5 format's description (MATLAB's
// "MAT-File Format", chapter 1), laid out as scipy.io.savemat and MATLAB lay them out. The
// reader is checked against files MATLAB itself wrote by TestCWRU (../shared/data).

// MAT element types and array classes.
const (
	wInt8, wUint8, wInt16, wUint16, wInt32, wUint32, wSingle, wDouble = 1, 2, 3, 4, 5, 6, 7, 9
	wInt64, wMatrix, wCompressed                                      = 12, 14, 15
	cCell, cStruct, cChar, cDouble, cSingle                           = 1, 2, 4, 6, 7
	cUint8, cInt16, cUint16, cInt32, cUint32, cInt64                  = 9, 10, 11, 12, 13, 14
	fComplex, fLogical                                                = 0x0800, 0x0200
)

// matWriter writes elements in one byte order.
type matWriter struct {
	o interface {
		binary.ByteOrder
		binary.AppendByteOrder
	}
}

// element is a data element: a small one (4 bytes or less) packs its size and type into
// one word; others are padded to 8 bytes.
func (w matWriter) element(typ uint32, data []byte) []byte {
	var b []byte
	if len(data) <= 4 {
		b = w.o.AppendUint32(nil, uint32(len(data))<<16|typ)
		return append(append(b, data...), make([]byte, 4-len(data))...)
	}
	b = w.o.AppendUint32(w.o.AppendUint32(nil, typ), uint32(len(data)))
	b = append(b, data...)
	return append(b, make([]byte, -len(b)&7)...)
}

// values encodes vs as the element type's numbers.
func (w matWriter) values(typ uint32, vs ...float64) []byte {
	var b []byte
	for _, v := range vs {
		switch typ {
		case wDouble:
			b = w.o.AppendUint64(b, math.Float64bits(v))
		case wSingle:
			b = w.o.AppendUint32(b, math.Float32bits(float32(v)))
		case wInt8, wUint8:
			b = append(b, byte(int8(v)))
		case wInt16, wUint16:
			b = w.o.AppendUint16(b, uint16(int64(v)))
		case wInt32, wUint32:
			b = w.o.AppendUint32(b, uint32(int64(v)))
		case wInt64:
			b = w.o.AppendUint64(b, uint64(int64(v)))
		}
	}
	return b
}

// matrix is a miMATRIX element: array flags, dimensions, name, then the parts (the real and
// imaginary data, or a struct's fields, or a cell's elements) as given.
func (w matWriter) matrix(name string, class, flags uint32, dims []int, parts ...[]byte) []byte {
	var ds []byte
	for _, d := range dims {
		ds = w.o.AppendUint32(ds, uint32(d))
	}
	body := w.element(wUint32, w.o.AppendUint32(w.o.AppendUint32(nil, flags|class), 0))
	body = append(body, w.element(wInt32, ds)...)
	body = append(body, w.element(wInt8, []byte(name))...)
	for _, p := range parts {
		body = append(body, p...)
	}
	return append(w.o.AppendUint32(w.o.AppendUint32(nil, wMatrix), uint32(len(body))), body...)
}

// numeric is a real numeric matrix of class with its data in element type typ.
func (w matWriter) numeric(name string, class, typ uint32, dims []int, vs ...float64) []byte {
	return w.matrix(name, class, 0, dims, w.element(typ, w.values(typ, vs...)))
}

// compressed wraps an element in a miCOMPRESSED element (top level: not padded).
func (w matWriter) compressed(el []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(el)
	zw.Close()
	return append(w.o.AppendUint32(w.o.AppendUint32(nil, wCompressed), uint32(z.Len())), z.Bytes()...)
}

// file is a level-5 MAT-file of the elements: the 128-byte header in w's byte order.
func (w matWriter) file(els ...[]byte) []byte {
	endian := "IM"
	if w.o.String() == binary.BigEndian.String() {
		endian = "MI"
	}
	b := header("MATLAB 5.0 MAT-file, Platform: test, written by write_test.go", endian)
	for _, el := range els {
		b = append(b, el...)
	}
	return b
}

// leVariables are the variables of leFile, in order; leWant lists their real numeric values.
func leVariables() [][]byte {
	w := matWriter{binary.LittleEndian}
	field := w.matrix("", cDouble, 0, []int{1, 1}, w.element(wDouble, w.values(wDouble, 1)))
	cell1 := w.matrix("", cDouble, 0, []int{1, 1}, w.element(wDouble, w.values(wDouble, 1)))
	cell2 := w.matrix("", cChar, 0, []int{1, 1}, w.element(wUint16, w.values(wUint16, 'x')))
	fieldNames := append([]byte("a"), make([]byte, 31)...)
	return [][]byte{
		w.numeric("vec", cDouble, wDouble, []int{10, 1}, leWant["vec"]...),
		w.numeric("mat_i16", cInt16, wInt16, []int{2, 3}, leWant["mat_i16"]...),
		w.numeric("small_u8", cUint8, wUint8, []int{1, 3}, leWant["small_u8"]...),
		w.numeric("rpm", cUint16, wUint16, []int{1, 1}, leWant["rpm"]...),
		w.numeric("scalar", cDouble, wDouble, []int{1, 1}, leWant["scalar"]...),
		w.numeric("single", cSingle, wSingle, []int{1, 2}, leWant["single"]...),
		w.numeric("i64", cInt64, wInt64, []int{1, 2}, leWant["i64"]...),
		w.numeric("u32", cUint32, wUint32, []int{1, 1}, leWant["u32"]...),
		w.matrix("flag", cUint8, fLogical, []int{1, 3}, w.element(wUint8, w.values(wUint8, leWant["flag"]...))),
		w.numeric("empty", cDouble, wDouble, []int{0, 0}),
		w.matrix("text", cChar, 0, []int{1, 5}, w.element(wUint16, w.values(wUint16, 'h', 'e', 'l', 'l', 'o'))),
		w.matrix("st", cStruct, 0, []int{1, 1}, w.element(wInt32, w.values(wInt32, 32)), w.element(wInt8, fieldNames), field),
		w.matrix("cel", cCell, 0, []int{1, 2}, cell1, cell2),
		w.matrix("z", cDouble, fComplex, []int{1, 1}, w.element(wDouble, w.values(wDouble, 1)), w.element(wDouble, w.values(wDouble, 2))),
	}
}

// leFile is a little-endian MAT-file of every kind of variable, uncompressed.
func leFile() []byte { return matWriter{binary.LittleEndian}.file(leVariables()...) }

// leZlibFile holds leFile's variables, each compressed as MATLAB's -v7 does.
func leZlibFile() []byte {
	w := matWriter{binary.LittleEndian}
	var els [][]byte
	for _, v := range leVariables() {
		els = append(els, w.compressed(v))
	}
	return w.file(els...)
}

// beFile is a big-endian MAT-file (as a big-endian machine writes one): a 3×2 double, an
// int32 in a small data element and a compressed uint16 row.
func beFile() []byte {
	w := matWriter{binary.BigEndian}
	return w.file(
		w.numeric("be_vec", cDouble, wDouble, []int{3, 2}, -2.5, -0.5, 1.5, -1.5, 0.5, 2.5), // column-major
		w.numeric("be_i32", cInt32, wInt32, []int{1, 1}, -123456),
		w.compressed(w.numeric("be_u16", cUint16, wUint16, []int{1, 3}, 1, 65535, 3)),
	)
}
