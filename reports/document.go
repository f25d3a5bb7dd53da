package reports

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/evalpipe/evalpipe/warehouse"
)

// The renderers of a document (sections.go): one per format, as for the KPI
// report. The HTML template shares the KPI template's style and chart
// definitions (kpi.html.tmpl), so a chart looks and reads the same in every
// report.

//go:embed doc.html.tmpl
var docHTML string

var docTemplate = template.Must(template.Must(kpiTemplate.Clone()).New("doc").Parse(docHTML))

func (d *document) writeHTML(w io.Writer) error {
	return docTemplate.ExecuteTemplate(w, "doc", d)
}

// writeMarkdown renders d as Markdown, every string escaped.
func (d *document) writeMarkdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(lines ...string) {
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	p("# "+md(d.Title), "")
	if d.Subtitle != "" {
		p(md(d.Subtitle), "")
	}
	p("**Period:** "+md(d.Period)+"  ", "**Service:** "+md(d.Service)+"  ", "**Disclosure:** "+md(d.Policy), "")
	if d.Internal {
		p("> **Internal use: not for publication.**", "")
	}
	if d.Banner != "" {
		p("> **"+md(d.Banner)+"**", "")
	}
	if len(d.Summary) > 0 {
		p("## Summary", "")
		for _, s := range d.Summary {
			p("- " + md(s))
		}
		p("")
	}
	for _, s := range d.Sections {
		p("## "+md(s.Title), "")
		if s.Callout != "" {
			p("> "+md(s.Callout), "")
		}
		for _, para := range s.Paragraphs {
			p(md(para), "")
		}
		if len(s.Rows) > 0 {
			p("| Measure | Value | 95% interval | Numerator | Denominator | Note |", "|---|---:|---|---:|---:|---|")
			for _, x := range s.Rows {
				p(mdRow(x.Title, x.Value, x.CI, x.Numerator, x.Denominator, orDash(x.Note)))
			}
			p("")
		}
		for _, it := range s.Items {
			p("### You said: "+md(it.Said), "", "We did: "+md(it.Did), "")
		}
		for _, q := range s.Quotes {
			p("> “"+md(q.Text)+"” — "+md(q.Who)+" ("+md(q.Theme)+")", "")
		}
		for _, c := range s.Bars {
			mdChartTable(p, c.Title, c.Table)
		}
		for _, c := range s.SPC {
			mdChartTable(p, c.Title, c.Table)
		}
		for _, t := range s.Tables {
			if t.Title != "" {
				p("### "+md(t.Title), "")
			}
			head := make([]string, len(t.Header))
			align := make([]string, len(t.Header))
			for i, h := range t.Header {
				head[i] = md(h)
				align[i] = "---"
				if t.Num[i] {
					align[i] = "---:"
				}
			}
			p("| "+joinCells(head)+" |", "| "+joinCells(align)+" |")
			for _, r := range t.Rows {
				cells := make([]string, len(r))
				for i, c := range r {
					cells[i] = c.Main
					if c.Sub != "" {
						cells[i] += " (" + c.Sub + ")"
					}
				}
				p(mdRow(cells...))
			}
			p("")
			if t.Note != "" {
				p("*"+md(t.Note)+"*", "")
			}
		}
		if s.Disclosure {
			p(md(d.Note), "")
		}
		if s.Prov {
			pv := d.Prov
			p("| | |", "|---|---|",
				mdRow("Data as of", pv.AsOf),
				mdRow("Lake fingerprint", pv.Lake+" ("+pv.LakeFiles+" files)"),
				mdRow("Code version", pv.Version),
				mdRow("Metric versions", pv.MetricVersions),
				mdRow("Generated at", pv.GeneratedAt),
				mdRow("Time zone", pv.TimeZone), "")
		}
		if s.Defs {
			for _, x := range d.Defs {
				p("### "+md(x.Title)+" (`"+mdCode(x.ID)+"`, version "+md(x.Version)+")", "", md(x.Definition), "")
				p("- **Cohort:** "+md(orDash(x.Cohort)), "- **Unit:** "+md(orDash(x.Unit)), "- **Source:** "+md(orDash(x.Source)), "")
			}
		}
	}
	return b.Flush()
}

func mdChartTable(p func(...string), title string, t chartTable) {
	p("### "+md(title), "", "| "+joinCells(mdAll(t.Header))+" |", "|"+repeat("---|", len(t.Header)))
	for _, r := range t.Rows {
		p(mdRow(append([]string(nil), r...)...))
	}
	p("")
}

func mdAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = md(x)
	}
	return out
}

func joinCells(xs []string) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += " | "
		}
		s += x
	}
	return s
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// jsonDoc is the CLI.md shape with the document's tables: report, period,
// service, disclosure, metrics, breakdowns, tables, series, provenance.
type jsonDoc struct {
	Report     string                                     `json:"report"`
	Period     jsonPeriod                                 `json:"period"`
	Service    string                                     `json:"service"`
	Disclosure string                                     `json:"disclosure"`
	Metrics    map[string]jsonValue                       `json:"metrics"`
	Breakdowns map[string]map[string]map[string]jsonValue `json:"breakdowns"`
	Tables     []jsonTable                                `json:"tables"`
	Series     map[string][]jsonPoint                     `json:"series"`
	Provenance jsonProvenance                             `json:"provenance"`
}

type jsonTable struct {
	ID      string             `json:"id"`
	Metric  string             `json:"metric"`
	Title   string             `json:"title"`
	Note    string             `json:"note,omitempty"`
	Columns []warehouse.Column `json:"columns"`
	Rows    []jsonRow          `json:"rows"`
}

type jsonRow struct {
	Label string     `json:"label"`
	Cells []jsonCell `json:"cells"`
}

type jsonCell struct {
	jsonValue
	Text string `json:"text,omitempty"`
}

type jsonPoint struct {
	Month string `json:"month"`
	jsonValue
}

