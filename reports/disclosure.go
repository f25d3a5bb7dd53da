package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/evalpipe/evalpipe/warehouse"
)

// Policy is disclosure control applied to every published aggregate: the
// headline metrics, every breakdown cell and every point of a monthly series.
//
// Apply returns a new Result and never mutates its input, so the same
// warehouse Result can be rendered under several policies. The catalogue
// tells the policy each metric's unit, which decides whether a value is a
// count (rounded) or a rate (suppressed on a small numerator or denominator).
type Policy interface {
	Name() string
	Apply(res *warehouse.Result, cat []warehouse.Metric) *warehouse.Result
}

// describer is implemented by policies that can say, in a sentence a
// commissioner understands, what they did to the figures. Reports print it as
// the disclosure note.
type describer interface {
	Note() string
}

// Policy names accepted by PolicyByName and Options.Disclosure.
const (
	PolicyNHS  = "nhs"
	PolicyNone = "none"
)

// PolicyByName returns the named disclosure policy: "nhs" (also the default
// for an empty name) or "none".
func PolicyByName(name string) (Policy, error) {
	switch name {
	case "", PolicyNHS:
		return NHSPolicy(), nil
	case PolicyNone:
		return nonePolicy{}, nil
	}
	return nil, fmt.Errorf("reports: unknown disclosure policy %q (want %s or %s): %w",
		name, PolicyNHS, PolicyNone, ErrUsage)
}

// NHSPolicy is the default disclosure policy, the convention of the NHS
// England NHS Talking Therapies dashboards and monthly statistics:
//
//   - a count below 5 is suppressed; any other count is rounded to the
//     nearest 5;
//   - a proportion, mean, median (days) or rate is suppressed when its
//     numerator or denominator is below 5, judged on the unrounded figures
//     (for a median or mean of days the denominator is the cohort size);
//   - when such a value is shown, its numerator and denominator are rounded
//     to the nearest 5 but the value and its interval are those computed from
//     the unrounded figures.
//
// A value whose smallness cannot be judged (a rate with neither numerator nor
// denominator) is suppressed: when in doubt, withhold.
//
// The rule is applied cell by cell; table rules that look at a whole
// breakdown table at once (complementary suppression, so that a suppressed
// cell cannot be recovered from the total) are a later addition and have
// their slot in the tables field.
func NHSPolicy() Policy {
	return &cellPolicy{name: PolicyNHS, threshold: 5, base: 5}
}

// tableRule is a disclosure rule over one whole breakdown table (metric ×
// dimension → group → value), run after the cell rule; complementary
// suppression is one. It edits the table in place: the table is already the
// policy's private copy.
type tableRule func(metric warehouse.Metric, dimension string, table map[string]warehouse.Value)

// cellPolicy applies a small-number rule to every value on its own, then any
// table rules to each breakdown table.
type cellPolicy struct {
	name      string
	threshold float64 // values below it are suppressed (5)
	base      float64 // shown counts are rounded to a multiple of it (5)
	tables    []tableRule
}

func (p *cellPolicy) Name() string { return p.name }

func (p *cellPolicy) Note() string {
	return fmt.Sprintf("Disclosure control: policy %q, the NHS England NHS Talking Therapies dashboards convention. "+
		"Counts below %g are suppressed and other counts are rounded to the nearest %g. "+
		"A percentage, mean, median or rate is suppressed when its numerator or denominator is below %g. "+
		"Where a percentage or mean is shown, its numerator and denominator are rounded to the nearest %g, "+
		"but the value and its 95%% interval are computed from the unrounded figures, "+
		"so they may not be reproduced exactly from the rounded figures shown.",
		p.name, p.threshold, p.base, p.threshold, p.base)
}

func (p *cellPolicy) Apply(res *warehouse.Result, cat []warehouse.Metric) *warehouse.Result {
	out := cloneResult(res)
	if out == nil {
		return nil
	}
	units := unitsOf(cat)
	for id, v := range out.Metrics {
		out.Metrics[id] = p.cell(units[id], v)
	}
	for id, dims := range out.Breakdowns {
		for _, groups := range dims {
			for g, v := range groups {
				groups[g] = p.cell(units[id], v)
			}
		}
	}
	for id, pts := range out.Series {
		for i := range pts {
			pts[i].Value = p.cell(units[id], pts[i].Value)
		}
	}
	if len(p.tables) > 0 {
		byID := catalogueIndex(cat)
		for _, id := range sortedKeys(out.Breakdowns) {
			for _, dim := range sortedKeys(out.Breakdowns[id]) {
				for _, rule := range p.tables {
					rule(byID[id], dim, out.Breakdowns[id][dim])
				}
			}
		}
	}
	return out
}

