package reports

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/warehouse"
)

// The layout of the KPI report: which metric goes in which section, in the
// order of METRICS.md. This is presentation only; what a metric means, its
// unit, standard and version come from the catalogue.
var (
	headlineIDs = []string{
		"referrals_received", "entered_treatment", "finished_treatment",
		"wait_6wk_pct", "wait_18wk_pct", "wait_median_days",
		"recovery_rate", "reliable_recovery_rate", "reliable_improvement_rate",
	}
	sectionLayout = []struct {
		title string
		ids   []string
	}{
		{"Access & timeliness", []string{
			"referrals_received", "referral_source_share", "entered_treatment",
			"access_rate_per_100k", "finished_treatment", "wait_6wk_pct",
			"wait_18wk_pct", "wait_median_days", "first_contact_3wk_pct",
			"funnel", "representation_ratio",
		}},
		{"Engagement", []string{
			"dna_rate", "cancellation_rate", "dropout_rate",
			"mean_treatment_sessions", "follow_up_offered_pct",
		}},
		{"Outcomes", []string{
			"finished_paired", "not_at_caseness", "recovered", "recovery_rate",
			"reliable_improvement_rate", "reliable_deterioration_rate",
			"reliable_recovery_rate",
		}},
	}
	// dataQualityIDs are always shown, whatever their value.
	dataQualityIDs = []string{"no_paired_scores"}
	// dimensionOrder puts the breakdowns a commissioner asks for first.
	dimensionOrder = []string{
		"worker_id", "gp_practice", "referral_source", "step", "complexity",
		"problem", "ethnicity", "age_band",
	}
	dimensionLabels = map[string]string{
		"worker_id":       "Clinician",
		"gp_practice":     "GP practice",
		"referral_source": "Referral source",
		"step":            "Step",
		"complexity":      "Complexity",
		"problem":         "Problem",
		"ethnicity":       "Ethnicity",
		"age_band":        "Age band",
		"wait_band":       "Wait to first treatment",
	}
)

// kpiReport is the KPI report laid out once, after disclosure control, for
// every format to render. Human formats read the formatted strings; JSON and
// CSV read the Result directly.
type kpiReport struct {
	Title       string
	Period      string // "1 April 2024 to 31 March 2025"
	Service     string // "all" when the Result names none
	Policy      string
	Internal    bool // policy "none": not for publication
	Note        string
	Headline    []row
	Sections    []section
	Breakdowns  []breakdown
	DataQuality []row
	Notes       []string // value notes (e.g. the GAD-7 fallback), "title: note"
	Definitions []definition
	Provenance  provenanceView

	res *warehouse.Result // after disclosure control
	cat map[string]warehouse.Metric
	// rebase: metric id → the month (YYYY-MM) from which its SPC chart
	// starts a new phase (a service launch); none for the KPI report.
	rebase map[string]string
}

type section struct {
	Title string
	Rows  []row
}

// row is one value ready to print.
type row struct {
	ID          string
	Title       string // the metric's title, or the group in a breakdown
	Unit        string
	Value       string
	Standard    string
	Met         string // "met", "not met" or ""
	CI          string
	N           string // the denominator, the cohort size
	Numerator   string
	Denominator string
	Suppressed  bool
	Note        string

	v warehouse.Value
}

type breakdown struct {
	MetricID  string
	Metric    string // title
	Dimension string
	Label     string // "GP practice"
	Lower     string // "GP practice", "clinician": for mid-sentence use
	Unit      string
	Rows      []row
}

type definition struct {
	ID, Title, Definition, Cohort, Unit, Version, Source, Standard string
}

type provenanceView struct {
	AsOf, Lake, LakeFiles, Version, MetricVersions, GeneratedAt, TimeZone string
}

