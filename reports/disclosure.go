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
// for an empty name) or "none". The nhs policy it returns knows no staff
// names; use NHSPolicyWith to redact them from quotes.
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
// The rule is applied cell by cell, to headline metrics, breakdowns, series
// points and the cells of every Table (by its column's Unit). Then:
//
//   - complementary suppression (complementary.go): in every breakdown and
//     every table with a total, more cells are suppressed until no
//     suppressed figure can be worked out by subtraction from a total;
//   - every "quote" cell of a Table is passed through Redact (redact.go),
//     and so are the row labels of a table that has quotes;
//   - a record-level table (Table.RecordLevel) is withheld whole;
//   - counts the warehouse wrote into notes get the count rule too
//     (notecounts.go).
func NHSPolicy() Policy {
	p, _ := NHSPolicyWith(NHSOptions{}) // the zero NHSOptions is valid
	return p
}

// NHSOptions configures the nhs policy beyond its fixed thresholds.
type NHSOptions struct {
	// StaffNames are the names of the service's staff, redacted from quotes
	// wherever they occur as whole words, in any case (see Redact). A name
	// may have several words ("Jo Smith"). Default: none; titled names
	// such as "Dr Smith" are redacted regardless.
	StaffNames []string
}

// Validate reports whether o is usable: every staff name must have at
// least two letters, since a one-letter "name" would redact every "a" and
// "I" of every quote.
func (o NHSOptions) Validate() error {
	for _, n := range o.StaffNames {
		if letters(n) < 2 {
			return fmt.Errorf("reports: staff name %q: want at least two letters: %w", n, ErrUsage)
		}
	}
	return nil
}

// NHSPolicyWith is NHSPolicy with options; it fails only when o does not
// validate.
func NHSPolicyWith(o NHSOptions) (Policy, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &cellPolicy{
		name: PolicyNHS, threshold: 5, base: 5,
		rules:  []resultRule{complementary, noteCounts},
		redact: newRedactor(o.StaffNames),
	}, nil
}

// resultRule is a disclosure rule over the whole result, run after the cell
// rule; complementary suppression is one. in is the warehouse's result
// (unrounded, for sizes), out the policy's private copy, edited in place.
type resultRule func(p *cellPolicy, in, out *warehouse.Result, units map[string]string)

// cellPolicy applies a small-number rule to every value on its own, then its
// result rules.
type cellPolicy struct {
	name      string
	threshold float64 // values below it are suppressed (5)
	base      float64 // shown counts are rounded to a multiple of it (5)
	rules     []resultRule
	redact    *redactor // applied to quotes; nil: quotes pass unchanged
}

func (p *cellPolicy) Name() string { return p.name }

func (p *cellPolicy) Note() string {
	return fmt.Sprintf("Disclosure control: policy %q, the NHS England NHS Talking Therapies dashboards convention. "+
		"Counts below %g are suppressed and other counts are rounded to the nearest %g. "+
		"A percentage, mean, median or rate is suppressed when its numerator or denominator is below %g. "+
		"Where a percentage or mean is shown, its numerator and denominator are rounded to the nearest %g, "+
		"but the value and its 95%% interval are computed from the unrounded figures, "+
		"so they may not be reproduced exactly from the rounded figures shown. "+
		"Where a suppressed figure could be worked out from a total and the other figures, "+
		"the next smallest figures are suppressed as well. "+
		"Quotes are shown with names, phone numbers, e-mail addresses, postcodes, dates and NHS numbers "+
		"replaced by a bracketed label such as [name].",
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
	for i := range out.Tables {
		p.table(&out.Tables[i])
	}
	for _, rule := range p.rules {
		rule(p, res, out, units)
	}
	return out
}

// table applies the cell rule to every cell of t by its column's unit,
// redacts quotes, and withholds a record-level table whole.
func (p *cellPolicy) table(t *warehouse.Table) {
	if t.RecordLevel {
		t.Rows = nil
		t.Note = "withheld: a record-level table is for internal use only and is not published under policy " + p.name
		return
	}
	quotes := false
	for _, c := range t.Columns {
		quotes = quotes || c.Unit == "quote"
	}
	for r := range t.Rows {
		row := &t.Rows[r]
		if quotes && p.redact != nil {
			row.Label = p.redact.redact(row.Label)
		}
		for c := range row.Cells {
			if c >= len(t.Columns) {
				row.Cells[c] = suppressed(row.Cells[c]) // a cell no column describes: withhold
				continue
			}
			v := row.Cells[c]
			switch unit := cellUnit(t, r, c); unit {
			case "text":
			case "quote":
				if v.Suppressed {
					v = suppressed(v)
				} else if p.redact != nil {
					v.Text = p.redact.redact(v.Text)
				}
			default:
				v = p.cell(unit, v)
			}
			row.Cells[c] = v
		}
	}
}

// cellUnit is the unit of cell c of row r: its column's, or for a column of
// unit "per_row" the Text of the row's "unit" column (comparison tables give
// each row its own unit).
func cellUnit(t *warehouse.Table, r, c int) string {
	unit := strings.TrimSpace(t.Columns[c].Unit)
	if unit != "per_row" {
		return unit
	}
	for i, col := range t.Columns {
		if col.ID == "unit" && i < len(t.Rows[r].Cells) {
			return strings.TrimSpace(t.Rows[r].Cells[i].Text)
		}
	}
	return "" // judged by shape
}

// cell applies the small-number rule to one value. v is already a copy.
func (p *cellPolicy) cell(unit string, v warehouse.Value) warehouse.Value {
	if v.Suppressed {
		return suppressed(v)
	}
	unit = judgeUnit(unit, v)
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
	if unit == "change" {
		// A change (after − before) ÷ before: the numerator is a
		// difference, often negative, not a number of people; the base
		// is what must not be small.
		if v.Denominator == nil || p.small(v.Denominator) {
			return suppressed(v)
		}
		v.Numerator = p.round(v.Numerator)
		v.Denominator = p.round(v.Denominator)
		return v
	}
	// proportion, mean, days (median), rate_per_100k, and any unit this
	// rule does not know (gbp, score, effect_size, ...)
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

// judgeUnit is unit, or for a metric not in the catalogue a unit judged by
// v's shape: a value with a cohort size is a rate; a bare value is treated
// as a count, the stricter reading.
func judgeUnit(unit string, v warehouse.Value) string {
	if unit != "" {
		return unit
	}
	if v.Numerator != nil || v.Denominator != nil {
		return "proportion"
	}
	return "count"
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
	if res.Tables != nil {
		out.Tables = make([]warehouse.Table, len(res.Tables))
		for i, t := range res.Tables {
			c := t
			c.Columns = append([]warehouse.Column(nil), t.Columns...)
			if t.Rows != nil {
				c.Rows = make([]warehouse.Row, len(t.Rows))
				for r, row := range t.Rows {
					cells := make([]warehouse.Value, len(row.Cells))
					for k, v := range row.Cells {
						cells[k] = cloneValue(v)
					}
					c.Rows[r] = warehouse.Row{Label: row.Label, Cells: cells}
				}
			}
			out.Tables[i] = c
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func catalogueIndex(cat []warehouse.Metric) map[string]warehouse.Metric {
	m := make(map[string]warehouse.Metric, len(cat))
	for _, c := range cat {
		m[c.ID] = c
	}
	return m
}
