package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/evalpipe/evalpipe/warehouse"
)

// KPI renders the commissioner KPI report of res in one format to w, after
// applying the disclosure policy opt.Disclosure. res is not modified. The
// output depends only on res, cat and opt: the same inputs give the same
// bytes, except for pdf, which Chromium stamps with its creation date. pdf
// needs Chromium (see PDF); without it the error wraps ErrNoChromium.
func KPI(res *warehouse.Result, cat []warehouse.Metric, opt Options, w io.Writer) error {
	if err := opt.Validate(); err != nil {
		return err
	}
	if res == nil {
		return errors.New("reports: kpi: no result to report")
	}
	opt = opt.withDefaults()
	p, err := PolicyByName(opt.Disclosure)
	if err != nil {
		return err
	}
	r := buildKPI(res, cat, p, opt.Title)
	switch opt.Format {
	case FormatPDF:
		err = writePDF(r, w)
	case FormatHTML:
		err = writeHTML(r, w)
	case FormatMD:
		err = writeMarkdown(r, w)
	case FormatJSON:
		err = writeJSON(r, w)
	case FormatCSV:
		err = writeMetricsCSV(r, w)
	case FormatCSVBreakdowns:
		err = writeBreakdownsCSV(r, w)
	}
	if err != nil {
		return fmt.Errorf("reports: kpi %s: %w", opt.Format, err)
	}
	return nil
}

// writePDF renders the HTML into a temporary folder, prints it with
// Chromium and copies the PDF to w.
func writePDF(r *kpiReport, w io.Writer) error {
	dir, err := os.MkdirTemp("", "evalpipe-kpi-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var buf bytes.Buffer
	if err := writeHTML(r, &buf); err != nil {
		return err
	}
	htmlPath, pdfPath := filepath.Join(dir, "kpi.html"), filepath.Join(dir, "kpi.pdf")
	if err := os.WriteFile(htmlPath, buf.Bytes(), 0o600); err != nil {
		return err
	}
	if err := PDF(context.Background(), htmlPath, pdfPath); err != nil {
		return err
	}
	f, err := os.Open(pdfPath)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// kpiFiles are the files WriteKPI writes, in the order it returns them.
var kpiFiles = []struct{ name, format string }{
	{"kpi.html", FormatHTML},
	{"kpi.md", FormatMD},
	{"kpi.json", FormatJSON},
	{"kpi-metrics.csv", FormatCSV},
	{"kpi-breakdowns.csv", FormatCSVBreakdowns},
}

// Written is what WriteKPIContext wrote.
type Written struct {
	// Paths are the files written, in order: kpi.html, kpi.md, kpi.json,
	// kpi-metrics.csv, kpi-breakdowns.csv, then kpi.pdf when Chromium is
	// available.
	Paths []string
	// Warnings are what a person should be told although the report was
	// written: today only that kpi.pdf was skipped because no Chromium was
	// found (the text names the package to install). Empty when all went
	// to plan.
	Warnings []string
}

// WriteKPIContext writes the KPI report in every format into outDir
// (created if missing), all under the same disclosure policy: kpi.html,
// kpi.md, kpi.json, kpi-metrics.csv, kpi-breakdowns.csv and kpi.pdf (the
// HTML printed by headless Chromium). Each file is written to a temporary
// name and renamed, so a reader never sees half a report.
//
// A missing Chromium is not an error: the PDF is skipped, the other files
// are written and Written.Warnings says so. Any other failure, including a
// browser that fails to print, is an error; Written.Paths then lists what
// was written before it.
func WriteKPIContext(ctx context.Context, res *warehouse.Result, cat []warehouse.Metric, disclosure, outDir string) (Written, error) {
	var out Written
	if _, err := PolicyByName(disclosure); err != nil {
		return out, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return out, fmt.Errorf("reports: kpi: %w", err)
	}
	for _, f := range kpiFiles {
		var buf bytes.Buffer
		if err := KPI(res, cat, Options{Format: f.format, Disclosure: disclosure}, &buf); err != nil {
			return out, err
		}
		path := filepath.Join(outDir, f.name)
		if err := writeFileAtomic(path, buf.Bytes()); err != nil {
			return out, fmt.Errorf("reports: kpi: write %s: %w", path, err)
		}
		out.Paths = append(out.Paths, path)
	}
	pdfPath := filepath.Join(outDir, "kpi.pdf")
	switch err := PDF(ctx, out.Paths[0], pdfPath); {
	case errors.Is(err, ErrNoChromium):
		out.Warnings = append(out.Warnings, "kpi.pdf not written: "+err.Error())
	case err != nil:
		return out, fmt.Errorf("reports: kpi: %w", err)
	default:
		out.Paths = append(out.Paths, pdfPath)
	}
	return out, nil
}

// WriteKPI is WriteKPIContext without a context, for callers that only
// want the paths: its warnings (a skipped PDF) are logged with
// slog.Default at level Warn instead of returned.
func WriteKPI(res *warehouse.Result, cat []warehouse.Metric, disclosure, outDir string) ([]string, error) {
	w, err := WriteKPIContext(context.Background(), res, cat, disclosure, outDir)
	for _, msg := range w.Warnings {
		slog.Warn(msg)
	}
	return w.Paths, err
}

// writeFileAtomic writes data to a temporary file in the same directory,
// syncs it and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
