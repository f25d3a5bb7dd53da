package reports

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/warehouse"
)

// The evaluation reports (interim, peer-impact, crisis-savings,
// consultation, you-said-we-did) are each a document: a title, a prominent
// banner where the reader must be told something first (an observational
// comparison, internal use only), and a list of sections. A section holds
// paragraphs, metric rows, tables and charts, all already formatted after
// disclosure control. One layout, one set of renderers (document.go): each
// report only decides what goes in which section.

// document is one evaluation report laid out for every format.
type document struct {
	Name     string // the report's CLI name: the JSON "report" and file prefix
	Title    string
	Subtitle string
	Period   string
	Service  string
	Policy   string
	Internal bool   // not for publication (policy none, or record-level by nature)
	Banner   string // said before anything else, in a box
	Summary  []string
	Sections []docSection
	Note     string // the disclosure note
	Defs     []definition
	Prov     provenanceView
	Poster   bool // the you-said-we-did A4 poster layout

	pub      *warehouse.Result // after disclosure control: JSON and CSV read it
	kr       *kpiReport        // formatting helpers and the catalogue
	tableIDs []string          // pub.Tables[i]'s id in JSON and CSV
}

// docSection is one section of a document.
type docSection struct {
	ID         string
	Title      string
	Paragraphs []string
	Callout    string // a sentence to stand out (e.g. "no costs configured")
	Rows       []row  // measures, as in the KPI report's sections
	Tables     []docTable
	Bars       []*barChart
	SPC        []*spcChart
	Quotes     []docQuote
	Items      []posterItem
	Defs       bool // the definitions appendix goes here
	Prov       bool // the provenance table goes here
	Disclosure bool // the disclosure note goes here
}

// docTable is a table formatted for people.
type docTable struct {
	Title  string
	Note   string
	Header []string
	Num    []bool // right-aligned columns
	Rows   [][]docCell
}

type docCell struct {
	Main, Sub  string
	Suppressed bool
	Count      bool // a count of people or records: disclosure tests look here
}

type docQuote struct {
	Theme, Text, Who string
}

// posterItem is one "you said, we did" pair.
type posterItem struct {
	Said, Did, Count string
}

// newDocument applies the policy to res and starts a document.
func newDocument(name, title string, res *warehouse.Result, cat []warehouse.Metric, p Policy) *document {
	kr := buildKPI(res, cat, p, title)
	d := &document{
		Name: name, Title: title, Period: kr.Period, Service: kr.Service,
		Policy: kr.Policy, Internal: kr.Internal, Note: kr.Note, Prov: kr.Provenance,
		pub: kr.res, kr: kr,
	}
	d.tableIDs = tableIDs(d.pub.Tables)
	// Only the definitions of what the document shows: every metric of
	// the result (the KPI layout already picked those).
	d.Defs = kr.Definitions
	return d
}

// mergeResults joins the results of several warehouse sections for one
// report: metrics, breakdowns and series by id (the first wins), tables in
// order, provenance of the first with every metric version.
func mergeResults(rs ...*warehouse.Result) *warehouse.Result {
	var out *warehouse.Result
	for _, r := range rs {
		if r == nil {
			continue
		}
		if out == nil {
			c := *r
			c.Metrics = map[string]warehouse.Value{}
			c.Breakdowns = map[string]map[string]map[string]warehouse.Value{}
			c.Series = map[string][]warehouse.SeriesPoint{}
			c.Tables = nil
			c.Provenance.Metrics = map[string]int{}
			out = &c
		}
		for k, v := range r.Metrics {
			if _, ok := out.Metrics[k]; !ok {
				out.Metrics[k] = v
			}
		}
		for k, v := range r.Breakdowns {
			if _, ok := out.Breakdowns[k]; !ok {
				out.Breakdowns[k] = v
			}
		}
		for k, v := range r.Series {
			if _, ok := out.Series[k]; !ok {
				out.Series[k] = v
			}
		}
		out.Tables = append(out.Tables, r.Tables...)
		for k, v := range r.Provenance.Metrics {
			out.Provenance.Metrics[k] = v
		}
	}
	return out
}