// buildKPI applies the policy and lays the report out.
func buildKPI(res *warehouse.Result, cat []warehouse.Metric, p Policy, title string) *kpiReport {
	pub := p.Apply(res, cat)
	r := &kpiReport{
		Title:    title,
		Period:   humanDate(pub.Period.From) + " to " + humanDate(pub.Period.To),
		Service:  serviceName(pub.Service),
		Policy:   p.Name(),
		Internal: p.Name() == PolicyNone,
		Note:     policyNote(p),
		res:      pub,
		cat:      catalogueIndex(cat),
	}
	for _, id := range headlineIDs {
		if v, ok := pub.Metrics[id]; ok {
			r.Headline = append(r.Headline, r.row(id, r.cat[id].Title, v))
		}
	}
	// Every other metric with a standard is a headline too.
	for _, id := range sortedKeys(pub.Metrics) {
		if m, ok := r.cat[id]; ok && m.Standard != nil && !contains(headlineIDs, id) {
			r.Headline = append(r.Headline, r.row(id, m.Title, pub.Metrics[id]))
		}
	}

	placed := map[string]bool{}
	for _, id := range dataQualityIDs {
		placed[id] = true
		v, ok := pub.Metrics[id]
		if !ok {
			v = warehouse.Value{Note: "not computed"}
		}
		r.DataQuality = append(r.DataQuality, r.row(id, r.cat[id].Title, v))
	}
	for _, s := range sectionLayout {
		sec := section{Title: s.title}
		for _, id := range s.ids {
			if v, ok := pub.Metrics[id]; ok {
				placed[id] = true
				sec.Rows = append(sec.Rows, r.row(id, r.cat[id].Title, v))
			}
		}
		if len(sec.Rows) > 0 {
			r.Sections = append(r.Sections, sec)
		}
	}
	// Nothing is dropped silently: metrics the layout does not know go in
	// a section of their own.
	other := section{Title: "Other measures"}
	for _, id := range sortedKeys(pub.Metrics) {
		if !placed[id] {
			other.Rows = append(other.Rows, r.row(id, r.cat[id].Title, pub.Metrics[id]))
		}
	}
	if len(other.Rows) > 0 {
		r.Sections = append(r.Sections, other)
	}

	for _, id := range metricOrder(sortedKeys(pub.Breakdowns)) {
		dims := pub.Breakdowns[id]
		for _, dim := range dimensionSort(sortedKeys(dims)) {
			b := breakdown{
				MetricID: id, Metric: r.title(id), Dimension: dim,
				Label: dimensionLabel(dim), Unit: r.cat[id].Unit,
			}
			b.Lower = lowerLabel(b.Label)
			for _, g := range sortedKeys(dims[dim]) {
				b.Rows = append(b.Rows, r.row(id, g, dims[dim][g]))
			}
			r.Breakdowns = append(r.Breakdowns, b)
		}
	}

	for _, s := range append(append(append([]row{}, r.Headline...), flatten(r.Sections)...), r.DataQuality...) {
		if s.Note != "" && s.Note != "not computed" {
			n := s.Title + ": " + s.Note
			if !contains(r.Notes, n) {
				r.Notes = append(r.Notes, n)
			}
		}
	}

	used := map[string]bool{}
	for id := range pub.Metrics {
		used[id] = true
	}
	for id := range pub.Breakdowns {
		used[id] = true
	}
	for id := range pub.Series {
		used[id] = true
	}
	for _, id := range dataQualityIDs {
		used[id] = true
	}
	for _, m := range cat {
		if !used[m.ID] {
			continue
		}
		d := definition{
			ID: m.ID, Title: m.Title, Definition: m.Definition, Cohort: m.Cohort,
			Unit: m.Unit, Version: strconv.Itoa(m.Version), Source: m.Source,
		}
		if m.Standard != nil {
			d.Standard = formatValue(m.Unit, *m.Standard)
		}
		r.Definitions = append(r.Definitions, d)
	}

	pv := pub.Provenance
	r.Provenance = provenanceView{
		AsOf:        humanTime(pv.AsOf),
		Lake:        orDash(pv.Lake),
		LakeFiles:   strconv.Itoa(pv.LakeFiles),
		Version:     orDash(pv.Version),
		GeneratedAt: humanTime(pv.GeneratedAt),
		TimeZone:    orDash(pv.TimeZone),
	}
	var mv []string
	for _, id := range sortedKeys(pv.Metrics) {
		mv = append(mv, id+" v"+strconv.Itoa(pv.Metrics[id]))
	}
	r.Provenance.MetricVersions = orDash(strings.Join(mv, ", "))
	return r
}

