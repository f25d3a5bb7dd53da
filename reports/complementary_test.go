package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/evalpipe/evalpipe/warehouse"
)

// recoverable is a reader's attack on a published result: it knows only
// what is published and that breakdowns and tables with margins add up, and
// lists every suppressed figure it can work out exactly. It deliberately
// shares no code with complementary.go: partitions are rebuilt from the
// published shape, and a figure x counts as determined when dropping x's
// column lowers the rank of the system by one (no solution can vary x).
// Published figures are taken as exact, the pessimistic reading of rounding.
func recoverable(res *warehouse.Result, cat []warehouse.Metric) []string {
	units := unitsOf(cat)
	var found []string
	for _, id := range sortedKeys(res.Breakdowns) {
		a := &attack{}
		h, hasHead := res.Metrics[id]
		if !hasHead {
			continue
		}
		unit := units[id]
		if unit == "" {
			unit = "count"
			for _, groups := range res.Breakdowns[id] {
				for _, v := range groups {
					if v.Numerator != nil || v.Denominator != nil {
						unit = "proportion"
					}
				}
			}
			if h.Numerator != nil || h.Denominator != nil {
				unit = "proportion"
			}
		}
		for _, dim := range sortedKeys(res.Breakdowns[id]) {
			groups := res.Breakdowns[id][dim]
			names := sortedKeys(groups)
			share := unit != "count" && !h.Suppressed && h.Numerator == nil && h.Denominator != nil
			switch {
			case unit == "count":
				a.sum(id+"#value", h, h.Value, names, func(g string) (warehouse.Value, *float64, string) {
					return groups[g], groups[g].Value, id + "/" + dim + "/" + g + "#value"
				})
			case share:
				a.sum(id+"#share", h, h.Denominator, names, func(g string) (warehouse.Value, *float64, string) {
					return groups[g], groups[g].Numerator, id + "/" + dim + "/" + g + "#numerator"
				})
			default:
				for _, fig := range []string{"numerator", "denominator"} {
					get := func(v warehouse.Value) *float64 {
						if fig == "numerator" {
							return v.Numerator
						}
						return v.Denominator
					}
					if !h.Suppressed && get(h) == nil {
						continue // no such total is published
					}
					a.sum(id+"#"+fig, h, get(h), names, func(g string) (warehouse.Value, *float64, string) {
						return groups[g], get(groups[g]), id + "/" + dim + "/" + g + "#" + fig
					})
				}
			}
		}
		found = append(found, a.determined()...)
	}
	for ti, t := range res.Tables {
		a := &attack{}
		key := func(r, c int) string { return fmt.Sprintf("table%d/%s/%s", ti, t.Rows[r].Label, t.Columns[c].ID) }
		cell := func(r, c int) (warehouse.Value, bool) {
			if c >= len(t.Rows[r].Cells) {
				return warehouse.Value{}, false
			}
			return t.Rows[r].Cells[c], true
		}
		isTotal := func(s string) bool { s = strings.ToLower(s); return s == "total" || s == "all" }
		var counts []int
		for c, col := range t.Columns {
			if col.Unit == "count" {
				counts = append(counts, c)
			}
		}
		for r := range t.Rows { // total columns
			var parts [][2]int
			for _, c := range counts {
				if !isTotal(t.Columns[c].ID) {
					parts = append(parts, [2]int{r, c})
					continue
				}
				a.tableSum(parts, [2]int{r, c}, cell, key)
				parts = nil
			}
		}
		for _, c := range counts { // total rows
			var parts [][2]int
			for r := range t.Rows {
				if !isTotal(t.Rows[r].Label) {
					parts = append(parts, [2]int{r, c})
					continue
				}
				a.tableSum(parts, [2]int{r, c}, cell, key)
				parts = nil
			}
		}
		found = append(found, a.determined()...)
	}
	sort.Strings(found)
	return found
}

// attack is a system of equations Σ parts − total = known constant, over
// the figures the reader does not see.
type attack struct {
	vars   []string
	secret []bool // withheld by suppression, as opposed to never shown
	index  map[string]int
	rows   []map[int]float64
}