// tableIDs names each table for JSON and CSV: its metric, then -2, -3 for
// a metric with several tables.
func tableIDs(ts []warehouse.Table) []string {
	seen := map[string]int{}
	out := make([]string, len(ts))
	for i, t := range ts {
		id := t.Metric
		if id == "" {
			id = "table"
		}
		seen[id]++
		if seen[id] > 1 {
			id += "-" + strconv.Itoa(seen[id])
		}
		out[i] = id
	}
	return out
}

// table returns the published tables of a metric whose title starts with
// prefix ("" for any), in order.
func (d *document) tables(metric, prefix string) []*warehouse.Table {
	var out []*warehouse.Table
	for i := range d.pub.Tables {
		t := &d.pub.Tables[i]
		if t.Metric == metric && strings.HasPrefix(t.Title, prefix) {
			out = append(out, t)
		}
	}
	return out
}

func (d *document) firstTable(metric, prefix string) *warehouse.Table {
	if ts := d.tables(metric, prefix); len(ts) > 0 {
		return ts[0]
	}
	return nil
}

// rows formats the published metrics ids that exist, in order.
func (d *document) rows(ids ...string) []row {
	var out []row
	for _, id := range ids {
		if v, ok := d.pub.Metrics[id]; ok {
			out = append(out, d.kr.row(id, d.kr.title(id), v))
		}
	}
	return out
}

// metric returns the published value of id and whether it has a number to show.
func (d *document) metric(id string) (warehouse.Value, bool) {
	v, ok := d.pub.Metrics[id]
	return v, ok && !v.Suppressed && v.Value != nil && finite(*v.Value)
}

// show formats a published metric for a sentence: "41.2% (95% CI 30.1% to
// 52.9%)", "suppressed (fewer than 5)" or "not available".
func (d *document) show(id string) string {
	v, ok := d.pub.Metrics[id]
	switch {
	case !ok:
		return "not available"
	case v.Suppressed:
		return "suppressed (fewer than 5)"
	case v.Value == nil || !finite(*v.Value):
		return "not available"
	}
	unit := d.kr.cat[id].Unit
	s := formatCellValue(unit, *v.Value)
	if v.CI95 != nil {
		s += " (95% CI " + formatCellValue(unit, v.CI95[0]) + " to " + formatCellValue(unit, v.CI95[1]) + ")"
	}
	return s
}

// docTableOf formats a published warehouse table for people: labels
// through label (nil: as they are), each cell with its interval and n.
func (d *document) docTableOf(t *warehouse.Table, label func(string) string) docTable {
	if label == nil {
		label = func(s string) string { return s }
	}
	out := docTable{Title: t.Title, Note: t.Note, Header: []string{""}, Num: []bool{false}}
	for _, c := range t.Columns {
		out.Header = append(out.Header, columnTitle(c))
		out.Num = append(out.Num, c.Unit != "text" && c.Unit != "quote")
	}
	for r, tr := range t.Rows {
		cells := []docCell{{Main: label(tr.Label)}}
		for c := range t.Columns {
			if c >= len(tr.Cells) {
				cells = append(cells, docCell{Main: "—"})
				continue
			}
			cells = append(cells, formatCell(cellUnit(t, r, c), tr.Cells[c]))
		}
		out.Rows = append(out.Rows, cells)
	}
	return out
}

// columnTitle is a column's title with a capital letter.
func columnTitle(c warehouse.Column) string {
	t := c.Title
	if t == "" {
		t = c.ID
	}
	return sentence(t)
}

