package runtofail

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"signalcraft/core/dsp"
	"signalcraft/core/health"
)

// FEMTO PRONOSTIA facts from the challenge description (IEEEPHM2012-Challenge-Details.pdf).
const (
	FEMTORate     = 25600            // Hz: accelerometers sampled at 25.6 kHz
	FEMTOEvery    = 10 * time.Second // one 0.1-s burst every 10 s
	FEMTOShaftHz1 = 1800.0 / 60      // operating conditions 1: 1800 rpm, 4000 N
)

// FEMTOOrders are the kinematic defect orders of the PRONOSTIA test bearing (appendix A.1:
// 13 rolling elements of 3.5 mm on a 25.6-mm mean diameter; contact angle taken as 0).
func FEMTOOrders() dsp.BearingOrders {
	return health.BearingOrdersFromGeometry(13, 3.5, 25.6, 0)
}

// ReadFEMTO reads the acc_NNNNN.csv members of a PRONOSTIA tar.gz in archive order and calls
// fn with each file's number and its horizontal and vertical acceleration (g). The slices are
// reused between calls. Other members (temp_*.csv) are skipped. Errors name the file.
func ReadFEMTO(file string, fn func(index int, horiz, vert []float64) error) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	var h, v []float64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		base := path.Base(hdr.Name)
		if hdr.Typeflag != tar.TypeReg || !strings.HasPrefix(base, "acc_") || !strings.HasSuffix(base, ".csv") {
			continue
		}
		idx, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(base, "acc_"), ".csv"))
		if err != nil {
			return fmt.Errorf("%s: %s: not acc_NNNNN.csv", file, hdr.Name)
		}
		buf.Reset()
		if _, err := buf.ReadFrom(tr); err != nil {
			return fmt.Errorf("%s: %s: %w", file, hdr.Name, err)
		}
		h, v, err = parseAcc(buf.Bytes(), h[:0], v[:0])
		if err != nil {
			return fmt.Errorf("%s: %s: %w", file, hdr.Name, err)
		}
		if err := fn(idx, h, v); err != nil {
			return err
		}
	}
}

// parseAcc reads the 5th and 6th comma-separated columns of each line
// (hour,minute,second,microsecond,horiz,vert).
func parseAcc(b []byte, h, v []float64) ([]float64, []float64, error) {
	line := 0
	for len(b) > 0 {
		line++
		end := bytes.IndexByte(b, '\n')
		var l []byte
		if end < 0 {
			l, b = b, nil
		} else {
			l, b = b[:end], b[end+1:]
		}
		l = bytes.TrimRight(l, "\r")
		if len(l) == 0 {
			continue
		}
		var cols [6][]byte
		n := 0
		for n < 5 {
			i := bytes.IndexByte(l, ',')
			if i < 0 {
				break
			}
			cols[n], l = l[:i], l[i+1:]
			n++
		}
		if n != 5 {
			return h, v, fmt.Errorf("line %d: want 6 columns", line)
		}
		cols[5] = l
		x, err := parseFloat(cols[4])
		if err != nil {
			return h, v, fmt.Errorf("line %d: horizontal: %w", line, err)
		}
		y, err := parseFloat(cols[5])
		if err != nil {
			return h, v, fmt.Errorf("line %d: vertical: %w", line, err)
		}
		h, v = append(h, x), append(v, y)
	}
	return h, v, nil
}

// parseFloat parses a plain decimal ("-0.146") without allocating and falls back to strconv
// for anything else (exponents).
func parseFloat(b []byte) (float64, error) {
	s := b
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var mant uint64
	digits, frac, dot := 0, 0, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			if digits >= 18 {
				return strconv.ParseFloat(string(b), 64)
			}
			mant = mant*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return strconv.ParseFloat(string(b), 64)
		}
	}
	if digits == 0 {
		return strconv.ParseFloat(string(b), 64)
	}
	x := float64(mant) / pow10[frac]
	if neg {
		x = -x
	}
	return x, nil
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}
