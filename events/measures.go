package events

import (
	"fmt"
	"math"
)

// Measure is the shape of one outcome questionnaire: how many items it has,
// their range, and how its total follows from them.
type Measure struct {
	Name             string
	Title            string
	Items            int    // number of items; 0 when items are not validated
	ItemMin, ItemMax int    // inclusive item range
	Total            string // "sum", "mean", or "" when the total cannot be computed from items (licensed or value-set scoring)
	Source           string
}

// Measures are the questionnaires of EVENTS.md. Item counts and ranges are
// those of the published instruments.
var Measures = []Measure{
	{Name: "phq9", Title: "PHQ-9", Items: 9, ItemMin: 0, ItemMax: 3, Total: "sum", Source: "Kroenke, Spitzer & Williams 2001"},
	{Name: "gad7", Title: "GAD-7", Items: 7, ItemMin: 0, ItemMax: 3, Total: "sum", Source: "Spitzer et al. 2006"},
	{Name: "wemwbs", Title: "WEMWBS", Items: 14, ItemMin: 1, ItemMax: 5, Total: "sum", Source: "Tennant et al. 2007"},
	{Name: "swemwbs", Title: "SWEMWBS (raw)", Items: 7, ItemMin: 1, ItemMax: 5, Total: "sum", Source: "Stewart-Brown et al. 2009"},
	{Name: "eq5d5l", Title: "EQ-5D-5L", Items: 5, ItemMin: 1, ItemMax: 5, Total: "", Source: "Herdman et al. 2011; index from a value set"},
	{Name: "ascot_sct4", Title: "ASCOT SCT4", Items: 8, ItemMin: 0, ItemMax: 3, Total: "sum", Source: "Netten et al. 2012 (unweighted 0-24)"},
	{Name: "pam", Title: "PAM-13", Items: 13, ItemMin: 1, ItemMax: 4, Total: "", Source: "Hibbard et al. 2005 (licensed calibration)"},
	{Name: "pcl5", Title: "PCL-5", Items: 20, ItemMin: 0, ItemMax: 4, Total: "sum", Source: "Weathers et al. 2013"},
	{Name: "spin", Title: "SPIN", Items: 17, ItemMin: 0, ItemMax: 4, Total: "sum", Source: "Connor et al. 2000"},
	{Name: "oci_r", Title: "OCI-R", Items: 18, ItemMin: 0, ItemMax: 4, Total: "sum", Source: "Foa et al. 2002"},
	{Name: "pdss", Title: "PDSS", Items: 7, ItemMin: 0, ItemMax: 4, Total: "sum", Source: "Shear et al. 1997"},
	{Name: "hai_short", Title: "Short Health Anxiety Inventory", Items: 18, ItemMin: 0, ItemMax: 3, Total: "sum", Source: "Salkovskis et al. 2002"},
	{Name: "ies_r", Title: "IES-R", Items: 22, ItemMin: 0, ItemMax: 4, Total: "sum", Source: "Weiss & Marmar 1997"},
	{Name: "mi", Title: "Mobility Inventory (alone)", Items: 27, ItemMin: 1, ItemMax: 5, Total: "mean", Source: "Chambless et al. 1985"},
	{Name: "other", Title: "Other measure", Items: 0},
}

var measureIndex = func() map[string]*Measure {
	m := make(map[string]*Measure, len(Measures))
	for i := range Measures {
		m[Measures[i].Name] = &Measures[i]
	}
	return m
}()

// LookupMeasure returns the named measure, or nil.
func LookupMeasure(name string) *Measure { return measureIndex[name] }

// MeasureNames lists the measure enumeration in contract order.
func MeasureNames() []string {
	out := make([]string, len(Measures))
	for i, m := range Measures {
		out[i] = m.Name
	}
	return out
}

// Score computes the total of a complete set of items, and whether the
// measure's total can be computed from its items at all.
func (m *Measure) Score(items []int64) (float64, bool) {
	if m.Total == "" || len(items) == 0 {
		return 0, false
	}
	var s int64
	for _, v := range items {
		s += v
	}
	if m.Total == "mean" {
		return float64(s) / float64(len(items)), true
	}
	return float64(s), true
}

// checkOutcome validates an outcome.recorded data object against its
// measure, and fills `total` from `items` when it is absent.
func checkOutcome(data map[string]any) error {
	o := outcomeData{measure: data["measure"].(string)}
	o.items, _ = data["items"].([]int64)
	o.total, o.hasTotal = data["total"].(float64)
	_, o.hasVas = data["vas"]
	_, o.hasLevel = data["level"]
	o.vasOrLevel = data["level"] != nil || data["vas"] != nil
	total, fill, err := o.check()
	if fill {
		data["total"] = total
	}
	return err
}

