package warehouse

import (
	"fmt"
	"io"
	"strings"
)

// WriteCatalogue writes the metric catalogue as Markdown: the text of
// `evalpipe metrics` and of docs/metrics.md, from the one definition.
func WriteCatalogue(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Metric catalogue\n\n")
	b.WriteString("Generated from the warehouse catalogue (`evalpipe metrics`); do not edit by hand.\n")
	b.WriteString("Proportions are fractions in JSON and percentages in human formats; every\n")
	b.WriteString("published aggregate passes the disclosure policy named in the report.\n\n")
	b.WriteString("| id | v | title | unit | better | standard | cohort | definition | source |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range Catalogue() {
		std := ""
		if m.Standard != nil {
			std = fmt.Sprintf("%g", *m.Standard)
			if m.Unit == "proportion" {
				std = fmt.Sprintf("%g%%", *m.Standard*100)
			}
		}
		cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s | %s | %s | %s | %s | %s |\n",
			m.ID, m.Version, cell(m.Title), m.Unit, m.Direction, std, cell(m.Cohort), cell(m.Definition), cell(m.Source))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