// formatCell prints one table cell: value, then its interval and n.
func formatCell(unit string, v warehouse.Value) docCell {
	switch {
	case v.Suppressed:
		return docCell{Main: "suppressed", Suppressed: true}
	case unit == "text" || unit == "quote" || (v.Value == nil && v.Text != ""):
		return docCell{Main: orDash(plain(v.Text))}
	case v.Value == nil || !finite(*v.Value):
		if v.Note != "" && unit != "count" {
			return docCell{Main: "—", Sub: v.Note}
		}
		return docCell{Main: "—"}
	}
	c := docCell{Main: formatCellValue(unit, *v.Value), Count: unit == "count"}
	var sub []string
	if v.CI95 != nil {
		sub = append(sub, "95% CI "+formatCellValue(unit, v.CI95[0])+" to "+formatCellValue(unit, v.CI95[1]))
	}
	if v.Denominator != nil && unit != "count" && unit != "gbp" {
		if v.Numerator != nil && unit == "proportion" {
			sub = append(sub, formatCount(*v.Numerator)+" of "+formatCount(*v.Denominator))
		} else {
			sub = append(sub, "n = "+formatCount(*v.Denominator))
		}
	}
	c.Sub = strings.Join(sub, "; ")
	return c
}

// formatCellValue extends formatValue with the table units.
func formatCellValue(unit string, x float64) string {
	if !finite(x) {
		return "—"
	}
	switch unit {
	case "gbp":
		s := "£" + withThousands(strconv.FormatFloat(math.Abs(math.Round(x)), 'f', 0, 64))
		if math.Round(x) < 0 {
			s = "−" + s
		}
		return s
	case "change":
		return strings.Replace(strconv.FormatFloat(x*100, 'f', 1, 64), "-", "−", 1) + "%"
	case "hours":
		return trimFloat(x, 1) + " h"
	case "effect_size", "score":
		return trimFloat(x, 2)
	case "mean", "mean_change":
		return trimFloat(x, 2)
	case "ratio", "gbp_per_gbp":
		return trimFloat(x, 2)
	}
	return formatValue(unit, x)
}

// plain replaces the machine separators of a text cell with commas.
func plain(s string) string { return strings.ReplaceAll(s, " | ", "; ") }

