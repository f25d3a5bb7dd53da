package cli

import (
	"context"
	"errors"
	"io"

	"github.com/evalpipe/evalpipe/reports"
	"github.com/evalpipe/evalpipe/warehouse"
)

// evalInputs computes what the named evaluation report needs from the
// warehouse for period p (see reports.Gather).
func evalInputs(ctx context.Context, w *warehouse.Warehouse, name string, p warehouse.Period, service, programme, worker string, staff []string) (reports.Inputs, error) {
	in, err := reports.Gather(ctx, w, name, p, service, programme, worker)
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

// writeEvaluation writes one evaluation report: to w in one format, or
// every format into dir. It returns the files written.
func writeEvaluation(ctx context.Context, name string, in reports.Inputs, cat []warehouse.Metric, format, disclosure, dir, file string, stdout io.Writer) (reports.Written, error) {
	if format != "" && (dir == "" || dir == "-") {
		return reports.Written{}, reports.Report(name, in, cat, reports.Options{Format: format, Disclosure: disclosure}, stdout)
	}
	return reports.WriteReport(ctx, name, in, cat, disclosure, dir, file)
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