func (a *attack) unknown(name string, secret bool) int {
	if a.index == nil {
		a.index = map[string]int{}
	}
	if i, ok := a.index[name]; ok {
		return i
	}
	a.vars = append(a.vars, name)
	a.secret = append(a.secret, secret)
	a.index[name] = len(a.vars) - 1
	return len(a.vars) - 1
}

// term adds figure x of v (named name) with coefficient c to row.
func (a *attack) term(row map[int]float64, v warehouse.Value, x *float64, name string, c float64) {
	switch {
	case v.Suppressed:
		row[a.unknown(name, true)] += c
	case x == nil:
		row[a.unknown(name, false)] += c
	}
}

func (a *attack) sum(total string, h warehouse.Value, hx *float64, groups []string, part func(string) (warehouse.Value, *float64, string)) {
	row := map[int]float64{}
	a.term(row, h, hx, total, -1)
	for _, g := range groups {
		v, x, name := part(g)
		a.term(row, v, x, name, 1)
	}
	a.rows = append(a.rows, row)
}

func (a *attack) tableSum(parts [][2]int, total [2]int, cell func(r, c int) (warehouse.Value, bool), key func(r, c int) string) {
	tv, ok := cell(total[0], total[1])
	if !ok || len(parts) == 0 {
		return
	}
	row := map[int]float64{}
	a.term(row, tv, tv.Value, key(total[0], total[1]), -1)
	for _, p := range parts {
		if v, ok := cell(p[0], p[1]); ok {
			a.term(row, v, v.Value, key(p[0], p[1]), 1)
		}
	}
	a.rows = append(a.rows, row)
}

func (a *attack) determined() []string {
	full := a.rank(-1)
	var out []string
	for x, name := range a.vars {
		if a.secret[x] && a.rank(x) == full-1 {
			out = append(out, name)
		}
	}
	return out
}

