package reports

// Complementary (secondary) suppression.
//
// Primary suppression hides small figures one by one. But a reader who
// knows that the cells of a table add up to its total can subtract: if a
// breakdown by clinician shows the total and every clinician but one, the
// one suppressed figure is total − Σ others. Complementary suppression
// withholds further cells until no suppressed figure is determined by what
// is published.
//
// Sources. The need for secondary suppression and the "at least two
// suppressed cells per total" rule are in the Anonymisation Standard for
// Publishing Health and Social Care Data (ISB 1523, now SCCI 1523; NHS
// Digital) and the ONS/GSS guidance on disclosure control of health
// statistics it draws on. NHS Digital's "Psychological Therapies: a guide
// to IAPT data and publications" (2019), section "Low numbers and
// suppression", describes suppression in the IAPT (Talking Therapies)
// publications. Not confirmed (no access to the full texts here): the exact
// IAPT wording on secondary suppression, and its tie-break; the
// smallest-value-then-name order is ours.
//
// The model is linear algebra. Every additive figure of a cell (a count's
// value, a rate's numerator or denominator) is a variable; it is known when
// its cell is published. Every total a reader can rely on is an equation
// Σ parts − total = 0. A suppressed figure is recoverable exactly when it
// is determined by the equations once the known figures are filled in, that
// is when its unit vector lies in the row space of the equations restricted
// to the unknown figures. That covers the plain case (one suppressed cell in
// a partition) and the ones a partition-by-partition check misses, such as
// two-way tables with margins where a cell is pinned by a chain of rows and
// columns.
//
// While some suppressed figure is recoverable, the policy suppresses one
// more cell, then checks again. It first takes a figure that is the only
// unknown of some equation (the plain rule: a partition with exactly one
// suppressed cell), and suppresses the published cell with the smallest
// figure (unrounded, ties by cell name) among that figure's equations,
// preferring one whose suppression alone frees it, so that a two-way table
// gets a rectangle rather than a whole column; a total only when no inner
// cell can serve. Rounding published figures
// to 5 already blurs subtraction; the rule treats published figures as
// exact anyway.
//
// The partitions it knows:
//
//   - a breakdown (metric × dimension): the groups partition the headline
//     cohort. Counts: Σ group values = headline value. Rates, means and
//     medians: Σ group numerators = headline numerator and Σ group
//     denominators = headline denominator, for whichever of the two the
//     warehouse fills. Shares (every group has the headline's denominator,
//     and the headline has no numerator): Σ group numerators = that
//     denominator. Without a headline value there is no total to subtract
//     from, and so no equation.
//   - a Table with margins: a row labelled "total" or "all" sums the count
//     cells of the rows above it (back to the previous total row); a column
//     whose ID is "total" or "all" sums the count columns to its left (back
//     to the previous total column). Only columns of unit "count" take part.
//     A table with no such row or column declares no sums, and only the
//     cell rule applies to it.
//
// Not covered: sums across different metrics (finished_treatment =
// finished_paired + no_paired_scores), monthly series against the headline
// (their months are not the period), and differences between two releases.

import (
	"math"
	"sort"
	"strings"

	"github.com/evalpipe/evalpipe/warehouse"
)

// figure names one additive figure of a Value.
type figure uint8

const (
	figValue figure = iota
	figDenominator
	figNumerator
)

func (f figure) of(v warehouse.Value) *float64 {
	switch f {
	case figNumerator:
		return v.Numerator
	case figDenominator:
		return v.Denominator
	}
	return v.Value
}

func (f figure) String() string {
	return [...]string{"value", "denominator", "numerator"}[f]
}

// sdcCell is one published Value complementary suppression may withhold.
type sdcCell struct {
	name   string          // "metric/dimension/group" or "table/row/column": ties and messages
	in     warehouse.Value // as the warehouse computed it: sizes
	out    warehouse.Value // as published so far
	set    func(warehouse.Value)
	margin bool // a total: withheld only when no inner cell can be
}

// sdcTerm is one figure of one cell.
type sdcTerm struct {
	cell int
	fig  figure
}

// sdcVar is one figure a reader may want to know. It is usually printed in
// one cell; a share's denominator is printed in every cell of the share, and
// is known while any of them is published.
type sdcVar struct {
	at   []sdcTerm
	size float64 // unrounded; +Inf when the warehouse gave none
}

// sdcSystem is the cells, figures and equations of one group of tables that
// share totals: one metric's breakdowns, or one Table.
type sdcSystem struct {
	cells []sdcCell
	vars  []sdcVar
	index map[sdcTerm]int
	eqs   [][]coef
}

type coef struct {
	v int
	c float64
}