// sentence capitalises the first letter and turns ids into words.
func sentence(s string) string {
	if s == "" {
		return s
	}
	if !strings.Contains(s, " ") {
		s = strings.ReplaceAll(s, "_", " ")
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// labelOf is the plain-English label of a code or id, for people.
func labelOf(code string) string {
	if l, ok := plainLabels[code]; ok {
		return l
	}
	return sentence(code)
}

// plainLabels name the codes and ids that reach people: feedback themes,
// respondent groups, contact kinds, metric ids used as row labels.
var plainLabels = map[string]string{
	// the codebook's themes
	"waiting_time":        "Waiting times",
	"feeling_listened_to": "Feeling listened to",
	"flexibility":         "Flexible appointments",
	"peer_understanding":  "Support from people who have been there",
	"practical_help":      "Practical help (money, housing)",
	"continuity":          "Seeing the same person",
	"access_barriers":     "Getting in touch and getting in",
	// respondents and outcome groups
	"service_user": "Service users", "non_completer": "People who left early", "carer": "Carers",
	"staff": "Staff", "peer_worker": "Peer workers", "stakeholder": "Stakeholders",
	"recovered": "Recovered", "not_recovered": "Not recovered",
	// crisis contact kinds
	"ae_attendance": "A&E attendances", "acute_admission": "Acute admissions",
	"crisis_team_contact": "Crisis team contacts", "crisis_line_call": "Crisis line calls",
	"sanctuary_visit": "Sanctuary visits", "section_136": "Section 136 detentions", "other": "Other",
	"acute_admission_bed_days": "Acute admission bed days", "all": "All kinds",
	// comparison rows
	"dropout_rate": "Drop-out rate", "dna_rate": "Did-not-attend rate", "recovery_rate": "Recovery rate",
	"wemwbs_change": "WEMWBS change", "experience_good_pct": "Experience good or excellent",
	"cancellation_rate": "Cancellation rate", "follow_up_offered_pct": "Follow-up offered",
	"mean_treatment_sessions":               "Mean treatment sessions",
	"mean_treatment_sessions_recovered":     "Mean treatment sessions, recovered",
	"mean_treatment_sessions_not_recovered": "Mean treatment sessions, not recovered",
	"mean_review_sessions_recovered":        "Mean review sessions, recovered",
	"mean_review_sessions_not_recovered":    "Mean review sessions, not recovered",
	"adsm_use_rate":                         "Problem-specific anxiety measure used",
}

// methodDate is a date for a methodology paragraph.
func methodDate(t time.Time) string { return humanDate(t) }

// countText is a published count for a sentence.
func countText(v warehouse.Value) string {
	switch {
	case v.Suppressed:
		return "fewer than 5"
	case v.Value == nil:
		return "no"
	}
	return formatCount(*v.Value)
}

// cellCount is a published count cell for a sentence.
func cellCount(t *warehouse.Table, row, col string) string {
	if t == nil {
		return "no"
	}
	ci := -1
	for i, c := range t.Columns {
		if c.ID == col {
			ci = i
		}
	}
	for _, r := range t.Rows {
		if r.Label == row && ci >= 0 && ci < len(r.Cells) {
			return countText(r.Cells[ci])
		}
	}
	return "no"
}

// barFromTable is a bar chart of one numeric column of a published table.
func barFromTable(id, title, desc string, t *warehouse.Table, col string, label func(string) string) *barChart {
	if t == nil || len(t.Rows) == 0 {
		return nil
	}
	ci := -1
	for i, c := range t.Columns {
		if c.ID == col {
			ci = i
		}
	}
	if ci < 0 {
		return nil
	}
	unit := t.Columns[ci].Unit
	if label == nil {
		label = labelOf
	}
	var data []barDatum
	top := 0.0
	tbl := chartTable{Caption: title + " (table of the chart)", Header: []string{"Group", columnTitle(t.Columns[ci])}}
	for r, row := range t.Rows {
		if ci >= len(row.Cells) {
			continue
		}
		v := row.Cells[ci]
		u := cellUnit(t, r, ci)
		cell := formatCell(u, v)
		d := barDatum{Label: truncate(label(row.Label), 32), Text: cell.Main}
		if !v.Suppressed && v.Value != nil && finite(*v.Value) {
			x := display(u, *v.Value)
			d.Value = &x
			top = maxf(top, x)
		}
		data = append(data, d)
		tbl.Rows = append(tbl.Rows, []string{label(row.Label), strings.TrimSpace(cell.Main + " " + paren(cell.Sub))})
	}
	max := niceMax(top)
	if unit == "proportion" {
		max = 100
	}
	return newBarChart(id, title, desc, axisLabel(unit), max, data, tickFunc(unit), tbl)
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// defsFor keeps the definitions of ids (in catalogue order) that are not
// there already.
func (d *document) defsFor(cat []warehouse.Metric, ids ...string) {
	have := map[string]bool{}
	for _, x := range d.Defs {
		have[x.ID] = true
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for _, m := range cat {
		if !want[m.ID] || have[m.ID] {
			continue
		}
		def := definition{ID: m.ID, Title: m.Title, Definition: m.Definition, Cohort: m.Cohort,
			Unit: m.Unit, Version: strconv.Itoa(m.Version), Source: m.Source}
		if m.Standard != nil {
			def.Standard = formatValue(m.Unit, *m.Standard)
		}
		d.Defs = append(d.Defs, def)
	}
}

// appendix adds the closing sections every evaluation report has.
func (d *document) appendix() {
	d.Sections = append(d.Sections,
		docSection{ID: "disclosure", Title: "Appendix: disclosure policy", Disclosure: true},
		docSection{ID: "provenance", Title: "Appendix: provenance", Prov: true},
		docSection{ID: "definitions", Title: "Appendix: metric definitions", Defs: true},
	)
}

// sortedRows returns the labels of a breakdown in order, for sentences.
func sortedGroups(m map[string]warehouse.Value) []string {
	ks := sortedKeys(m)
	sort.Strings(ks)
	return ks
}

func pctOf(v warehouse.Value) string {
	if v.Suppressed || v.Value == nil {
		return "suppressed"
	}
	return formatValue("proportion", *v.Value)
}

var _ = fmt.Sprint

// groupLabel is the plain-English label of a column title made from a
// code ("Service user" from service_user).
func groupLabel(h string) string {
	return labelOf(strings.ToLower(strings.ReplaceAll(h, " ", "_")))
}
