package scales

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Value set names for EQ5DIndex.
const (
	// ValueSetUKCrosswalk: van Hout et al. 2012 crosswalk of 5L to the UK 3L
	// value set (Dolan 1997), the index NICE's position statement asks for.
	ValueSetUKCrosswalk = "uk-crosswalk"
	// ValueSetEngland5L: Devlin et al. 2018 England 5L value set.
	ValueSetEngland5L = "england-5l"
	// DefaultValueSet is the catalogue's eq5d_index_change value set.
	DefaultValueSet = ValueSetUKCrosswalk
)

// ValueSets lists the value sets EQ5DIndex accepts, default first.
func ValueSets() []string { return []string{ValueSetUKCrosswalk, ValueSetEngland5L} }

var dimensionNames = [5]string{"MO", "SC", "UA", "PD", "AD"}

var (
	ukCrosswalk     = mustLoad("data/eq5d_uk_crosswalk.csv", parseCrosswalk)
	england5LDecrem = mustLoad("data/eq5d_england_5l.csv", parseDecrements)
)

func mustLoad[T any](name string, parse func(io.Reader) (T, error)) T {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	t, err := parse(bytes.NewReader(b))
	if err != nil {
		panic(fmt.Sprintf("%s: %v", name, err))
	}
	return t
}

// stateIndex maps levels 1-5 to 0..3124 in the table's order (11111 first).
func stateIndex(l [5]int) int {
	i := 0
	for _, v := range l {
		i = i*5 + (v - 1)
	}
	return i
}

// parseCrosswalk reads a "state,index" table that must give every one of
// the 3,125 EQ-5D-5L states exactly once.
func parseCrosswalk(r io.Reader) (*[3125]float64, error) {
	rows, err := readTable(r, []string{"state", "index"})
	if err != nil {
		return nil, err
	}
	var t [3125]float64
	var seen [3125]bool
	for _, row := range rows {
		if len(row.fields) != 2 {
			return nil, fmt.Errorf("line %d: want state,index", row.line)
		}
		s := row.fields[0]
		var l [5]int
		if len(s) != 5 {
			return nil, fmt.Errorf("line %d: state %q is not five levels", row.line, s)
		}
		for d := range 5 {
			if s[d] < '1' || s[d] > '5' {
				return nil, fmt.Errorf("line %d: state %q: levels are 1-5", row.line, s)
			}
			l[d] = int(s[d] - '0')
		}
		v, err := strconv.ParseFloat(row.fields[1], 64)
		if err != nil || math.IsNaN(v) || v > 1 || v < -1 {
			return nil, fmt.Errorf("line %d: index %q is not a number in -1..1", row.line, row.fields[1])
		}
		i := stateIndex(l)
		if seen[i] {
			return nil, fmt.Errorf("line %d: state %s given twice", row.line, s)
		}
		seen[i], t[i] = true, v
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("%d states missing (first: index %d)", countFalse(seen[:]), i)
		}
	}
	return &t, nil
}

func countFalse(b []bool) int {
	n := 0
	for _, v := range b {
		if !v {
			n++
		}
	}
	return n
}

// parseDecrements reads a "dimension,level,decrement" table with levels
// 2-5 of each dimension.
func parseDecrements(r io.Reader) (*[5][6]float64, error) {
	rows, err := readTable(r, []string{"dimension", "level", "decrement"})
	if err != nil {
		return nil, err
	}
	var t [5][6]float64
	var seen [5][6]bool
	for _, row := range rows {
		if len(row.fields) != 3 {
			return nil, fmt.Errorf("line %d: want dimension,level,decrement", row.line)
		}
		d := -1
		for i, n := range dimensionNames {
			if n == row.fields[0] {
				d = i
			}
		}
		lvl, err1 := strconv.Atoi(row.fields[1])
		v, err2 := strconv.ParseFloat(row.fields[2], 64)
		if d < 0 || err1 != nil || lvl < 2 || lvl > 5 || err2 != nil || v < 0 {
			return nil, fmt.Errorf("line %d: bad row %v", row.line, row.fields)
		}
		if seen[d][lvl] {
			return nil, fmt.Errorf("line %d: %s level %d given twice", row.line, row.fields[0], lvl)
		}
		seen[d][lvl], t[d][lvl] = true, v
	}
	for d := range 5 {
		for lvl := 2; lvl <= 5; lvl++ {
			if !seen[d][lvl] {
				return nil, fmt.Errorf("no decrement for %s level %d", dimensionNames[d], lvl)
			}
		}
	}
	return &t, nil
}

// EQ5DIndex returns the EQ-5D-5L index of a health state given as the
// levels (1-5) of mobility, self-care, usual activities, pain/discomfort
// and anxiety/depression, under the named value set (see ValueSets).
// Values are those of the published tables, to three decimals.
func EQ5DIndex(levels [5]int, valueSet string) (float64, error) {
	for d, v := range levels {
		if v < 1 || v > 5 {
			return 0, fmt.Errorf("EQ-5D-5L item %d (%s) is %d, allowed 1-5: %w", d+1, dimensionNames[d], v, ErrItemRange)
		}
	}
	switch valueSet {
	case ValueSetUKCrosswalk:
		return ukCrosswalk[stateIndex(levels)], nil
	case ValueSetEngland5L:
		x := 1.0
		for d, v := range levels {
			x -= england5LDecrem[d][v]
		}
		return math.Round(x*1000) / 1000, nil
	}
	return 0, fmt.Errorf("EQ-5D-5L value set %q, known: %v: %w", valueSet, ValueSets(), ErrUnknownValueSet)
}
