package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evalpipe/evalpipe/reports"
	"github.com/evalpipe/evalpipe/warehouse"
)

// evalInputs computes what the named evaluation report needs from the
// warehouse for g's period and service, keeping in g what the next report
// may need too (see reports.Gatherer).
func evalInputs(ctx context.Context, g *reports.Gatherer, name, programme, worker string, staff []string) (reports.Inputs, error) {
	in, err := g.Gather(ctx, name, programme, worker)
	in.StaffNames = staff
	if errors.Is(err, reports.ErrNeedWorker) {
		return in, usagef("report consultation: --worker ID is required (or use 'evalpipe run', which writes a pack for each clinician with a consultation)")
	}
	return in, err
}

// consultedWorkers are the clinicians with a consultation.held in the period.
func consultedWorkers(ctx context.Context, w *warehouse.Warehouse, p warehouse.Period) ([]string, error) {
	return w.ConsultedWorkers(ctx, p)
}

// writeEvaluation writes one evaluation report: to stdout in one format,
// one format into dir, or every format into dir. It returns the files
// written.
func writeEvaluation(ctx context.Context, name string, in reports.Inputs, cat []warehouse.Metric, format, disclosure, dir, file string, stdout io.Writer) (reports.Written, error) {
	opt := reports.Options{Format: format, Disclosure: disclosure}
	switch {
	case format != "" && (dir == "" || dir == "-"):
		return reports.Written{}, reports.Report(name, in, cat, opt, stdout)
	case format != "":
		path, err := writeFormat(dir, file, format, func(w io.Writer) error { return reports.Report(name, in, cat, opt, w) })
		return reports.Written{Paths: []string{path}}, err
	}
	return reports.WriteReport(ctx, name, in, cat, disclosure, dir, file)
}

// formatFile is the name of one format of report base in a folder: the
// name WriteKPI and WriteReport give it among the others.
func formatFile(base, format string) string {
	switch format {
	case reports.FormatCSV:
		return base + "-metrics.csv"
	case reports.FormatCSVTables:
		return base + "-tables.csv"
	case reports.FormatCSVBreakdowns:
		return base + "-breakdowns.csv"
	}
	return base + "." + format
}

// writeFormat writes one format of report base into dir through render:
// a temporary file renamed into place, so a failed render leaves no
// partial report under the report's name.
func writeFormat(dir, base, format string, render func(io.Writer) error) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	path := filepath.Join(dir, formatFile(base, format))
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	defer os.Remove(f.Name()) // no-op once renamed
	if err := render(f); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return path, nil
}

// safeName keeps a worker id usable as part of a file name.
func safeName(s string) string {
	out := []rune{}
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			out = append(out, c)
		} else {
			out = append(out, '_')
		}
	}
	return string(out)
}
