package runtofail

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"time"
)

// IMSColumn is one bearing's column of the IMS averaged CSV.
type IMSColumn struct {
	Times  []time.Time
	Values []float64 // mean absolute acceleration over each 1-s snapshot (one per 10 min)
}

// ReadIMS reads the column named column ("Bearing 1") of the averaged IMS CSV
// (timestamp,Bearing 1,Bearing 2,Bearing 3,Bearing4). Errors name the file.
func ReadIMS(file, column string) (IMSColumn, error) {
	f, err := os.Open(file)
	if err != nil {
		return IMSColumn{}, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return IMSColumn{}, fmt.Errorf("%s: %w", file, err)
	}
	if len(rows) < 2 {
		return IMSColumn{}, fmt.Errorf("%s: no data rows", file)
	}
	col := -1
	for i, name := range rows[0] {
		if name == column {
			col = i
		}
	}
	if col < 0 {
		return IMSColumn{}, fmt.Errorf("%s: no column %q (have %q)", file, column, rows[0])
	}
	var s IMSColumn
	for i, r := range rows[1:] {
		if len(r) <= col {
			return IMSColumn{}, fmt.Errorf("%s: line %d: %d columns", file, i+2, len(r))
		}
		t, err := time.Parse(time.DateTime, r[0])
		if err != nil {
			return IMSColumn{}, fmt.Errorf("%s: line %d: timestamp: %w", file, i+2, err)
		}
		v, err := strconv.ParseFloat(r[col], 64)
		if err != nil {
			return IMSColumn{}, fmt.Errorf("%s: line %d: %s: %w", file, i+2, column, err)
		}
		s.Times = append(s.Times, t)
		s.Values = append(s.Values, v)
	}
	return s, nil
}
