package reports

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

var (
	metricsCSVHeader    = []string{"metric_id", "title", "unit", "value", "numerator", "denominator", "ci95_low", "ci95_high", "suppressed", "standard", "version"}
	breakdownsCSVHeader = []string{"metric_id", "dimension", "group", "value", "numerator", "denominator", "suppressed"}
)

// writeMetricsCSV writes kpi-metrics.csv: one row per metric, sorted by id.
// Numbers are machine-readable (proportions as fractions, as in the JSON);
// empty cells mean "not applicable" or "suppressed" (see the suppressed
// column).
func writeMetricsCSV(r *kpiReport, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(metricsCSVHeader); err != nil {
		return err
	}
	for _, id := range sortedKeys(r.res.Metrics) {
		v := r.res.Metrics[id]
		m := r.cat[id]
		lo, hi := "", ""
		if v.CI95 != nil && !v.Suppressed {
			lo, hi = csvNum(&v.CI95[0]), csvNum(&v.CI95[1])
		}
		version := ""
		if m.Version != 0 {
			version = strconv.Itoa(m.Version)
		}
		rec := []string{
			id, csvText(m.Title), m.Unit,
			csvNum(v.Value), csvNum(v.Numerator), csvNum(v.Denominator),
			lo, hi, strconv.FormatBool(v.Suppressed), csvNum(m.Standard), version,
		}
		if v.Suppressed {
			rec[3], rec[4], rec[5] = "", "", ""
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeBreakdownsCSV writes kpi-breakdowns.csv: one row per breakdown cell,
// sorted by metric, dimension and group.
func writeBreakdownsCSV(r *kpiReport, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(breakdownsCSVHeader); err != nil {
		return err
	}
	for _, id := range sortedKeys(r.res.Breakdowns) {
		dims := r.res.Breakdowns[id]
		for _, dim := range sortedKeys(dims) {
			for _, g := range sortedKeys(dims[dim]) {
				v := dims[dim][g]
				rec := []string{id, csvText(dim), csvText(g), csvNum(v.Value), csvNum(v.Numerator), csvNum(v.Denominator), strconv.FormatBool(v.Suppressed)}
				if v.Suppressed {
					rec[3], rec[4], rec[5] = "", "", ""
				}
				if err := cw.Write(rec); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvNum(p *float64) string {
	if p == nil || !finite(*p) {
		return ""
	}
	return formatNum(*p)
}

// csvText defuses spreadsheet formula injection: a text cell from the data
// (a GP practice name, a group) that a spreadsheet would run as a formula is
// prefixed with an apostrophe, as OWASP advises for CSV opened in Excel.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