func (s *sdcSystem) cell(c sdcCell) int {
	s.cells = append(s.cells, c)
	return len(s.cells) - 1
}

// variable is the figure printed at all of at (the same figure), added once.
func (s *sdcSystem) variable(at ...sdcTerm) int {
	if i, ok := s.index[at[0]]; ok {
		return i
	}
	size := math.Inf(1)
	if x := at[0].fig.of(s.cells[at[0].cell].in); x != nil {
		size = *x
	}
	s.vars = append(s.vars, sdcVar{at: at, size: size})
	i := len(s.vars) - 1
	for _, t := range at {
		s.index[t] = i
	}
	return i
}

// equation records Σ parts = total.
func (s *sdcSystem) equation(parts []int, total int) {
	if len(parts) == 0 {
		return
	}
	eq := make([]coef, 0, len(parts)+1)
	for _, p := range parts {
		eq = append(eq, coef{p, 1})
	}
	s.eqs = append(s.eqs, append(eq, coef{total, -1}))
}

// known reports whether v's figure is published somewhere.
func (s *sdcSystem) known(v int) bool {
	for _, t := range s.vars[v].at {
		c := s.cells[t.cell].out
		if !c.Suppressed && t.fig.of(c) != nil {
			return true
		}
	}
	return false
}

// secret reports whether v is a figure the policy withheld: unknown, and
// withheld by suppression rather than never computed.
func (s *sdcSystem) secret(v int) bool {
	if s.known(v) {
		return false
	}
	for _, t := range s.vars[v].at {
		if s.cells[t.cell].out.Suppressed && t.fig.of(s.cells[t.cell].in) != nil {
			return true
		}
	}
	return false
}

