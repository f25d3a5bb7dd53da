// Package reports turns what the warehouse computed into the documents that
// leave the service: first the commissioner KPI report, rendered as one
// self-contained printable HTML file (charts as inline SVG), Markdown, JSON
// (the CLI.md shape) and CSV.
//
// How a Result becomes a report:
//
//  1. The warehouse hands over a *warehouse.Result (every metric's value,
//     breakdowns and monthly series, with provenance) and the metric
//     catalogue ([]warehouse.Metric), which gives each value its title,
//     unit, standard, version and definition. Reports never recompute a
//     metric; they only present it.
//  2. A disclosure Policy (PolicyByName: "nhs", the default, or "none")
//     returns a new Result in which every published aggregate, including
//     breakdown cells and series points, is suppressed or rounded. The
//     input is never modified.
//  3. The published Result is laid out once (headline KPIs against national
//     standards, sections, breakdowns, data quality, disclosure note,
//     provenance, definitions) and each format renders that layout: KPI
//     writes one format to a writer, WriteKPI every format into a folder.
//
// Outputs are reproducible: they depend only on the Result, the catalogue
// and the options (no wall clock; "generated at" comes from the Result's
// provenance), map keys and rows are sorted, and numbers in JSON and CSV are
// written with at most 4 decimals. Every string from the data is escaped in
// its context (html/template for HTML and SVG, Markdown escaping, CSV
// quoting with spreadsheet-formula defusing).
package reports
