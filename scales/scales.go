package scales

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/evalpipe/evalpipe/events"
)

//go:embed data/*.csv
var dataFS embed.FS

// Sentinel errors; returned errors wrap one of them and say which item.
var (
	ErrItemCount       = errors.New("wrong number of items")
	ErrItemRange       = errors.New("item out of range")
	ErrUnknownMeasure  = errors.New("unknown measure")
	ErrUnknownValueSet = errors.New("unknown value set")
	// ErrNotScorable: the measure's total cannot be computed from items
	// (licensed calibration, as for PAM, or a measure with no item definition).
	ErrNotScorable = errors.New("measure cannot be scored from its items")
)

// measure returns the item definition of a measure from events.Measures.
func measure(name string) (*events.Measure, error) {
	m := events.LookupMeasure(name)
	if m == nil {
		return nil, fmt.Errorf("%q: %w", name, ErrUnknownMeasure)
	}
	return m, nil
}

// checkItems validates count and range against the measure definition and
// returns the raw sum.
func checkItems(m *events.Measure, items []int) (int, error) {
	if len(items) != m.Items {
		return 0, fmt.Errorf("%s has %d items, got %d: %w", m.Title, m.Items, len(items), ErrItemCount)
	}
	sum := 0
	for i, v := range items {
		if v < m.ItemMin || v > m.ItemMax {
			return 0, fmt.Errorf("%s item %d is %d, allowed %d-%d: %w", m.Title, i+1, v, m.ItemMin, m.ItemMax, ErrItemRange)
		}
		sum += v
	}
	return sum, nil
}

// WEMWBS returns the total of the 14-item Warwick-Edinburgh Mental
// Wellbeing Scale: the sum of items scored 1-5, 14-70.
func WEMWBS(items []int) (float64, error) {
	m, err := measure("wemwbs")
	if err != nil {
		return 0, err
	}
	s, err := checkItems(m, items)
	return float64(s), err
}

// swemwbsMetric maps a raw SWEMWBS sum (7-35) to its metric score.
var swemwbsMetric = mustLoadSWEMWBS()