// outcomeData is what checkOutcome reads of an outcome's data object, so
// that DecodeAppendNoData can check the decoded values without a map.
type outcomeData struct {
	measure          string
	items            []int64 // nil when absent
	total            float64
	hasTotal         bool // total is present, a number
	hasVas, hasLevel bool // vas, level are present
	vasOrLevel       bool // either is present and not nil
}

// check is checkOutcome on o; fill says that total is to be set to the
// score of the items.
func (o *outcomeData) check() (total float64, fill bool, err error) {
	m := LookupMeasure(o.measure)
	items := o.items
	if items != nil && m.Items > 0 {
		if len(items) != m.Items {
			return 0, false, &FieldError{Field: "data.items", Value: fmt.Sprint(len(items)), Why: fmt.Sprintf("%s has %d items, got %d", m.Title, m.Items, len(items))}
		}
		for i, v := range items {
			if v < int64(m.ItemMin) || v > int64(m.ItemMax) {
				return 0, false, &FieldError{Field: fmt.Sprintf("data.items[%d]", i), Value: fmt.Sprint(v), Why: fmt.Sprintf("%s items range %d-%d", m.Title, m.ItemMin, m.ItemMax)}
			}
		}
	}
	if o.hasVas && m.Name != "eq5d5l" {
		return 0, false, &FieldError{Field: "data.vas", Why: "vas is for eq5d5l only"}
	}
	if o.hasLevel && m.Name != "pam" {
		return 0, false, &FieldError{Field: "data.level", Why: "level is for pam only"}
	}
	computed, canCompute := m.Score(items)
	total, hasTotal := o.total, o.hasTotal
	switch {
	case hasTotal && canCompute && math.Abs(total-computed) > 1e-6:
		return 0, false, &FieldError{Field: "data.total", Value: fmt.Sprint(total), Why: fmt.Sprintf("does not match the items, which score %g", computed)}
	case hasTotal && m.Items > 0 && m.Total != "":
		lo, hi := float64(m.Items*m.ItemMin), float64(m.Items*m.ItemMax)
		if m.Total == "mean" {
			lo, hi = float64(m.ItemMin), float64(m.ItemMax)
		}
		if total < lo || total > hi {
			return 0, false, &FieldError{Field: "data.total", Value: fmt.Sprint(total), Why: fmt.Sprintf("%s totals range %g-%g", m.Title, lo, hi)}
		}
	case !hasTotal && canCompute:
		total, fill = computed, true
	}
	if items == nil && !hasTotal && !o.vasOrLevel && m.Name != "other" {
		return total, fill, &FieldError{Field: "data", Why: "an outcome needs items, total, vas or level"}
	}
	return total, fill, nil
}

// checkOutcomeValues is checkOutcome for DecodeAppendNoData, on the values
// decodeData gave d (outcome.recorded's fields, nothing else) rather than
// on a map: the same verdict, and total filled in d as in the map.
func checkOutcomeValues(spec *TypeSpec, d *dataValues) error {
	ix := &outcomeFieldIndex
	o := outcomeData{measure: d.v[ix.measure].(string)}
	o.items, _ = d.v[ix.items].([]int64)
	o.total, o.hasTotal = d.v[ix.total].(float64)
	o.hasVas, o.hasLevel = d.has[ix.vas], d.has[ix.level]
	o.vasOrLevel = o.hasVas || o.hasLevel // a present value is never nil
	total, fill, err := o.check()
	if fill {
		d.set(spec, ix.total, total)
	}
	return err
}

// outcomeFieldIndex is the index in outcome.recorded's Fields of each
// field its check reads.
var outcomeFieldIndex = func() (ix struct{ measure, items, total, vas, level int }) {
	t := Lookup("outcome.recorded")
	for _, f := range []struct {
		name string
		i    *int
	}{{"measure", &ix.measure}, {"items", &ix.items}, {"total", &ix.total}, {"vas", &ix.vas}, {"level", &ix.level}} {
		if *f.i = t.fieldIndex([]byte(f.name)); *f.i < 0 {
			panic("events: outcome.recorded has no field " + f.name)
		}
	}
	return ix
}()

// checksValues reports whether t's Check has a form that reads decoded
// values (checkOutcomeValues), so that DecodeAppendNoData needs no map.
func (t *TypeSpec) checksValues() bool { return t.Name == "outcome.recorded" }