func (d *document) writeJSON(w io.Writer) error {
	res := d.pub
	out := jsonDoc{
		Report:     d.Name,
		Period:     jsonPeriod{From: isoDate(res.Period.From), To: isoDate(res.Period.To)},
		Service:    d.Service,
		Disclosure: d.Policy,
		Metrics:    map[string]jsonValue{},
		Breakdowns: map[string]map[string]map[string]jsonValue{},
		Tables:     []jsonTable{},
		Series:     map[string][]jsonPoint{},
		Provenance: jsonProvenance{
			AsOf: isoTime(res.Provenance.AsOf), Lake: res.Provenance.Lake, LakeFiles: res.Provenance.LakeFiles,
			Version: res.Provenance.Version, MetricVersions: res.Provenance.Metrics,
			TimeZone: res.Provenance.TimeZone, GeneratedAt: isoTime(res.Provenance.GeneratedAt),
		},
	}
	if out.Provenance.MetricVersions == nil {
		out.Provenance.MetricVersions = map[string]int{}
	}
	for id, v := range res.Metrics {
		out.Metrics[id] = toJSONValue(v)
	}
	for id, dims := range res.Breakdowns {
		dd := map[string]map[string]jsonValue{}
		for dim, groups := range dims {
			g := map[string]jsonValue{}
			for k, v := range groups {
				g[k] = toJSONValue(v)
			}
			dd[dim] = g
		}
		out.Breakdowns[id] = dd
	}
	for id, pts := range res.Series {
		for _, pt := range pts {
			out.Series[id] = append(out.Series[id], jsonPoint{Month: pt.Month, jsonValue: toJSONValue(pt.Value)})
		}
	}
	for i, t := range res.Tables {
		jt := jsonTable{ID: d.tableIDs[i], Metric: t.Metric, Title: t.Title, Note: t.Note, Columns: t.Columns, Rows: []jsonRow{}}
		if jt.Columns == nil {
			jt.Columns = []warehouse.Column{}
		}
		for _, r := range t.Rows {
			jr := jsonRow{Label: r.Label, Cells: []jsonCell{}}
			for _, c := range r.Cells {
				jc := jsonCell{jsonValue: toJSONValue(c)}
				if !c.Suppressed {
					jc.Text = c.Text
				}
				jr.Cells = append(jr.Cells, jc)
			}
			jt.Rows = append(jt.Rows, jr)
		}
		out.Tables = append(out.Tables, jt)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// writeMetricsCSV is the KPI metrics table's format for the document's metrics.
func (d *document) writeMetricsCSV(w io.Writer) error {
	return writeMetricsCSV(&kpiReport{res: d.pub, cat: d.kr.cat}, w)
}

var tablesCSVHeader = []string{"table_id", "metric_id", "row", "column", "unit", "value", "text",
	"numerator", "denominator", "ci95_low", "ci95_high", "suppressed"}

// writeTablesCSV writes every table and chart series cell by cell (a long
// table: one row per cell), in table, row and column order.
func (d *document) writeTablesCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(tablesCSVHeader); err != nil {
		return err
	}
	rec := func(table, metric, row, col, unit string, v warehouse.Value) error {
		lo, hi := "", ""
		if v.CI95 != nil && !v.Suppressed {
			lo, hi = csvNum(&v.CI95[0]), csvNum(&v.CI95[1])
		}
		r := []string{table, metric, csvText(row), csvText(col), unit, csvNum(v.Value), csvText(v.Text),
			csvNum(v.Numerator), csvNum(v.Denominator), lo, hi, strconv.FormatBool(v.Suppressed)}
		if v.Suppressed {
			r[5], r[6], r[7], r[8] = "", "", "", ""
		}
		return cw.Write(r)
	}
	for i, t := range d.pub.Tables {
		for r, row := range t.Rows {
			for c, v := range row.Cells {
				col, unit := "", ""
				if c < len(t.Columns) {
					col, unit = t.Columns[c].ID, cellUnit(&t, r, c)
				}
				if err := rec(d.tableIDs[i], t.Metric, row.Label, col, unit, v); err != nil {
					return err
				}
			}
		}
	}
	for _, id := range sortedKeys(d.pub.Series) {
		for _, pt := range d.pub.Series[id] {
			if err := rec("series:"+id, id, pt.Month, "value", d.kr.cat[id].Unit, pt.Value); err != nil {
				return err
			}
		}
	}
	for _, id := range sortedKeys(d.pub.Breakdowns) {
		for _, dim := range sortedKeys(d.pub.Breakdowns[id]) {
			g := d.pub.Breakdowns[id][dim]
			for _, k := range sortedKeys(g) {
				if err := rec("breakdown:"+id, id, k, dim, d.kr.cat[id].Unit, g[k]); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// render writes d in one format.
func (d *document) render(format string, w io.Writer) error {
	switch format {
	case FormatHTML:
		return d.writeHTML(w)
	case FormatMD:
		return d.writeMarkdown(w)
	case FormatJSON:
		return d.writeJSON(w)
	case FormatCSV:
		return d.writeMetricsCSV(w)
	case FormatCSVTables, FormatCSVBreakdowns:
		return d.writeTablesCSV(w)
	case FormatPDF:
		dir, err := os.MkdirTemp("", "evalpipe-"+d.Name+"-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		var buf bytes.Buffer
		if err := d.writeHTML(&buf); err != nil {
			return err
		}
		h, p := filepath.Join(dir, d.Name+".html"), filepath.Join(dir, d.Name+".pdf")
		if err := os.WriteFile(h, buf.Bytes(), 0o600); err != nil {
			return err
		}
		if err := PDF(context.Background(), h, p); err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("reports: unknown format %q: %w", format, ErrUsage)
}

// FormatCSVTables is every table of an evaluation report, one row per cell
// (NAME-tables.csv).
const FormatCSVTables = "csv-tables"

// write writes d in every format into outDir: NAME.html, NAME.md,
// NAME.json, NAME-metrics.csv, NAME-tables.csv, then NAME.pdf when
// Chromium is available (otherwise a warning, as for the KPI report).
func (d *document) write(ctx context.Context, outDir, name string) (Written, error) {
	var out Written
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return out, fmt.Errorf("reports: %s: %w", d.Name, err)
	}
	for _, f := range []struct{ suffix, format string }{
		{".html", FormatHTML}, {".md", FormatMD}, {".json", FormatJSON},
		{"-metrics.csv", FormatCSV}, {"-tables.csv", FormatCSVTables},
	} {
		var buf bytes.Buffer
		if err := d.render(f.format, &buf); err != nil {
			return out, fmt.Errorf("reports: %s %s: %w", d.Name, f.format, err)
		}
		path := filepath.Join(outDir, name+f.suffix)
		if err := writeFileAtomic(path, buf.Bytes()); err != nil {
			return out, fmt.Errorf("reports: %s: write %s: %w", d.Name, path, err)
		}
		out.Paths = append(out.Paths, path)
	}
	pdfPath := filepath.Join(outDir, name+".pdf")
	switch err := PDF(ctx, out.Paths[0], pdfPath); {
	case errors.Is(err, ErrNoChromium):
		out.Warnings = append(out.Warnings, name+".pdf not written: "+err.Error())
	case err != nil:
		return out, fmt.Errorf("reports: %s: %w", d.Name, err)
	default:
		out.Paths = append(out.Paths, pdfPath)
	}
	return out, nil
}
