package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evalpipe/evalpipe/warehouse"
)

// KPI renders the commissioner KPI report of res in one format to w, after
// applying the disclosure policy opt.Disclosure. res is not modified. The
// output depends only on res, cat and opt: the same inputs give the same
// bytes.
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

// kpiFiles are the files WriteKPI writes, in the order it returns them.
var kpiFiles = []struct{ name, format string }{
	{"kpi.html", FormatHTML},
	{"kpi.md", FormatMD},
	{"kpi.json", FormatJSON},
	{"kpi-metrics.csv", FormatCSV},
	{"kpi-breakdowns.csv", FormatCSVBreakdowns},
}

// WriteKPI writes the KPI report in every format into outDir (created if
// missing): kpi.html, kpi.md, kpi.json, kpi-metrics.csv and
// kpi-breakdowns.csv, all under the same disclosure policy. Each file is
// written to a temporary name and renamed, so a reader never sees half a
// report. It returns the paths written.
func WriteKPI(res *warehouse.Result, cat []warehouse.Metric, disclosure, outDir string) ([]string, error) {
	if _, err := PolicyByName(disclosure); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: kpi: %w", err)
	}
	var paths []string
	for _, f := range kpiFiles {
		var buf bytes.Buffer
		if err := KPI(res, cat, Options{Format: f.format, Disclosure: disclosure}, &buf); err != nil {
			return paths, err
		}
		path := filepath.Join(outDir, f.name)
		if err := writeFileAtomic(path, buf.Bytes()); err != nil {
			return paths, fmt.Errorf("reports: kpi: write %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
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