// row formats one value of metric id under the given label.
func (r *kpiReport) row(id, label string, v warehouse.Value) row {
	m := r.cat[id]
	if label == "" {
		label = id
	}
	out := row{ID: id, Title: label, Unit: m.Unit, Suppressed: v.Suppressed, Note: v.Note, v: v}
	switch {
	case v.Suppressed:
		out.Value = "suppressed"
	case v.Value == nil || !finite(*v.Value):
		out.Value = "—"
	default:
		out.Value = formatValue(m.Unit, *v.Value)
	}
	out.Standard, out.Met = "—", ""
	if m.Standard != nil {
		out.Standard = formatValue(m.Unit, *m.Standard)
		if !v.Suppressed && v.Value != nil && finite(*v.Value) {
			out.Met = "not met"
			if m.Direction == "down" && *v.Value <= *m.Standard || m.Direction != "down" && *v.Value >= *m.Standard {
				out.Met = "met"
			}
		}
	}
	out.CI = "—"
	if v.CI95 != nil && !v.Suppressed {
		out.CI = formatValue(m.Unit, v.CI95[0]) + " to " + formatValue(m.Unit, v.CI95[1])
	}
	out.Numerator, out.Denominator, out.N = "—", "—", "—"
	if v.Numerator != nil {
		out.Numerator = formatCount(*v.Numerator)
	}
	if v.Denominator != nil {
		out.Denominator = formatCount(*v.Denominator)
		out.N = out.Denominator
	}
	return out
}

func (r *kpiReport) title(id string) string {
	if t := r.cat[id].Title; t != "" {
		return t
	}
	return id
}

// metricOrder sorts metric ids in report order: by section, then the rest
// alphabetically.
func metricOrder(ids []string) []string {
	rank := map[string]int{}
	n := 0
	for _, s := range sectionLayout {
		for _, id := range s.ids {
			rank[id] = n
			n++
		}
	}
	for _, id := range dataQualityIDs {
		rank[id] = n
		n++
	}
	sort.Slice(ids, func(i, j int) bool {
		ri, oki := rank[ids[i]]
		rj, okj := rank[ids[j]]
		switch {
		case oki && okj:
			return ri < rj
		case oki != okj:
			return oki
		}
		return ids[i] < ids[j]
	})
	return ids
}

func dimensionSort(dims []string) []string {
	sort.Slice(dims, func(i, j int) bool {
		ri, rj := index(dimensionOrder, dims[i]), index(dimensionOrder, dims[j])
		switch {
		case ri >= 0 && rj >= 0:
			return ri < rj
		case (ri >= 0) != (rj >= 0):
			return ri >= 0
		}
		return dims[i] < dims[j]
	})
	return dims
}

// lowerLabel is a label for mid-sentence use: "by clinician", but "by GP
// practice".
func lowerLabel(l string) string {
	if len(l) > 1 && strings.ToUpper(l[:2]) == l[:2] {
		return l
	}
	return strings.ToLower(l[:min(1, len(l))]) + l[min(1, len(l)):]
}

func dimensionLabel(dim string) string {
	if l, ok := dimensionLabels[dim]; ok {
		return l
	}
	l := strings.ReplaceAll(dim, "_", " ")
	if l == "" {
		return l
	}
	return strings.ToUpper(l[:1]) + l[1:]
}

// formatValue prints x in the unit's human form: proportions as
// percentages, counts with thousands separators.
func formatValue(unit string, x float64) string {
	if !finite(x) {
		return "—"
	}
	switch unit {
	case "proportion":
		return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
	case "count":
		return formatCount(x)
	case "days":
		return trimFloat(x, 1) + " days"
	case "mean":
		return trimFloat(x, 1)
	case "rate_per_100k":
		return withThousands(strconv.FormatFloat(x, 'f', 1, 64)) + " per 100,000"
	}
	return trimFloat(x, 2)
}

func formatCount(x float64) string {
	if !finite(x) {
		return "—"
	}
	return withThousands(strconv.FormatFloat(math.Round(x), 'f', 0, 64))
}

// trimFloat prints x with at most dp decimals and no trailing zeros.
func trimFloat(x float64, dp int) string {
	s := strconv.FormatFloat(x, 'f', dp, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return withThousands(s)
}

// withThousands puts commas into the integer part of a decimal string.
func withThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

func humanDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2 January 2006")
}

func humanTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2 January 2006 15:04 MST")
}

func serviceName(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func flatten(ss []section) []row {
	var out []row
	for _, s := range ss {
		out = append(out, s.Rows...)
	}
	return out
}

func index(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

func contains(xs []string, x string) bool { return index(xs, x) >= 0 }