// rank of the system's matrix without column drop (-1: all columns).
func (a *attack) rank(drop int) int {
	m := make([][]float64, len(a.rows))
	for i, row := range a.rows {
		m[i] = make([]float64, len(a.vars))
		for j, c := range row {
			if j != drop {
				m[i][j] = c
			}
		}
	}
	rank := 0
	for col := 0; col < len(a.vars) && rank < len(m); col++ {
		p := -1
		for i := rank; i < len(m); i++ {
			if math.Abs(m[i][col]) > 1e-9 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		m[rank], m[p] = m[p], m[rank]
		for i := rank + 1; i < len(m); i++ {
			f := m[i][col] / m[rank][col]
			for k := col; k < len(a.vars); k++ {
				m[i][k] -= f * m[rank][k]
			}
		}
		rank++
	}
	return rank
}

func countBreakdown(total float64, groups map[string]float64) *warehouse.Result {
	g := map[string]warehouse.Value{}
	for k, v := range groups {
		g[k] = count(v)
	}
	return &warehouse.Result{
		Metrics:    map[string]warehouse.Value{"n": count(total)},
		Breakdowns: map[string]map[string]map[string]warehouse.Value{"n": {"worker_id": g}},
	}
}

func suppressedGroups(groups map[string]warehouse.Value) []string {
	var s []string
	for _, g := range sortedKeys(groups) {
		if groups[g].Suppressed {
			s = append(s, g)
		}
	}
	return s
}

func TestComplementaryBreakdowns(t *testing.T) {
	cat := []warehouse.Metric{{ID: "n", Unit: "count"}, {ID: "r", Unit: "proportion"}, {ID: "share", Unit: "proportion"}, {ID: "d", Unit: "days"}}
	tests := []struct {
		name string
		res  *warehouse.Result
		want []string // suppressed groups of the one breakdown
	}{
		{"one small cell: the next smallest goes too",
			countBreakdown(63, map[string]float64{"a": 3, "b": 20, "c": 12, "d": 28}), []string{"a", "c"}},
		{"ties: smallest value, then group name",
			countBreakdown(43, map[string]float64{"z": 2, "y": 12, "x": 12, "w": 17}), []string{"x", "z"}},
		{"two small cells: nothing more",
			countBreakdown(48, map[string]float64{"a": 3, "b": 4, "c": 41}), []string{"a", "b"}},
		{"none small: nothing",
			countBreakdown(30, map[string]float64{"a": 10, "b": 20}), nil},
		{"one group equal to the total, small: both hidden",
			countBreakdown(3, map[string]float64{"a": 3}), []string{"a"}},
		{"rate: numerator small, next smallest denominator",
			&warehouse.Result{
				Metrics: map[string]warehouse.Value{"r": rate(41.0/84, 41, 84)},
				Breakdowns: map[string]map[string]map[string]warehouse.Value{"r": {"worker_id": {
					"a": rate(2.0/10, 2, 10), "b": rate(10.0/30, 10, 30), "c": rate(14.0/20, 14, 20), "d": rate(15.0/24, 15, 24)}}},
			}, []string{"a", "c"}},
		{"share: numerators partition the shared denominator",
			&warehouse.Result{
				Metrics: map[string]warehouse.Value{"share": {Denominator: f(1114)}},
				Breakdowns: map[string]map[string]map[string]warehouse.Value{"share": {"referral_source": {
					"self": rate(740.0/1114, 740, 1114), "gp": rate(370.0/1114, 370, 1114), "other": rate(4.0/1114, 4, 1114)}}},
			}, []string{"gp", "other"}},
		{"median: cohort sizes partition",
			&warehouse.Result{
				Metrics: map[string]warehouse.Value{"d": {Value: f(20), Denominator: f(40)}},
				Breakdowns: map[string]map[string]map[string]warehouse.Value{"d": {"step": {
					"2": {Value: f(10), Denominator: f(4)}, "3": {Value: f(25), Denominator: f(36)}}}},
			}, []string{"2", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := NHSPolicy().Apply(tt.res, cat)
			for id, dims := range out.Breakdowns {
				for _, groups := range dims {
					if got := suppressedGroups(groups); !reflect.DeepEqual(got, tt.want) {
						t.Errorf("%s: suppressed groups = %v, want %v", id, got, tt.want)
					}
				}
			}
			if rec := recoverable(out, cat); len(rec) > 0 {
				t.Errorf("recoverable after the policy: %v", rec)
			}
		})
	}
}

// The attack sees what subtraction gives: after primary suppression alone,
// the one small cell is recoverable.
func TestRecoverableFindsTheSingleSuppressedCell(t *testing.T) {
	res := countBreakdown(63, map[string]float64{"a": 3, "b": 20, "c": 12, "d": 28})
	cat := []warehouse.Metric{{ID: "n", Unit: "count"}}
	p := &cellPolicy{name: "primary only", threshold: 5, base: 5}
	got := recoverable(p.Apply(res, cat), cat)
	if want := []string{"n/worker_id/a#value"}; !reflect.DeepEqual(got, want) {
		t.Errorf("recoverable after primary suppression only = %v, want %v", got, want)
	}
}

// In a two-way table, every row and column can have two suppressed cells
// and a cell still be pinned: two 2×2 blocks joined by one cell. A
// partition-by-partition check misses it; the rank check does not.
func TestRecoverableTwoWayBridge(t *testing.T) {
	const n = 4
	tb := warehouse.Table{Metric: "m", Title: "two-way"}
	for c := 0; c < n; c++ {
		tb.Columns = append(tb.Columns, warehouse.Column{ID: "c" + strconv.Itoa(c), Unit: "count"})
	}
	tb.Columns = append(tb.Columns, warehouse.Column{ID: "total", Unit: "count"})
	hidden := map[[2]int]bool{{0, 0}: true, {0, 1}: true, {1, 0}: true, {1, 1}: true, {2, 2}: true, {2, 3}: true, {3, 2}: true, {3, 3}: true, {1, 2}: true}
	for r := 0; r <= n; r++ {
		row := warehouse.Row{Label: "r" + strconv.Itoa(r)}
		if r == n {
			row.Label = "Total"
		}
		for c := 0; c <= n; c++ {
			v := count(50)
			if hidden[[2]int{r, c}] {
				v = warehouse.Value{Suppressed: true}
			}
			row.Cells = append(row.Cells, v)
		}
		tb.Rows = append(tb.Rows, row)
	}
	res := &warehouse.Result{Tables: []warehouse.Table{tb}}
	if got, want := recoverable(res, nil), []string{"table0/r1/c2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("recoverable = %v, want %v (the bridge between the two blocks)", got, want)
	}
	in := cloneResult(res)
	for r := range in.Tables[0].Rows {
		for c := range in.Tables[0].Rows[r].Cells {
			in.Tables[0].Rows[r].Cells[c] = count(50)
		}
	}
	s := tableSystem(&in.Tables[0], &res.Tables[0])
	var got []string
	for _, v := range s.recoverable() {
		got = append(got, s.cells[s.vars[v].at[0].cell].name)
	}
	if want := []string{"m/two-way/r1/c2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("policy's own check = %v, want %v", got, want)
	}
}

func TestComplementaryTable(t *testing.T) {
	// Contacts by month × kind with a total column and a total row.
	in := warehouse.Table{Metric: "crisis_contacts", Title: "contacts",
		Columns: []warehouse.Column{{ID: "month", Unit: "text"}, {ID: "a", Unit: "count"}, {ID: "b", Unit: "count"}, {ID: "c", Unit: "count"},
			{ID: "total", Title: "all kinds", Unit: "count"}, {ID: "rate", Unit: "proportion"}}}
	data := [][]float64{{2, 30, 40}, {12, 9, 50}, {20, 25, 30}}
	var sums [4]float64
	for i, d := range data {
		row := warehouse.Row{Label: "m" + strconv.Itoa(i), Cells: []warehouse.Value{{Text: "2024-0" + strconv.Itoa(i+1)}}}
		tot := 0.0
		for j, x := range d {
			row.Cells = append(row.Cells, count(x))
			tot += x
			sums[j] += x
		}
		sums[3] += tot
		row.Cells = append(row.Cells, count(tot), rate(0.5, 10, 20))
		in.Rows = append(in.Rows, row)
	}
	total := warehouse.Row{Label: "Total", Cells: []warehouse.Value{{}}}
	for _, x := range sums {
		total.Cells = append(total.Cells, count(x))
	}
	total.Cells = append(total.Cells, rate(0.5, 30, 60))
	in.Rows = append(in.Rows, total)

	res := &warehouse.Result{Tables: []warehouse.Table{in}}
	out := NHSPolicy().Apply(res, nil)
	var got []string
	for _, r := range out.Tables[0].Rows {
		for j, c := range r.Cells {
			if c.Suppressed {
				got = append(got, r.Label+"/"+out.Tables[0].Columns[j].ID)
			}
		}
	}
	// m0/a (2) is primary. Alone in its row and its column, it takes the
	// smallest of both, m1/a (12); m1/a, now alone in its row, takes m1/b
	// (9), which frees it; m0/b closes the rectangle. No total is touched.
	want := []string{"m0/a", "m0/b", "m1/a", "m1/b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("suppressed = %v, want %v", got, want)
	}
	if rec := recoverable(out, nil); len(rec) > 0 {
		t.Errorf("recoverable: %v", rec)
	}
	if !reflect.DeepEqual(res.Tables[0], in) {
		t.Errorf("Apply changed its input table")
	}
}

func TestNHSPolicyTables(t *testing.T) {
	res := &warehouse.Result{Tables: []warehouse.Table{
		{Metric: "quotes", Title: "Quotes", Columns: []warehouse.Column{{ID: "theme", Unit: "text"}, {ID: "quote", Unit: "quote"}},
			Rows: []warehouse.Row{{Label: "access", Cells: []warehouse.Value{{Text: "Dr Smith"}, {Text: "Jo rang me on 07700 900123, Dr Smith too"}}}}},
		{Metric: "consultation_cases", Title: "Cases", Columns: []warehouse.Column{{ID: "outcome", Unit: "text"}},
			Rows:        []warehouse.Row{{Label: "p-1a2b", Cells: []warehouse.Value{{Text: "recovered"}}}},
			RecordLevel: true},
		{Metric: "pre_post", Title: "Pre/post", Columns: []warehouse.Column{{ID: "before", Unit: "count"}, {ID: "change", Unit: "change"}, {ID: "unit", Unit: "text"}, {ID: "v", Unit: "per_row"}},
			Rows: []warehouse.Row{{Label: "ae", Cells: []warehouse.Value{count(12), {Value: f(-0.5), Numerator: f(-6), Denominator: f(12)}, {Text: "count"}, count(3)}}}},
	}}
	p, err := NHSPolicyWith(NHSOptions{StaffNames: []string{"Jo"}})
	if err != nil {
		t.Fatal(err)
	}
	out := p.Apply(res, nil)
	q := out.Tables[0].Rows[0]
	if got, want := q.Cells[1].Text, "[name] rang me on [phone], [name] too"; got != want {
		t.Errorf("quote = %q, want %q", got, want)
	}
	if got, want := q.Cells[0].Text, "Dr Smith"; got != want {
		t.Errorf("text cell = %q, want %q (only quotes are redacted)", got, want)
	}
	if rows := out.Tables[1].Rows; len(rows) != 0 || !strings.HasPrefix(out.Tables[1].Note, "withheld") {
		t.Errorf("record-level table published: %+v", out.Tables[1])
	}
	pp := out.Tables[2].Rows[0].Cells
	if pp[0].Suppressed || *pp[0].Value != 10 {
		t.Errorf("count 12 = %s, want 10", show(pp[0]))
	}
	if pp[1].Suppressed || *pp[1].Numerator != -5 || *pp[1].Denominator != 10 {
		t.Errorf("change -6/12 = %s, want shown with -5/10", show(pp[1]))
	}
	if !pp[3].Suppressed {
		t.Errorf("per_row count 3 = %s, want suppressed", show(pp[3]))
	}
	none, _ := PolicyByName(PolicyNone)
	if got := none.Apply(res, nil); !reflect.DeepEqual(got.Tables, res.Tables) {
		t.Errorf("policy none changed tables")
	}
}

// TestNHSComplementaryProperty: whatever the warehouse computes, after the
// nhs policy no suppressed figure of a breakdown or count table can be
// worked out by subtraction, and no published count, numerator or
// denominator is below 5.
func TestNHSComplementaryProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	size := func() float64 {
		switch rng.IntN(3) {
		case 0:
			return float64(rng.IntN(6))
		case 1:
			return float64(rng.IntN(25))
		}
		return float64(rng.IntN(400))
	}
	units := []string{"count", "proportion", "share", "days", ""}
	attackable := 0 // results where primary suppression alone leaks
	defer func() {
		if attackable < 100 {
			t.Errorf("only %d of 500 results leak under primary suppression alone: the property test is too easy", attackable)
		}
	}()
	for iter := 0; iter < 500; iter++ {
		res := &warehouse.Result{Metrics: map[string]warehouse.Value{}, Breakdowns: map[string]map[string]map[string]warehouse.Value{}}
		var cat []warehouse.Metric
		for m := 0; m < 1+rng.IntN(4); m++ {
			id := "m" + strconv.Itoa(m)
			unit := units[rng.IntN(len(units))]
			if unit != "" {
				cu := unit
				if unit == "share" {
					cu = "proportion"
				}
				cat = append(cat, warehouse.Metric{ID: id, Unit: cu})
			}
			dims := map[string]map[string]warehouse.Value{}
			ngroups := 1 + rng.IntN(6)
			// One partition of the cohort, cut along each dimension.
			var num, den []float64
			for g := 0; g < 2*ngroups; g++ {
				d := size()
				den = append(den, d)
				num = append(num, math.Floor(rng.Float64()*(d+1)))
			}
			var tn, td float64
			for i := range den {
				tn += num[i]
				td += den[i]
			}
			for dn := 0; dn < 1+rng.IntN(3); dn++ {
				groups := map[string]warehouse.Value{}
				k := 1 + rng.IntN(len(den))
				for i := range den {
					g := "g" + strconv.Itoa(rng.IntN(k))
					v := groups[g]
					switch unit {
					case "count", "":
						v.Value = f(den[i] + val(v.Value))
					case "proportion":
						v = rate(0, num[i]+val(v.Numerator), den[i]+val(v.Denominator))
					case "share":
						v = rate(0, num[i]+val(v.Numerator), tn)
					case "days":
						v = warehouse.Value{Value: f(30), Denominator: f(den[i] + val(v.Denominator))}
					}
					groups[g] = v
				}
				dims["d"+strconv.Itoa(dn)] = groups
			}
			switch unit {
			case "count", "":
				res.Metrics[id] = count(td)
			case "proportion":
				res.Metrics[id] = rate(0, tn, td)
			case "share":
				res.Metrics[id] = warehouse.Value{Denominator: f(tn)}
			case "days":
				res.Metrics[id] = warehouse.Value{Value: f(30), Denominator: f(td)}
			}
			res.Breakdowns[id] = dims
		}
		for tn := 0; tn < rng.IntN(3); tn++ {
			res.Tables = append(res.Tables, randomCountTable(rng, size))
		}
		primary := &cellPolicy{name: "primary only", threshold: 5, base: 5}
		if len(recoverable(primary.Apply(res, cat), cat)) > 0 {
			attackable++
		}
		out := NHSPolicy().Apply(res, cat)
		if rec := recoverable(out, cat); len(rec) > 0 {
			t.Fatalf("iteration %d: recoverable after the nhs policy: %v", iter, rec)
		}
		if again := NHSPolicy().Apply(res, cat); !reflect.DeepEqual(again, out) {
			t.Fatalf("iteration %d: the policy is not deterministic", iter)
		}
		small := func(where string, x *float64) {
			if x != nil && *x < 5 {
				t.Fatalf("iteration %d: %s = %v published", iter, where, *x)
			}
		}
		for id, v := range out.Metrics {
			small(id+".numerator", v.Numerator)
			small(id+".denominator", v.Denominator)
			if judgeUnit(unitsOf(cat)[id], v) == "count" {
				small(id, v.Value)
			}
		}
		for id, dims := range out.Breakdowns {
			for dim, groups := range dims {
				for g, v := range groups {
					where := id + "/" + dim + "/" + g
					small(where+".numerator", v.Numerator)
					small(where+".denominator", v.Denominator)
					if judgeUnit(unitsOf(cat)[id], v) == "count" {
						small(where, v.Value)
					}
				}
			}
		}
		for _, tb := range out.Tables {
			for _, r := range tb.Rows {
				for _, c := range r.Cells {
					small(tb.Title+"/"+r.Label, c.Value)
				}
			}
		}
	}
}

