// Package matfile reads numeric variables from MATLAB level-5 MAT-files (the format of
// MATLAB versions 5 to 7, uncompressed or zlib-compressed, little- or big-endian), as
// used by the CWRU bearing data set. Numeric arrays of any class are converted to float64
// in MATLAB's column-major order; character, cell, struct, sparse, object and complex
// variables are listed but not decoded. Corrupt input yields an error wrapping one of
// the package's sentinel errors, never a panic or an allocation the input cannot back.
package matfile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// Sentinel errors.
var (
	// ErrNotMAT means the input does not start with a level-5 MAT-file header.
	ErrNotMAT = errors.New("matfile: not a MATLAB level-5 MAT-file")
	// ErrUnsupported means a well-formed file or variable uses a feature this package does not decode.
	ErrUnsupported = errors.New("matfile: unsupported")
	// ErrCorrupt means the file's structure is inconsistent or truncated.
	ErrCorrupt = errors.New("matfile: corrupt")
	// ErrNoVariable means a requested variable is not in the file.
	ErrNoVariable = errors.New("matfile: no such variable")
)

// MaxDecompressed bounds the size of one decompressed miCOMPRESSED element.
const MaxDecompressed = 1 << 30

// Data element types (miXXX).
const (
	miINT8       = 1
	miUINT8      = 2
	miINT16      = 3
	miUINT16     = 4
	miINT32      = 5
	miUINT32     = 6
	miSINGLE     = 7
	miDOUBLE     = 9
	miINT64      = 12
	miUINT64     = 13
	miMATRIX     = 14
	miCOMPRESSED = 15
	miUTF8       = 16
)

// classNames maps array classes (mxXXX_CLASS) to MATLAB's names.
var classNames = [...]string{
	1: "cell", 2: "struct", 3: "object", 4: "char", 5: "sparse", 6: "double", 7: "single",
	8: "int8", 9: "uint8", 10: "int16", 11: "uint16", 12: "int32", 13: "uint32",
	14: "int64", 15: "uint64", 16: "function", 17: "opaque",
}

func className(c byte) string {
	if int(c) < len(classNames) && classNames[c] != "" {
		return classNames[c]
	}
	return fmt.Sprintf("class %d", c)
}

func isNumericClass(c byte) bool { return c >= 6 && c <= 15 }

// Variable is one top-level variable of a MAT-file.
type Variable struct {
	Name  string
	Class string // MATLAB class: "double", "uint16", "char", "struct", ...; "complex double" etc.
	Dims  []int
	// Data holds the real numeric values in column-major order; nil when the variable
	// is not a real numeric array (or was not requested).
	Data []float64
}

// Decode parses a whole MAT-file held in memory and returns its variables in file order.
func Decode(b []byte) ([]Variable, error) {
	return decode(b, func(string) bool { return true })
}

// ReadFile returns every real numeric variable of the file at path, by name.
// Errors name the file.
func ReadFile(path string) (map[string][]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vars, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make(map[string][]float64, len(vars))
	for _, v := range vars {
		if v.Data != nil {
			out[v.Name] = v.Data
		}
	}
	return out, nil
}

// ReadVar returns one real numeric variable of the file at path. The error names the file
// and the variable, and lists the variables present when it is missing.
func ReadVar(path, name string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vars, err := decode(b, func(n string) bool { return n == name })
	if err != nil {
		return nil, fmt.Errorf("%s: variable %q: %w", path, name, err)
	}
	names := make([]string, 0, len(vars))
	for _, v := range vars {
		if v.Name != name {
			names = append(names, v.Name)
			continue
		}
		if v.Data == nil {
			return nil, fmt.Errorf("%s: variable %q: %w: %s array is not real numeric", path, name, ErrUnsupported, v.Class)
		}
		return v.Data, nil
	}
	slices.Sort(names)
	return nil, fmt.Errorf("%s: %w %q (the file has %s)", path, ErrNoVariable, name, strings.Join(names, ", "))
}

// decoder walks the elements of one MAT-file.
type decoder struct {
	order binary.ByteOrder
	want  func(name string) bool
}