// cell applies the small-number rule to one value. v is already a copy.
func (p *cellPolicy) cell(unit string, v warehouse.Value) warehouse.Value {
	if v.Suppressed {
		return suppressed(v)
	}
	if unit == "" {
		// Not in the catalogue: judge by shape. A value with a cohort
		// size is a rate; a bare value is treated as a count, the
		// stricter reading.
		unit = "count"
		if v.Numerator != nil || v.Denominator != nil {
			unit = "proportion"
		}
	}
	if unit == "count" {
		if v.Value == nil {
			return v
		}
		if p.small(v.Value) || p.small(v.Numerator) || p.small(v.Denominator) {
			return suppressed(v)
		}
		v.Value = p.round(v.Value)
		v.Numerator = p.round(v.Numerator)
		v.Denominator = p.round(v.Denominator)
		return v
	}
	// proportion, mean, days (median), rate_per_100k
	if v.Numerator == nil && v.Denominator == nil {
		if v.Value == nil {
			return v
		}
		s := suppressed(v)
		s.Note = "withheld: no cohort size to check against the disclosure threshold"
		return s
	}
	if p.small(v.Numerator) || p.small(v.Denominator) {
		return suppressed(v)
	}
	v.Numerator = p.round(v.Numerator)
	v.Denominator = p.round(v.Denominator)
	return v
}

// small reports whether x is present and below the threshold.
func (p *cellPolicy) small(x *float64) bool {
	return x != nil && *x < p.threshold
}

func (p *cellPolicy) round(x *float64) *float64 {
	if x == nil {
		return nil
	}
	r := math.Round(*x/p.base) * p.base
	return &r
}

// suppressed is v withheld: no value, no figures from which it could be
// recovered. The note survives: it describes the measure, not the people.
func suppressed(v warehouse.Value) warehouse.Value {
	return warehouse.Value{Suppressed: true, Note: v.Note}
}

// nonePolicy publishes nothing: it leaves every figure as it is, for
// internal use only.
type nonePolicy struct{}

func (nonePolicy) Name() string { return PolicyNone }

func (nonePolicy) Note() string {
	return `Disclosure control: none (policy "none"). Internal use: not for publication. ` +
		"Small numbers are shown unrounded and must not leave the service."
}

func (nonePolicy) Apply(res *warehouse.Result, _ []warehouse.Metric) *warehouse.Result {
	return cloneResult(res)
}

// policyNote is the disclosure note a report prints for p.
func policyNote(p Policy) string {
	if d, ok := p.(describer); ok {
		return d.Note()
	}
	return fmt.Sprintf("Disclosure control: policy %q.", p.Name())
}

// cloneResult deep-copies everything a policy may change, so that Apply
// never writes through a pointer or map shared with its input.
func cloneResult(res *warehouse.Result) *warehouse.Result {
	if res == nil {
		return nil
	}
	out := *res
	out.Metrics = make(map[string]warehouse.Value, len(res.Metrics))
	for k, v := range res.Metrics {
		out.Metrics[k] = cloneValue(v)
	}
	if res.Breakdowns != nil {
		out.Breakdowns = make(map[string]map[string]map[string]warehouse.Value, len(res.Breakdowns))
		for id, dims := range res.Breakdowns {
			d := make(map[string]map[string]warehouse.Value, len(dims))
			for dim, groups := range dims {
				g := make(map[string]warehouse.Value, len(groups))
				for k, v := range groups {
					g[k] = cloneValue(v)
				}
				d[dim] = g
			}
			out.Breakdowns[id] = d
		}
	}
	if res.Series != nil {
		out.Series = make(map[string][]warehouse.SeriesPoint, len(res.Series))
		for id, pts := range res.Series {
			c := make([]warehouse.SeriesPoint, len(pts))
			for i, pt := range pts {
				c[i] = warehouse.SeriesPoint{Month: pt.Month, Value: cloneValue(pt.Value)}
			}
			out.Series[id] = c
		}
	}
	if res.Provenance.Metrics != nil {
		out.Provenance.Metrics = make(map[string]int, len(res.Provenance.Metrics))
		for k, v := range res.Provenance.Metrics {
			out.Provenance.Metrics[k] = v
		}
	}
	return &out
}

func cloneValue(v warehouse.Value) warehouse.Value {
	c := v
	c.Value = cloneFloat(v.Value)
	c.Numerator = cloneFloat(v.Numerator)
	c.Denominator = cloneFloat(v.Denominator)
	if v.CI95 != nil {
		ci := *v.CI95
		c.CI95 = &ci
	}
	return c
}

func cloneFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	x := *p
	return &x
}

func unitsOf(cat []warehouse.Metric) map[string]string {
	m := make(map[string]string, len(cat))
	for _, c := range cat {
		m[c.ID] = strings.TrimSpace(c.Unit)
	}
	return m
}

func catalogueIndex(cat []warehouse.Metric) map[string]warehouse.Metric {
	m := make(map[string]warehouse.Metric, len(cat))
	for _, c := range cat {
		m[c.ID] = c
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