func val(x *float64) float64 {
	if x == nil {
		return 0
	}
	return *x
}

// randomCountTable: an r×c table of counts, with a total column, a total
// row, both or neither.
func randomCountTable(rng *rand.Rand, size func() float64) warehouse.Table {
	nr, nc := 1+rng.IntN(5), 1+rng.IntN(5)
	totCol, totRow := rng.IntN(2) == 0, rng.IntN(2) == 0
	t := warehouse.Table{Metric: "t", Title: "t" + strconv.Itoa(rng.IntN(1000))}
	for c := 0; c < nc; c++ {
		t.Columns = append(t.Columns, warehouse.Column{ID: "c" + strconv.Itoa(c), Unit: "count"})
	}
	if totCol {
		t.Columns = append(t.Columns, warehouse.Column{ID: "total", Unit: "count"})
	}
	colSum := make([]float64, nc+1)
	for r := 0; r < nr; r++ {
		row := warehouse.Row{Label: "r" + strconv.Itoa(r)}
		sum := 0.0
		for c := 0; c < nc; c++ {
			x := size()
			row.Cells = append(row.Cells, count(x))
			sum += x
			colSum[c] += x
		}
		colSum[nc] += sum
		if totCol {
			row.Cells = append(row.Cells, count(sum))
		}
		t.Rows = append(t.Rows, row)
	}
	if totRow {
		row := warehouse.Row{Label: "All"}
		for c := 0; c < nc; c++ {
			row.Cells = append(row.Cells, count(colSum[c]))
		}
		if totCol {
			row.Cells = append(row.Cells, count(colSum[nc]))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