func decode(b []byte, want func(string) bool) ([]Variable, error) {
	if len(b) < 128 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the 128-byte header", ErrNotMAT, len(b))
	}
	text := string(b[:116])
	if strings.HasPrefix(text, "MATLAB 7.3") {
		return nil, fmt.Errorf("%w: MATLAB 7.3 (HDF5) MAT-file", ErrUnsupported)
	}
	if !strings.HasPrefix(text, "MATLAB 5.0 MAT-file") {
		return nil, fmt.Errorf("%w: missing \"MATLAB 5.0 MAT-file\" header text", ErrNotMAT)
	}
	d := decoder{want: want}
	switch string(b[126:128]) {
	case "IM":
		d.order = binary.LittleEndian
	case "MI":
		d.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: endian indicator %q", ErrNotMAT, b[126:128])
	}
	if v := d.order.Uint16(b[124:126]); v != 0x0100 {
		return nil, fmt.Errorf("%w: header version 0x%04X", ErrUnsupported, v)
	}
	var vars []Variable
	if err := d.elements(b[128:], true, &vars); err != nil {
		return vars, err
	}
	return vars, nil
}

// tag reads a data element tag at the start of b: type, size, the offset of the data and
// the offset of the next element (small elements occupy 8 bytes; others are padded to 8
// bytes unless top-level).
func (d *decoder) tag(b []byte, pad bool) (typ, size uint32, data, next int, err error) {
	if len(b) < 8 {
		return 0, 0, 0, 0, fmt.Errorf("%w: %d bytes left, too short for an element tag", ErrCorrupt, len(b))
	}
	w := d.order.Uint32(b)
	if w>>16 != 0 { // small data element: size and type packed into 4 bytes, data in the next 4
		typ, size = w&0xFFFF, w>>16
		if size > 4 {
			return 0, 0, 0, 0, fmt.Errorf("%w: small element of %d bytes", ErrCorrupt, size)
		}
		return typ, size, 4, 8, nil
	}
	typ, size = w, d.order.Uint32(b[4:])
	if uint64(size) > uint64(len(b)-8) {
		return 0, 0, 0, 0, fmt.Errorf("%w: element of type %d claims %d bytes, %d left", ErrCorrupt, typ, size, len(b)-8)
	}
	next = 8 + int(size)
	if pad {
		next = min(len(b), (next+7)&^7)
	}
	return typ, size, 8, next, nil
}

// elements parses a sequence of top-level elements (the file body, or the body of a
// decompressed element).
func (d *decoder) elements(b []byte, allowCompressed bool, vars *[]Variable) error {
	for len(b) > 0 {
		typ, size, off, next, err := d.tag(b, false)
		if err != nil {
			return err
		}
		body := b[off : off+int(size)]
		switch typ {
		case miMATRIX:
			v, err := d.matrix(body)
			if err != nil {
				return err
			}
			if v.Name != "" {
				*vars = append(*vars, v)
			}
		case miCOMPRESSED:
			if !allowCompressed {
				return fmt.Errorf("%w: compressed element inside a compressed element", ErrCorrupt)
			}
			inner, err := inflate(body)
			if err != nil {
				return err
			}
			if err := d.elements(inner, false, vars); err != nil {
				return err
			}
		default:
			// Other top-level elements carry no variables.
		}
		b = b[next:]
	}
	return nil
}

func inflate(b []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: compressed element: %w", ErrCorrupt, err)
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, MaxDecompressed+1))
	if err != nil {
		// A stream cut short still yields what was decompressed; the element parser will
		// report a short element if it needed more.
		if len(out) == 0 {
			return nil, fmt.Errorf("%w: compressed element: %w", ErrCorrupt, err)
		}
		return out, nil
	}
	if len(out) > MaxDecompressed {
		return nil, fmt.Errorf("%w: compressed element larger than %d bytes", ErrUnsupported, MaxDecompressed)
	}
	return out, nil
}

// sub reads the next sub-element of a matrix: its type, its data, and the rest.
func (d *decoder) sub(b []byte, what string) (uint32, []byte, []byte, error) {
	typ, size, off, next, err := d.tag(b, true)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	return typ, b[off : off+int(size)], b[next:], nil
}

