package reports

import (
	"errors"
	"fmt"
)

// ErrUsage marks an error in what the caller asked for (an unknown format or
// policy), as opposed to a failure to write; the CLI maps it to exit status 2.
var ErrUsage = errors.New("usage error")

// ErrNotYet marks a format or report that is planned but not yet
// implemented. It wraps ErrUsage.
var ErrNotYet = fmt.Errorf("not yet supported: %w", ErrUsage)

// Formats a report can be rendered in.
const (
	FormatHTML = "html" // one self-contained, printable HTML file with inline SVG charts
	FormatMD   = "md"   // Markdown
	FormatJSON = "json" // the CLI.md JSON shape
	// FormatCSV is the metrics table (kpi-metrics.csv); the breakdowns
	// table, whose columns differ, is FormatCSVBreakdowns.
	FormatCSV           = "csv"
	FormatCSVBreakdowns = "csv-breakdowns" // kpi-breakdowns.csv
	// FormatPDF is the HTML printed to A4 by headless Chromium (see PDF).
	FormatPDF = "pdf"
)

// DefaultTitle is the title of a KPI report when Options.Title is empty.
const DefaultTitle = "Talking therapies KPI report"

// Options says how KPI renders a report.
type Options struct {
	// Format is html, md, json, csv, csv-breakdowns or pdf. Default: html.
	// pdf needs Chromium at render time (FindChromium), not to validate.
	Format string
	// Disclosure names the disclosure policy: "nhs" (the default) or
	// "none" (internal use only; the report says so).
	Disclosure string
	// Title heads the human formats. Default: DefaultTitle.
	Title string
}

// withDefaults returns o with its defaults filled in.
func (o Options) withDefaults() Options {
	if o.Format == "" {
		o.Format = FormatHTML
	}
	if o.Disclosure == "" {
		o.Disclosure = PolicyNHS
	}
	if o.Title == "" {
		o.Title = DefaultTitle
	}
	return o
}

// Validate reports whether o names a known format and disclosure policy.
func (o Options) Validate() error {
	o = o.withDefaults()
	switch o.Format {
	case FormatHTML, FormatMD, FormatJSON, FormatCSV, FormatCSVBreakdowns, FormatPDF:
	default:
		return fmt.Errorf("reports: unknown format %q (want html, md, json, csv, csv-breakdowns or pdf): %w", o.Format, ErrUsage)
	}
	_, err := PolicyByName(o.Disclosure)
	return err
}
