package reports

import (
	"bufio"
	"io"
	"strings"
)

// writeMarkdown renders the report as Markdown for a commissioner: headline
// table, sections, breakdowns, data quality, disclosure note, provenance and
// the definitions appendix. Every string from the data is escaped, so a
// service or group name cannot inject Markdown or raw HTML.
func writeMarkdown(r *kpiReport, w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(lines ...string) {
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	p("# "+md(r.Title), "")
	p("**Period:** "+md(r.Period)+"  ", "**Service:** "+md(r.Service)+"  ", "**Disclosure:** "+md(r.Policy), "")
	if r.Internal {
		p("> **Internal use: not for publication.** No disclosure control has been applied.", "")
	}

	p("## Headline KPIs", "")
	if len(r.Headline) == 0 {
		p("No headline KPIs were computed for this period.", "")
	} else {
		p("| KPI | Value | Standard | Met? | 95% interval | n |", "|---|---:|---:|---|---|---:|")
		for _, x := range r.Headline {
			p(mdRow(x.Title, x.Value, x.Standard, orDash(x.Met), x.CI, x.N))
		}
		p("")
	}

	for _, s := range r.Sections {
		p("## "+md(s.Title), "")
		p("| Measure | Value | Standard | 95% interval | Numerator | Denominator |", "|---|---:|---:|---|---:|---:|")
		for _, x := range s.Rows {
			p(mdRow(x.Title, x.Value, x.Standard, x.CI, x.Numerator, x.Denominator))
		}
		p("")
	}

	p("## Breakdowns", "")
	if len(r.Breakdowns) == 0 {
		p("No breakdowns were computed for this period.", "")
	}
	for _, bd := range r.Breakdowns {
		p("### "+md(bd.Metric)+" by "+md(lowerLabel(bd.Label)), "")
		p("| "+md(bd.Label)+" | Value | 95% interval | Numerator | Denominator |", "|---|---:|---|---:|---:|")
		for _, x := range bd.Rows {
			p(mdRow(x.Title, x.Value, x.CI, x.Numerator, x.Denominator))
		}
		p("")
	}

	p("## Data quality", "")
	p("| Measure | Value | Numerator | Denominator | Note |", "|---|---:|---:|---:|---|")
	for _, x := range r.DataQuality {
		p(mdRow(x.Title, x.Value, x.Numerator, x.Denominator, orDash(x.Note)))
	}
	p("")
	for _, n := range r.Notes {
		p("- " + md(n))
	}
	if len(r.Notes) > 0 {
		p("")
	}

	p("## Disclosure", "", md(r.Note), "")

	p("## Provenance", "")
	pv := r.Provenance
	p("| | |", "|---|---|",
		mdRow("Data as of", pv.AsOf),
		mdRow("Lake fingerprint", pv.Lake+" ("+pv.LakeFiles+" files)"),
		mdRow("Code version", pv.Version),
		mdRow("Metric versions", pv.MetricVersions),
		mdRow("Generated at", pv.GeneratedAt),
		mdRow("Time zone", pv.TimeZone), "")

	p("## Appendix: definitions", "")
	for _, d := range r.Definitions {
		p("### "+md(d.Title)+" (`"+mdCode(d.ID)+"`, version "+md(d.Version)+")", "")
		p(md(d.Definition), "")
		p("- **Cohort:** " + md(orDash(d.Cohort)))
		p("- **Unit:** " + md(orDash(d.Unit)))
		if d.Standard != "" {
			p("- **Standard:** " + md(d.Standard))
		}
		p("- **Source:** "+md(orDash(d.Source)), "")
	}
	return b.Flush()
}

func mdRow(cells ...string) string {
	for i, c := range cells {
		cells[i] = md(c)
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

// mdEscaper escapes what Markdown (CommonMark with GFM tables) would read as
// markup or raw HTML.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "#", `\#`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

func md(s string) string { return mdEscaper.Replace(s) }

// mdCode is s for inside a code span: backticks cannot be escaped there.
func mdCode(s string) string { return strings.ReplaceAll(s, "`", "'") }