// matrix decodes the body of an miMATRIX element.
func (d *decoder) matrix(b []byte) (Variable, error) {
	var v Variable
	if len(b) == 0 { // empty miMATRIX: an empty placeholder (e.g. in cells)
		return v, nil
	}
	typ, flags, rest, err := d.sub(b, "array flags")
	if err != nil {
		return v, err
	}
	if typ != miUINT32 || len(flags) < 8 {
		return v, fmt.Errorf("%w: array flags element of type %d, %d bytes", ErrCorrupt, typ, len(flags))
	}
	f := d.order.Uint32(flags)
	class := byte(f)
	complexFlag := f&0x0800 != 0
	typ, dimsRaw, rest, err := d.sub(rest, "dimensions")
	if err != nil {
		return v, err
	}
	if typ != miINT32 || len(dimsRaw)%4 != 0 || len(dimsRaw) < 8 {
		return v, fmt.Errorf("%w: dimensions element of type %d, %d bytes", ErrCorrupt, typ, len(dimsRaw))
	}
	count := int64(1)
	v.Dims = make([]int, len(dimsRaw)/4)
	for i := range v.Dims {
		n := int32(d.order.Uint32(dimsRaw[4*i:]))
		if n < 0 {
			return v, fmt.Errorf("%w: dimension %d", ErrCorrupt, n)
		}
		v.Dims[i] = int(n)
		if count > 0 && int64(n) > math.MaxInt64/8/count {
			return v, fmt.Errorf("%w: dimensions %v overflow", ErrCorrupt, v.Dims)
		}
		count *= int64(n)
	}
	typ, name, rest, err := d.sub(rest, "array name")
	if err != nil {
		return v, err
	}
	if typ != miINT8 && typ != miUINT8 && typ != miUTF8 {
		return v, fmt.Errorf("%w: array name element of type %d", ErrCorrupt, typ)
	}
	v.Name = string(name)
	v.Class = className(class)
	if !isNumericClass(class) {
		return v, nil // not decoded: char, cell, struct, sparse, object, ...
	}
	if complexFlag {
		v.Class = "complex " + v.Class
		return v, nil
	}
	if !d.want(v.Name) {
		return v, nil
	}
	typ, re, _, err := d.sub(rest, "variable "+v.Name+": real part")
	if err != nil {
		return v, err
	}
	data, err := d.numeric(typ, re)
	if err != nil {
		return v, fmt.Errorf("variable %s: %w", v.Name, err)
	}
	if int64(len(data)) != count {
		return v, fmt.Errorf("%w: variable %s has %d values, dimensions %v need %d", ErrCorrupt, v.Name, len(data), v.Dims, count)
	}
	v.Data = data
	return v, nil
}

// numeric converts the data of a numeric element to float64.
func (d *decoder) numeric(typ uint32, b []byte) ([]float64, error) {
	var size int
	switch typ {
	case miINT8, miUINT8:
		size = 1
	case miINT16, miUINT16:
		size = 2
	case miINT32, miUINT32, miSINGLE:
		size = 4
	case miDOUBLE, miINT64, miUINT64:
		size = 8
	default:
		return nil, fmt.Errorf("%w: numeric data of element type %d", ErrUnsupported, typ)
	}
	if len(b)%size != 0 {
		return nil, fmt.Errorf("%w: %d bytes of %d-byte values", ErrCorrupt, len(b), size)
	}
	out := make([]float64, len(b)/size)
	o := d.order
	switch typ {
	case miDOUBLE:
		for i := range out {
			out[i] = math.Float64frombits(o.Uint64(b[8*i:]))
		}
	case miSINGLE:
		for i := range out {
			out[i] = float64(math.Float32frombits(o.Uint32(b[4*i:])))
		}
	case miINT8:
		for i := range out {
			out[i] = float64(int8(b[i]))
		}
	case miUINT8:
		for i := range out {
			out[i] = float64(b[i])
		}
	case miINT16:
		for i := range out {
			out[i] = float64(int16(o.Uint16(b[2*i:])))
		}
	case miUINT16:
		for i := range out {
			out[i] = float64(o.Uint16(b[2*i:]))
		}
	case miINT32:
		for i := range out {
			out[i] = float64(int32(o.Uint32(b[4*i:])))
		}
	case miUINT32:
		for i := range out {
			out[i] = float64(o.Uint32(b[4*i:]))
		}
	case miINT64:
		for i := range out {
			out[i] = float64(int64(o.Uint64(b[8*i:])))
		}
	case miUINT64:
		for i := range out {
			out[i] = float64(o.Uint64(b[8*i:]))
		}
	}
	return out, nil
}
