package reports

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/evalpipe/evalpipe/warehouse"
)

// Report names of CLI.md (`evalpipe report NAME`).
const (
	ReportKPI          = "kpi"
	ReportInterim      = "interim"
	ReportPeerImpact   = "peer-impact"
	ReportCrisis       = "crisis-savings"
	ReportConsultation = "consultation"
	ReportPoster       = "you-said-we-did"
)

// ReportNames are the reports, in the order `evalpipe run` writes them.
var ReportNames = []string{ReportKPI, ReportInterim, ReportPeerImpact, ReportCrisis, ReportConsultation, ReportPoster}

// Inputs are the warehouse results an evaluation report is built from;
// each report reads the ones it needs (see Needs) and ignores the rest.
type Inputs struct {
	// Programme is warehouse.Programme: funnel, representation,
	// wellbeing, PAM, peer_impact, consultation_audit.
	Programme *warehouse.Result
	// TalkingTherapies is warehouse.TalkingTherapies for the same period
	// (first_contact_3wk_pct and the talking-therapies context).
	TalkingTherapies *warehouse.Result
	// Qualitative is warehouse.Qualitative: themes, quotes, you said we did.
	Qualitative *warehouse.Result
	// Crisis is warehouse.Crisis: pre/post, savings, area series.
	Crisis *warehouse.Result
	// Pack is warehouse.ConsultationPack for Worker.
	Pack *warehouse.Result
	// Casework holds the interim report's descriptive tables that no
	// catalogue metric computes (casework by setting, baseline
	// characteristics, referral sources, data sources); the CLI fills it
	// with aggregate queries. Optional.
	Casework *warehouse.Result
	// ProgrammeName is the evaluated programme (default peer_coaching).
	ProgrammeName string
	// Worker is the clinician of the consultation pack.
	Worker string
	// StaffNames are redacted from quotes by the NHS policy (see Redact):
	// the service's staff, from the config's staff_names. Default none;
	// titled names such as "Dr Smith" are redacted regardless.
	StaffNames []string
}

// ErrRecordLevel is returned when record-level rows are asked for under a
// publication policy: the consultation pack's case list is for internal use.
var ErrRecordLevel = fmt.Errorf("record-level rows are for internal use only: use --disclosure none: %w", ErrUsage)

// Needs says which Inputs fields a report reads.
func Needs(name string) []string {
	switch name {
	case ReportInterim:
		return []string{"Programme", "TalkingTherapies", "Qualitative", "Casework"}
	case ReportPeerImpact:
		return []string{"Programme", "Qualitative"}
	case ReportCrisis:
		return []string{"Crisis"}
	case ReportConsultation:
		return []string{"Pack", "Programme"}
	case ReportPoster:
		return []string{"Qualitative"}
	}
	return nil
}

// build lays out the named evaluation report under policy p.
func build(name string, in Inputs, cat []warehouse.Metric, p Policy) (*document, error) {
	switch name {
	case ReportInterim:
		return buildInterim(in, cat, p)
	case ReportPeerImpact:
		return buildPeerImpact(in, cat, p)
	case ReportCrisis:
		return buildCrisis(in, cat, p)
	case ReportConsultation:
		return buildConsultation(in, cat, p)
	case ReportPoster:
		return buildPoster(in, cat, p)
	case ReportKPI:
		return nil, fmt.Errorf("reports: kpi is rendered by KPI and WriteKPIContext: %w", ErrUsage)
	}
	return nil, fmt.Errorf("reports: unknown report %q (want one of %v): %w", name, ReportNames, ErrUsage)
}

// Report renders the named evaluation report in one format (html, md, json,
// csv for the metrics, csv-tables for every table, pdf) to w.
func Report(name string, in Inputs, cat []warehouse.Metric, opt Options, w io.Writer) error {
	format := opt.Format
	if format == FormatCSVTables {
		opt.Format = FormatCSV // validated as csv
	}
	if err := opt.Validate(); err != nil {
		return err
	}
	opt = opt.withDefaults()
	if format == "" {
		format = opt.Format
	}
	p, err := policyFor(opt.Disclosure, in.StaffNames)
	if err != nil {
		return err
	}
	d, err := build(name, in, cat, p)
	if err != nil {
		return err
	}
	if err := d.render(format, w); err != nil {
		return fmt.Errorf("reports: %s %s: %w", name, format, err)
	}
	return nil
}

// WriteReport writes the named evaluation report in every format into
// outDir under the name file (default: the report's name; the CLI names a
// consultation pack consultation-WORKER): FILE.html, .md, .json,
// -metrics.csv, -tables.csv and .pdf (skipped with a warning without
// Chromium).
func WriteReport(ctx context.Context, name string, in Inputs, cat []warehouse.Metric, disclosure, outDir, file string) (Written, error) {
	p, err := policyFor(disclosure, in.StaffNames)
	if err != nil {
		return Written{}, err
	}
	d, err := build(name, in, cat, p)
	if err != nil {
		return Written{}, err
	}
	if file == "" {
		file = name
	}
	return d.write(ctx, outDir, file)
}

func need(name string, r *warehouse.Result, what string) error {
	if r == nil {
		return fmt.Errorf("reports: %s: no %s result: %w", name, what, errors.New("missing input"))
	}
	return nil
}

// policyFor is PolicyByName with the staff names the NHS policy redacts.
func policyFor(name string, staff []string) (Policy, error) {
	if (name == "" || name == PolicyNHS) && len(staff) > 0 {
		return NHSPolicyWith(NHSOptions{StaffNames: staff})
	}
	return PolicyByName(name)
}
