package theme

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrFont is wrapped by the errors of a font file that cannot be read.
var ErrFont = errors.New("font")

// ExtractFace returns face index of a TrueType/OpenType collection (.ttc)
// as a standalone font file. Fyne parses single fonts only, and the CJK
// fonts Debian installs come as collections. A single font is returned as
// is when index is 0.
func ExtractFace(ttc []byte, index int) ([]byte, error) {
	if len(ttc) < 12 {
		return nil, fmt.Errorf("%w: file too short", ErrFont)
	}
	if string(ttc[:4]) != "ttcf" {
		if index == 0 {
			return ttc, nil
		}
		return nil, fmt.Errorf("%w: not a collection, no face %d", ErrFont, index)
	}
	n := int(binary.BigEndian.Uint32(ttc[8:]))
	if index < 0 || index >= n || len(ttc) < 12+4*n {
		return nil, fmt.Errorf("%w: collection has %d faces, no face %d", ErrFont, n, index)
	}
	off := int(binary.BigEndian.Uint32(ttc[12+4*index:]))
	if off+12 > len(ttc) {
		return nil, fmt.Errorf("%w: face %d offset out of range", ErrFont, index)
	}
	numTables := int(binary.BigEndian.Uint16(ttc[off+4:]))
	dir := off + 12
	if dir+16*numTables > len(ttc) {
		return nil, fmt.Errorf("%w: face %d table directory out of range", ErrFont, index)
	}
	size := 12 + 16*numTables
	for i := 0; i < numTables; i++ {
		rec := ttc[dir+16*i:]
		o, l := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if o < 0 || l < 0 || o+l > len(ttc) {
			return nil, fmt.Errorf("%w: face %d table %q out of range", ErrFont, index, rec[:4])
		}
		size += (l + 3) &^ 3
	}
	out := make([]byte, 12+16*numTables, size)
	copy(out, ttc[off:off+12])
	pos := 12 + 16*numTables
	for i := 0; i < numTables; i++ {
		rec := ttc[dir+16*i : dir+16*i+16]
		o, l := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		nrec := out[12+16*i : 12+16*i+16]
		copy(nrec, rec)
		binary.BigEndian.PutUint32(nrec[8:], uint32(pos))
		out = append(out, ttc[o:o+l]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		pos = len(out)
	}
	return out, nil
}