func mustLoadSWEMWBS() map[int]float64 {
	b, err := dataFS.ReadFile("data/swemwbs_conversion.csv")
	if err != nil {
		panic(err) // embedded at build time: cannot fail in a built binary
	}
	t, err := parseSWEMWBS(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	return t
}

func parseSWEMWBS(r io.Reader) (map[int]float64, error) {
	rows, err := readTable(r, []string{"raw", "metric"})
	if err != nil {
		return nil, fmt.Errorf("swemwbs conversion: %w", err)
	}
	t := make(map[int]float64, len(rows))
	for _, row := range rows {
		raw, err1 := strconv.Atoi(row.fields[0])
		metric, err2 := strconv.ParseFloat(row.fields[1], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("swemwbs conversion line %d: not a number", row.line)
		}
		t[raw] = metric
	}
	for raw := 7; raw <= 35; raw++ {
		if _, ok := t[raw]; !ok {
			return nil, fmt.Errorf("swemwbs conversion: no row for raw score %d", raw)
		}
	}
	return t, nil
}

// SWEMWBSMetric returns the metric score of the 7-item Short WEMWBS: the
// raw sum of items 1-5 (7-35) converted with the Warwick raw-to-metric
// table (raw 7 -> 7.00, raw 35 -> 35.00). Use it, not the raw sum, for
// means and changes: the metric score is the interval scale.
func SWEMWBSMetric(items []int) (float64, error) {
	m, err := measure("swemwbs")
	if err != nil {
		return 0, err
	}
	s, err := checkItems(m, items)
	if err != nil {
		return 0, err
	}
	return swemwbsMetric[s], nil
}

// ASCOTWeights are preference weights for the eight ASCOT SCT4 domains,
// for a service that has licensed and configured them. The score is
// Constant + Multiplier * sum of Domain[d][item d]. No weights are shipped:
// the catalogue's default is the unweighted 0-24 sum.
type ASCOTWeights struct {
	// Domain[d][level] is the weight of domain d (0-7, in questionnaire
	// order) at level 0-3. No default.
	Domain [8][4]float64
	// Multiplier scales the weighted sum. No default: 0 is rejected.
	Multiplier float64
	// Constant is added after scaling. Default 0.
	Constant float64
	// Source names the publication the weights come from. Required.
	Source string
}

// Validate reports whether the weights can be used.
func (w *ASCOTWeights) Validate() error {
	if w.Source == "" {
		return errors.New("ascot weights: source is required")
	}
	if w.Multiplier == 0 || math.IsNaN(w.Multiplier) || math.IsInf(w.Multiplier, 0) {
		return errors.New("ascot weights: multiplier must be a non-zero number")
	}
	return nil
}

// ASCOT returns the ASCOT SCT4 score of 8 domains scored 0-3: the
// unweighted sum 0-24 when weights is nil, else the weighted score.
func ASCOT(items []int, weights *ASCOTWeights) (float64, error) {
	m, err := measure("ascot_sct4")
	if err != nil {
		return 0, err
	}
	s, err := checkItems(m, items)
	if err != nil {
		return 0, err
	}
	if weights == nil {
		return float64(s), nil
	}
	if err := weights.Validate(); err != nil {
		return 0, err
	}
	var ws float64
	for d, v := range items {
		ws += weights.Domain[d][v]
	}
	return weights.Constant + weights.Multiplier*ws, nil
}

// PAMLevel maps a PAM score (0-100, one decimal as published) to its
// activation level: <=47.0 -> 1, 47.1-55.1 -> 2, 55.2-67.0 -> 3, >=67.1 -> 4.
// Scores between the published one-decimal edges (47.05) are compared after
// rounding to one decimal, as the score is reported.
func PAMLevel(score float64) (int, error) {
	if math.IsNaN(score) || score < 0 || score > 100 {
		return 0, fmt.Errorf("PAM score %g, allowed 0-100: %w", score, ErrItemRange)
	}
	s := math.Round(score*10) / 10
	switch {
	case s <= 47.0:
		return 1, nil
	case s <= 55.1:
		return 2, nil
	case s <= 67.0:
		return 3, nil
	default:
		return 4, nil
	}
}

// Score scores a measure by its events name, the `score` command's entry
// point: wemwbs, swemwbs (metric score), eq5d5l (valueSet, default
// DefaultValueSet), ascot_sct4 (unweighted) and the summed or averaged
// measures of events.Measures (phq9, gad7, the ADSMs). pam and other
// measures whose total is not computable from items return ErrNotScorable.
func Score(measureName, valueSet string, items []int) (float64, error) {
	switch measureName {
	case "wemwbs":
		return WEMWBS(items)
	case "swemwbs":
		return SWEMWBSMetric(items)
	case "ascot_sct4":
		return ASCOT(items, nil)
	case "eq5d5l":
		if valueSet == "" {
			valueSet = DefaultValueSet
		}
		m, err := measure("eq5d5l")
		if err != nil {
			return 0, err
		}
		if _, err := checkItems(m, items); err != nil {
			return 0, err
		}
		return EQ5DIndex([5]int(items), valueSet)
	}
	m, err := measure(measureName)
	if err != nil {
		return 0, err
	}
	if m.Total == "" || m.Items == 0 {
		return 0, fmt.Errorf("%s: %w", m.Title, ErrNotScorable)
	}
	s, err := checkItems(m, items)
	if err != nil {
		return 0, err
	}
	if m.Total == "mean" {
		return float64(s) / float64(len(items)), nil
	}
	return float64(s), nil
}

// tableRow is one data row of a CSV table with its 1-based line number.
type tableRow struct {
	line   int
	fields []string
}

// readTable reads a CSV with '#' comment lines and the given header.
func readTable(r io.Reader, header []string) ([]tableRow, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var rows []tableRow
	seenHeader := false
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A csv.ParseError already names its line; FieldPos would panic
			// here, as there is no record.
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if !seenHeader {
			if len(rec) < len(header) {
				return nil, fmt.Errorf("line %d: header %v, want %v", line, rec, header)
			}
			for i, h := range header {
				if rec[i] != h {
					return nil, fmt.Errorf("line %d: header %v, want %v", line, rec, header)
				}
			}
			seenHeader = true
			continue
		}
		rows = append(rows, tableRow{line: line, fields: rec})
	}
	if !seenHeader {
		return nil, errors.New("empty table")
	}
	return rows, nil
}
