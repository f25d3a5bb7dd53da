package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SettingsFile is the evalpipe config the demo writes beside its exports.
const SettingsFile = "evalpipe.demo.yaml"

// writeSettings writes the evaluation settings the demo service needs for
// every report to have material: a population, population shares, unit
// costs, the crisis launch. Every value is synthetic and says so: the
// pipeline itself assumes none of them (METRICS.md: unit costs are
// configuration with source and price year).
func writeSettings(dir string, launch time.Time) (string, error) {
	const synthetic = "SYNTHETIC demo value - replace with a sourced figure"
	var b strings.Builder
	b.WriteString("# evalpipe settings for the generated demo service.\n")
	b.WriteString("# Every figure here is SYNTHETIC, made up to exercise the reports; none is\n")
	b.WriteString("# a real unit cost or population share. For a real service use sourced\n")
	b.WriteString("# figures (e.g. NHS National Cost Collection / PSSRU Unit Costs for costs,\n")
	b.WriteString("# ONS Census 2021 for population shares), each with its source and price year.\n")
	b.WriteString("population: 180000\n")
	b.WriteString("evaluation:\n")
	fmt.Fprintf(&b, "  population_source: %q\n", synthetic)
	b.WriteString("  population_shares:\n")
	b.WriteString("    ethnicity: {white: 0.56, black: 0.13, asian: 0.11, mixed: 0.08, other: 0.07, not_stated: 0.05}\n")
	b.WriteString("    age_band: {\"16-17\": 0.03, \"18-25\": 0.14, \"26-35\": 0.24, \"36-45\": 0.19, \"46-55\": 0.16, \"56-64\": 0.11, \"65-74\": 0.08, \"75+\": 0.05}\n")
	fmt.Fprintf(&b, "  crisis_launch: %s\n", launch.Format(time.DateOnly))
	b.WriteString("  crisis_window_months: 3\n")
	fmt.Fprintf(&b, "  crisis_experience_benchmark: {value: 0.14, source: %q}\n", synthetic+" (METRICS.md cites about 14% nationally)")
	b.WriteString("  unit_costs:\n")
	for _, c := range []struct {
		kind, unit string
		cost       int
	}{
		{"ae_attendance", "contact", 300}, {"acute_admission", "bed_day", 500}, {"crisis_team_contact", "contact", 250},
		{"crisis_line_call", "contact", 40}, {"section_136", "contact", 1500}, {"sanctuary_visit", "contact", 120},
	} {
		fmt.Fprintf(&b, "    - {kind: %s, unit: %s, cost_gbp: %d, source: %q, price_year: \"2024/25\"}\n", c.kind, c.unit, c.cost, synthetic)
	}
	path := filepath.Join(dir, SettingsFile)
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}