// recoverable lists the withheld figures the equations determine.
func (s *sdcSystem) recoverable() []int {
	var unknown []int
	col := map[int]int{}
	for v := range s.vars {
		if !s.known(v) {
			col[v] = len(unknown)
			unknown = append(unknown, v)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	m := make([][]float64, 0, len(s.eqs))
	for _, eq := range s.eqs {
		row := make([]float64, len(unknown))
		nz := false
		for _, c := range eq {
			if j, ok := col[c.v]; ok {
				row[j] += c.c
				nz = true
			}
		}
		if nz {
			m = append(m, row)
		}
	}
	var out []int
	for j, determined := range determinedColumns(m, len(unknown)) {
		if determined && s.secret(unknown[j]) {
			out = append(out, unknown[j])
		}
	}
	sort.Slice(out, func(a, b int) bool { return s.varName(out[a]) < s.varName(out[b]) })
	return out
}

func (s *sdcSystem) varName(v int) string {
	t := s.vars[v].at[0]
	return s.cells[t.cell].name + "\x00" + string(rune('0'+t.fig))
}

// determinedColumns reports, for each of n unknowns, whether the
// homogeneous system m·x = 0 pins it: whether its unit vector lies in the
// row space of m. In the reduced row echelon form that is a pivot column
// whose row has no entry in any free column. Coefficients are small
// integers, so floating point with a tolerance is exact enough.
func determinedColumns(m [][]float64, n int) []bool {
	const eps = 1e-9
	pivotRow := make([]int, n)
	for j := range pivotRow {
		pivotRow[j] = -1
	}
	r := 0
	for j := 0; j < n && r < len(m); j++ {
		best := r
		for i := r + 1; i < len(m); i++ {
			if math.Abs(m[i][j]) > math.Abs(m[best][j]) {
				best = i
			}
		}
		if math.Abs(m[best][j]) < eps {
			continue
		}
		m[r], m[best] = m[best], m[r]
		pv := m[r][j]
		for k := range m[r] {
			m[r][k] /= pv
		}
		for i := range m {
			if i == r || math.Abs(m[i][j]) < eps {
				continue
			}
			f := m[i][j]
			for k := range m[i] {
				m[i][k] -= f * m[r][k]
			}
		}
		pivotRow[j] = r
		r++
	}
	out := make([]bool, n)
	for j := 0; j < n; j++ {
		if pivotRow[j] < 0 {
			continue
		}
		out[j] = true
		for k := 0; k < n; k++ {
			if pivotRow[k] < 0 && math.Abs(m[pivotRow[j]][k]) > eps {
				out[j] = false
				break
			}
		}
	}
	return out
}

// protect suppresses cells until no withheld figure is recoverable, or no
// published cell is left that could help.
func (s *sdcSystem) protect() {
	for {
		rec := s.recoverable()
		if len(rec) == 0 {
			return
		}
		// A figure alone in an equation first: that equation needs a
		// second unknown whatever else happens (the plain NHS rule).
		x := rec[0]
		for _, v := range rec {
			if s.alone(v) {
				x = v
				break
			}
		}
		c, ok := s.nextCell(x)
		if !ok {
			return // everything around it is withheld already
		}
		s.suppress(c)
	}
}

func (s *sdcSystem) suppress(c int) {
	s.cells[c].out = suppressed(s.cells[c].out)
	s.cells[c].set(s.cells[c].out)
}

// alone reports whether x is the only unknown of some equation.
func (s *sdcSystem) alone(x int) bool {
	for _, eq := range s.eqs {
		if s.unknownsIn(eq) == 1 && has(eq, x) {
			return true
		}
	}
	return false
}

func (s *sdcSystem) unknownsIn(eq []coef) int {
	n := 0
	for _, c := range eq {
		if !s.known(c.v) {
			n++
		}
	}
	return n
}

func has(eq []coef, x int) bool {
	for _, c := range eq {
		if c.v == x {
			return true
		}
	}
	return false
}

// pinnedWithout reports whether x would still be recoverable with cell c
// suppressed too. It leaves the system as it found it.
func (s *sdcSystem) pinnedWithout(x, c int) bool {
	saved := s.cells[c].out
	s.cells[c].out = suppressed(saved)
	defer func() { s.cells[c].out = saved }()
	for _, v := range s.recoverable() {
		if v == x {
			return true
		}
	}
	return false
}

// nextCell picks the cell to suppress so that x is no longer pinned, among
// the published cells of the equations with x, inner cells before totals:
// the smallest whose suppression alone frees x; else the smallest in an
// equation where x is the only unknown; else the smallest in any equation
// with x. Failing all that, the smallest in any equation with an unknown.
// Smallest is by the cell's figure in that equation, unrounded, then by
// cell name.
func (s *sdcSystem) nextCell(x int) (int, bool) {
	type cand struct {
		cell int
		size float64
	}
	gather := func(in func([]coef) bool, margins bool) []cand {
		var cs []cand
		seen := map[int]bool{}
		for _, eq := range s.eqs {
			if !in(eq) {
				continue
			}
			for _, c := range eq {
				v := s.vars[c.v]
				if len(v.at) != 1 || !s.known(c.v) {
					continue // a figure printed in several cells cannot be withheld by one
				}
				cell := v.at[0].cell
				if s.cells[cell].margin != margins || seen[cell] {
					continue
				}
				seen[cell] = true
				cs = append(cs, cand{cell, v.size})
			}
		}
		sort.Slice(cs, func(i, j int) bool {
			if cs[i].size != cs[j].size {
				return cs[i].size < cs[j].size
			}
			return s.cells[cs[i].cell].name < s.cells[cs[j].cell].name
		})
		return cs
	}
	withX := func(eq []coef) bool { return has(eq, x) }
	pinning := func(eq []coef) bool { return has(eq, x) && s.unknownsIn(eq) == 1 }
	anyUnknown := func(eq []coef) bool { return s.unknownsIn(eq) > 0 }
	for _, margins := range []bool{false, true} {
		cs := gather(withX, margins)
		for _, c := range cs {
			if !s.pinnedWithout(x, c.cell) {
				return c.cell, true
			}
		}
		if cs := gather(pinning, margins); len(cs) > 0 {
			return cs[0].cell, true
		}
		if len(cs) > 0 {
			return cs[0].cell, true
		}
	}
	for _, margins := range []bool{false, true} {
		if cs := gather(anyUnknown, margins); len(cs) > 0 {
			return cs[0].cell, true
		}
	}
	return 0, false
}

// complementary is the resultRule: it builds one system per metric with
// breakdowns and one per Table, and protects each.
func complementary(_ *cellPolicy, in, out *warehouse.Result, units map[string]string) {
	for _, s := range sdcSystems(in, out, units) {
		s.protect()
	}
}

// sdcSystems are the systems of equations of out (with sizes from in, of
// which out is the cell-suppressed copy).
func sdcSystems(in, out *warehouse.Result, units map[string]string) []*sdcSystem {
	var systems []*sdcSystem
	for _, id := range sortedKeys(out.Breakdowns) {
		if s := breakdownSystem(id, units[id], in, out); len(s.eqs) > 0 {
			systems = append(systems, s)
		}
	}
	for i := range out.Tables {
		if i >= len(in.Tables) {
			break
		}
		if s := tableSystem(&in.Tables[i], &out.Tables[i]); len(s.eqs) > 0 {
			systems = append(systems, s)
		}
	}
	return systems
}

func newSystem() *sdcSystem { return &sdcSystem{index: map[sdcTerm]int{}} }

// breakdownSystem: the groups of each dimension partition the headline.
func breakdownSystem(id, unit string, in, out *warehouse.Result) *sdcSystem {
	s := newSystem()
	hIn, ok := in.Metrics[id]
	if !ok {
		return s // no total published: nothing to subtract from
	}
	unit = judgeUnit(unit, hIn)
	head := s.cell(sdcCell{
		name: id, in: hIn, out: out.Metrics[id], margin: true,
		set: func(v warehouse.Value) { out.Metrics[id] = v },
	})
	figs := []figure{figNumerator, figDenominator}
	if unit == "count" {
		figs = []figure{figValue}
	}
	for _, dim := range sortedKeys(out.Breakdowns[id]) {
		groupsOut := out.Breakdowns[id][dim]
		groupsIn := in.Breakdowns[id][dim]
		var cells []int
		for _, g := range sortedKeys(groupsOut) {
			gIn, ok := groupsIn[g]
			if !ok {
				continue
			}
			cells = append(cells, s.cell(sdcCell{
				name: id + "/" + dim + "/" + g, in: gIn, out: groupsOut[g],
				set: func(v warehouse.Value) { groupsOut[g] = v },
			}))
		}
		if unit != "count" && isShare(hIn, s, cells) {
			at := []sdcTerm{{head, figDenominator}}
			for _, c := range cells {
				at = append(at, sdcTerm{c, figDenominator})
			}
			total := s.variable(at...)
			s.equation(parts(s, cells, figNumerator), total)
			continue
		}
		for _, f := range figs {
			if f.of(hIn) == nil {
				continue
			}
			s.equation(parts(s, cells, f), s.variable(sdcTerm{head, f}))
		}
	}
	return s
}

// isShare reports whether a rate breakdown is a share: the headline has a
// denominator and no numerator, and every group has the headline's
// denominator, so the groups' numerators partition it.
func isShare(h warehouse.Value, s *sdcSystem, cells []int) bool {
	if h.Numerator != nil || h.Denominator == nil || len(cells) == 0 {
		return false
	}
	for _, c := range cells {
		d := s.cells[c].in.Denominator
		if d == nil || *d != *h.Denominator {
			return false
		}
	}
	return true
}

func parts(s *sdcSystem, cells []int, f figure) []int {
	var vs []int
	for _, c := range cells {
		if f.of(s.cells[c].in) != nil {
			vs = append(vs, s.variable(sdcTerm{c, f}))
		}
	}
	return vs
}

// isMargin reports whether a row label or column id names a total.
func isMargin(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	return n == "total" || n == "all"
}

// tableSystem: total rows and total columns of a Table's count columns.
func tableSystem(tin, tout *warehouse.Table) *sdcSystem {
	s := newSystem()
	if len(tin.Rows) != len(tout.Rows) || len(tin.Columns) != len(tout.Columns) {
		return s
	}
	var countCols []int
	for j, c := range tout.Columns {
		if strings.TrimSpace(c.Unit) == "count" {
			countCols = append(countCols, j)
		}
	}
	marginRow := func(r int) bool { return isMargin(tout.Rows[r].Label) }
	marginCol := func(j int) bool { return isMargin(tout.Columns[j].ID) }
	cells := map[[2]int]int{}
	for r := range tout.Rows {
		for _, j := range countCols {
			if j >= len(tout.Rows[r].Cells) || j >= len(tin.Rows[r].Cells) || tin.Rows[r].Cells[j].Value == nil {
				continue
			}
			row := &tout.Rows[r]
			cells[[2]int{r, j}] = s.cell(sdcCell{
				name: tout.Metric + "/" + tout.Title + "/" + tout.Rows[r].Label + "/" + tout.Columns[j].ID,
				in:   tin.Rows[r].Cells[j], out: row.Cells[j], margin: marginRow(r) || marginCol(j),
				set: func(v warehouse.Value) { row.Cells[j] = v },
			})
		}
	}
	vr := func(r, j int) (int, bool) {
		c, ok := cells[[2]int{r, j}]
		if !ok {
			return 0, false
		}
		return s.variable(sdcTerm{c, figValue}), true
	}
	// Total columns: each row's count cells to the left, back to the
	// previous total column.
	for r := range tout.Rows {
		var ps []int
		for _, j := range countCols {
			if !marginCol(j) {
				if v, ok := vr(r, j); ok {
					ps = append(ps, v)
				}
				continue
			}
			if t, ok := vr(r, j); ok {
				s.equation(ps, t)
			}
			ps = nil
		}
	}
	// Total rows: each count column's cells above, back to the previous
	// total row.
	for _, j := range countCols {
		var ps []int
		for r := range tout.Rows {
			if !marginRow(r) {
				if v, ok := vr(r, j); ok {
					ps = append(ps, v)
				}
				continue
			}
			if t, ok := vr(r, j); ok {
				s.equation(ps, t)
			}
			ps = nil
		}
	}
	return s
}
