package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/evalpipe/evalpipe/warehouse"
)

var update = flag.Bool("update", false, "rewrite reports/testdata/*.golden from the current output")

func render(t *testing.T, res *warehouse.Result, cat []warehouse.Metric, opt Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := KPI(res, cat, opt, &b); err != nil {
		t.Fatalf("KPI(%+v): %v", opt, err)
	}
	return b.String()
}

func TestKPIGolden(t *testing.T) {
	tests := []struct {
		file string
		opt  Options
	}{
		{"kpi.md.golden", Options{Format: "md"}},
		{"kpi.json.golden", Options{Format: "json"}},
		{"kpi-metrics.csv.golden", Options{Format: "csv"}},
		{"kpi-breakdowns.csv.golden", Options{Format: "csv-breakdowns"}},
		{"kpi-none.json.golden", Options{Format: "json", Disclosure: "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := render(t, testResult(), testCatalogue(), tt.opt)
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./reports -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file (go test ./reports -update refreshes it); got:\n%s", tt.file, got)
			}
		})
	}
}

func TestKPIDeterministic(t *testing.T) {
	for _, format := range []string{"html", "md", "json", "csv", "csv-breakdowns"} {
		a := render(t, testResult(), testCatalogue(), Options{Format: format})
		for i := 0; i < 5; i++ {
			if b := render(t, testResult(), testCatalogue(), Options{Format: format}); a != b {
				t.Fatalf("%s: two renders of the same result differ", format)
			}
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		opt     Options
		wantErr error
		mention []string
	}{
		{Options{}, nil, nil},
		{Options{Format: "md", Disclosure: "none"}, nil, nil},
		{Options{Format: "pdf"}, nil, nil},
		{Options{Format: "docx"}, ErrUsage, []string{"docx", "html", "md", "json", "csv", "pdf"}},
		{Options{Format: "json", Disclosure: "open"}, ErrUsage, []string{"open"}},
	}
	for _, tt := range tests {
		err := tt.opt.Validate()
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("%+v.Validate() = %v, want %v", tt.opt, err, tt.wantErr)
			continue
		}
		for _, m := range tt.mention {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%+v.Validate() = %q, want it to mention %q", tt.opt, err, m)
			}
		}
		if err != nil {
			if kerr := KPI(testResult(), testCatalogue(), tt.opt, &bytes.Buffer{}); !errors.Is(kerr, tt.wantErr) {
				t.Errorf("KPI with %+v = %v, want %v", tt.opt, kerr, tt.wantErr)
			}
		}
	}
	if !errors.Is(ErrNotYet, ErrUsage) {
		t.Errorf("ErrNotYet should be a usage error")
	}
}

// TestJSONShape checks the CLI.md contract on the decoded object rather than
// the bytes, so it states the contract, not today's formatting.
func TestJSONShape(t *testing.T) {
	for _, disclosure := range []string{"nhs", "none"} {
		t.Run(disclosure, func(t *testing.T) {
			var got map[string]any
			if err := json.Unmarshal([]byte(render(t, testResult(), testCatalogue(), Options{Format: "json", Disclosure: disclosure})), &got); err != nil {
				t.Fatal(err)
			}
			wantKeys := []string{"breakdowns", "disclosure", "metrics", "period", "provenance", "report", "service"}
			if keys := sortedKeys(got); strings.Join(keys, ",") != strings.Join(wantKeys, ",") {
				t.Errorf("top-level keys = %v, want %v", keys, wantKeys)
			}
			if got["report"] != "kpi" || got["service"] != "north-tt" || got["disclosure"] != disclosure {
				t.Errorf("report/service/disclosure = %v/%v/%v", got["report"], got["service"], got["disclosure"])
			}
			period := got["period"].(map[string]any)
			if period["from"] != "2024-04-01" || period["to"] != "2025-03-31" {
				t.Errorf("period = %v, want 2024-04-01..2025-03-31", period)
			}
			prov := got["provenance"].(map[string]any)
			for _, k := range []string{"as_of", "lake", "version", "metric_versions", "time_zone", "generated_at"} {
				if _, ok := prov[k]; !ok {
					t.Errorf("provenance has no %q: %v", k, prov)
				}
			}
			units := unitsOf(testCatalogue())
			check := func(where, unit string, v map[string]any) {
				if v["suppressed"] == true {
					if v["value"] != nil {
						t.Errorf("%s: suppressed but value %v", where, v["value"])
					}
					for _, k := range []string{"numerator", "denominator", "ci95"} {
						if _, ok := v[k]; ok {
							t.Errorf("%s: suppressed but carries %s", where, k)
						}
					}
					return
				}
				if _, ok := v["value"]; !ok {
					t.Errorf("%s: no value key", where)
				}
				x, _ := v["value"].(float64)
				if unit == "proportion" && (x < 0 || x > 1) {
					t.Errorf("%s: proportion %v outside [0,1]", where, x)
				}
				if c, ok := v["ci95"].([]any); ok {
					lo, hi := c[0].(float64), c[1].(float64)
					if len(c) != 2 || lo > x || x > hi {
						t.Errorf("%s: ci95 %v does not bracket %v", where, c, x)
					}
					if unit == "proportion" && (lo < 0 || hi > 1) {
						t.Errorf("%s: ci95 %v outside [0,1]", where, c)
					}
				}
			}
			metrics := got["metrics"].(map[string]any)
			if len(metrics) != len(testResult().Metrics) {
				t.Errorf("%d metrics, want %d", len(metrics), len(testResult().Metrics))
			}
			for id, v := range metrics {
				check("metrics."+id, units[id], v.(map[string]any))
			}
			for id, dims := range got["breakdowns"].(map[string]any) {
				for dim, groups := range dims.(map[string]any) {
					for g, v := range groups.(map[string]any) {
						check("breakdowns."+id+"."+dim+"."+g, units[id], v.(map[string]any))
					}
				}
			}
			rr := metrics["recovery_rate"].(map[string]any)
			if math.Abs(rr["value"].(float64)-0.5158) > 1e-9 {
				t.Errorf("recovery_rate = %v, want 0.5158 (23,291 ÷ (48,111 − 2,957))", rr["value"])
			}
		})
	}
}

// TestNHSNoSmallNumbersInOutputs is the property that matters: whatever the
// warehouse computes, after the nhs policy no published count, numerator or
// denominator in the JSON or CSV is 1 to 4 (or any other number below 5),
// and every one is a multiple of 5.
func TestNHSNoSmallNumbersInOutputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	units := []string{"count", "proportion", "days", "mean", "rate_per_100k", ""}
	small := func() float64 {
		if rng.IntN(2) == 0 {
			return float64(rng.IntN(10))
		}
		return float64(rng.IntN(2000))
	}
	randValue := func(unit string) warehouse.Value {
		switch unit {
		case "count":
			return count(small())
		case "days", "mean":
			return warehouse.Value{Value: f(rng.Float64() * 60), Denominator: f(small())}
		}
		den := small()
		num := math.Floor(rng.Float64() * (den + 1))
		v := rate(0, num, den)
		if den > 0 {
			v = rateCI(num/den, num, den, num/den*0.9, math.Min(1, num/den*1.1))
		}
		return v
	}
	for iter := 0; iter < 200; iter++ {
		var cat []warehouse.Metric
		res := &warehouse.Result{
			Metrics:    map[string]warehouse.Value{},
			Breakdowns: map[string]map[string]map[string]warehouse.Value{},
		}
		kinds := map[string]string{}
		for i := 0; i < 8; i++ {
			id := "m" + strconv.Itoa(i)
			unit := units[rng.IntN(len(units))]
			if unit != "" {
				cat = append(cat, warehouse.Metric{ID: id, Unit: unit, Title: id})
			}
			kinds[id] = unit
			res.Metrics[id] = randValue(unit)
			groups := map[string]warehouse.Value{}
			for g := 0; g < 4; g++ {
				groups["g"+strconv.Itoa(g)] = randValue(unit)
			}
			res.Breakdowns[id] = map[string]map[string]warehouse.Value{"worker_id": groups}
		}
		isCount := func(id string, v warehouse.Value) bool {
			// An unknown metric with no cohort is published as a count.
			return kinds[id] == "count" || kinds[id] == "" && v.Numerator == nil && v.Denominator == nil
		}
		bad := func(where string, x float64) {
			if x < 5 || math.Mod(x, 5) != 0 {
				t.Fatalf("iteration %d: %s = %v published: below 5 or not a multiple of 5", iter, where, x)
			}
		}

		var js struct {
			Metrics    map[string]map[string]any                       `json:"metrics"`
			Breakdowns map[string]map[string]map[string]map[string]any `json:"breakdowns"`
		}
		if err := json.Unmarshal([]byte(render(t, res, cat, Options{Format: "json"})), &js); err != nil {
			t.Fatal(err)
		}
		checkJSON := func(where, id string, v map[string]any) {
			for _, k := range []string{"numerator", "denominator"} {
				if x, ok := v[k].(float64); ok {
					bad(where+"."+k, x)
				}
			}
			if x, ok := v["value"].(float64); ok && isCount(id, res.Metrics[id]) {
				bad(where+".value", x)
			}
		}
		for id, v := range js.Metrics {
			checkJSON("json metrics."+id, id, v)
		}
		for id, dims := range js.Breakdowns {
			for _, groups := range dims {
				for g, v := range groups {
					checkJSON("json breakdowns."+id+"."+g, id, v)
				}
			}
		}

		for _, format := range []string{"csv", "csv-breakdowns"} {
			recs, err := csv.NewReader(strings.NewReader(render(t, res, cat, Options{Format: format}))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			head := recs[0]
			col := func(name string) int { return index(head, name) }
			for _, rec := range recs[1:] {
				id := rec[0]
				for _, name := range []string{"numerator", "denominator", "value"} {
					s := rec[col(name)]
					if s == "" {
						continue
					}
					x, err := strconv.ParseFloat(s, 64)
					if err != nil {
						t.Fatalf("%s %s %s: %v", format, id, name, err)
					}
					if name != "value" || isCount(id, res.Metrics[id]) {
						bad(format+" "+id+"."+name, x)
					}
				}
			}
		}
	}
}

func TestHTMLSelfContainedAndAccessible(t *testing.T) {
	html := render(t, testResult(), testCatalogue(), Options{Format: "html"})
	lower := strings.ToLower(html)
	for _, s := range []string{"<!doctype html", "<html", "</html>", "<head>", "<body>"} {
		if n := strings.Count(lower, s); n != 1 {
			t.Errorf("%q appears %d times, want exactly one document", s, n)
		}
	}
	for _, s := range []string{"<script", "<iframe", "<link", "@import", "url(", "<img"} {
		if strings.Contains(lower, s) {
			t.Errorf("HTML contains %q: it must be self-contained and script-free", s)
		}
	}
	if m := regexp.MustCompile(`(?i)(src|href|xlink:href|action)\s*=\s*["']?\s*(https?:)?//`).FindString(html); m != "" {
		t.Errorf("HTML refers to an external resource: %s", m)
	}
	if !strings.Contains(html, "@media print") || !strings.Contains(html, "size: A4") || !strings.Contains(html, "break-before: page") {
		t.Errorf("HTML has no A4 print styles with page breaks")
	}

	// Every chart is well-formed SVG with a non-empty title and
	// description, labelled axes, and a table right after it.
	svgs := regexp.MustCompile(`(?s)<svg class="chart".*?</svg>`).FindAllStringIndex(html, -1)
	// headline, two monthly series, referral sources.
	if len(svgs) != 4 {
		t.Fatalf("%d charts, want 4 (headline, 2 series, referral sources)", len(svgs))
	}
	for i, loc := range svgs {
		var svg struct {
			Role  string   `xml:"role,attr"`
			Title string   `xml:"title"`
			Desc  string   `xml:"desc"`
			Texts []string `xml:"text"`
		}
		if err := xml.Unmarshal([]byte(html[loc[0]:loc[1]]), &svg); err != nil {
			t.Errorf("chart %d is not well-formed SVG: %v", i, err)
			continue
		}
		if svg.Role != "img" || strings.TrimSpace(svg.Title) == "" || strings.TrimSpace(svg.Desc) == "" {
			t.Errorf("chart %d: role %q title %q desc %q; want role img and a title and desc", i, svg.Role, svg.Title, svg.Desc)
		}
		rest := html[loc[1]:]
		if j, k := strings.Index(rest, "<table"), strings.Index(rest, "</figure>"); j < 0 || j > k {
			t.Errorf("chart %d (%s) has no table equivalent in its figure", i, svg.Title)
		}
		axisLabelled := false
		for _, s := range svg.Texts {
			if strings.Contains(s, "Per cent") || s == "Month" {
				axisLabelled = true
			}
		}
		if !axisLabelled {
			t.Errorf("chart %d (%s) has no axis label", i, svg.Title)
		}
	}
	for _, want := range []string{"51.6%", "Target 50.0%", "Recovery rate by month", "Referral source share by referral source", "sha256:9f2c1e", "Europe/London", "v0.1.0-test", "recovery_rate v2", "NHS England NHS Talking Therapies dashboards", "computed from the unrounded figures"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML does not contain %q", want)
		}
	}
}

func TestHTMLAndMarkdownEscapeData(t *testing.T) {
	res := testResult()
	res.Service = "<script>alert(1)</script>"
	res.Breakdowns["recovery_rate"]["gp_practice"][`"><img src=x onerror=alert(2)>`] = rateCI(0.5, 10, 20, 0.3, 0.7)
	cat := testCatalogue()
	cat[0].Title = "Referrals <b>received</b>"

	html := render(t, res, cat, Options{Format: "html"})
	for _, bad := range []string{"<script", "<img", "<b>"} {
		if strings.Contains(strings.ToLower(html), bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
	if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("HTML does not show the service name escaped")
	}
	md := render(t, res, cat, Options{Format: "md"})
	for _, bad := range []string{"<script", "<img", "<b>"} {
		if strings.Contains(md, bad) {
			t.Errorf("Markdown contains raw HTML %q", bad)
		}
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	res := testResult()
	res.Breakdowns["recovery_rate"]["gp_practice"]["=HYPERLINK(\"x\")"] = rateCI(0.5, 10, 20, 0.3, 0.7)
	recs, err := csv.NewReader(strings.NewReader(render(t, res, testCatalogue(), Options{Format: "csv-breakdowns"}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		for _, c := range rec {
			if strings.HasPrefix(c, "=") {
				t.Errorf("CSV cell %q would run as a formula", c)
			}
		}
	}
}

func TestInternalReportSaysSo(t *testing.T) {
	for _, format := range []string{"md", "html"} {
		got := strings.ToLower(render(t, testResult(), testCatalogue(), Options{Format: format, Disclosure: "none"}))
		if !strings.Contains(got, "internal use: not for publication") {
			t.Errorf("%s under policy none does not say it is internal use only", format)
		}
		if nhs := strings.ToLower(render(t, testResult(), testCatalogue(), Options{Format: format})); strings.Contains(nhs, "not for publication") {
			t.Errorf("%s under policy nhs says it is not for publication", format)
		}
	}
}

func TestWriteKPI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	w, err := WriteKPIContext(t.Context(), testResult(), testCatalogue(), "nhs", dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kpi.html", "kpi.md", "kpi.json", "kpi-metrics.csv", "kpi-breakdowns.csv"}
	if _, err := FindChromium(); err == nil {
		want = append(want, "kpi.pdf")
		if len(w.Warnings) != 0 {
			t.Errorf("warnings %q with Chromium installed, want none", w.Warnings)
		}
	} else if len(w.Warnings) != 1 || !strings.Contains(w.Warnings[0], "apt-get install -y chromium") {
		t.Errorf("warnings %q without Chromium, want one naming the package", w.Warnings)
	}
	paths := w.Paths
	if len(paths) != len(want) {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	formats := []string{"html", "md", "json", "csv", "csv-breakdowns"}
	for i, p := range paths {
		if filepath.Base(p) != want[i] || filepath.Dir(p) != dir {
			t.Errorf("path %d = %s, want %s in %s", i, p, want[i], dir)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(formats) {
			if !bytes.HasPrefix(got, []byte("%PDF-")) {
				t.Errorf("%s is not a PDF", p)
			}
			continue
		}
		if string(got) != render(t, testResult(), testCatalogue(), Options{Format: formats[i]}) {
			t.Errorf("%s differs from KPI's %s output", p, formats[i])
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("%d files in %s, want %d (no temporary files left)", len(entries), dir, len(want))
	}
	if _, err := WriteKPI(testResult(), testCatalogue(), "bogus", dir); !errors.Is(err, ErrUsage) {
		t.Errorf("WriteKPI with an unknown policy = %v, want ErrUsage", err)
	}
}

// TestWriteKPIWithoutChromium: no browser is a warning that names the
// package, not an error, and every other format is still written.
func TestWriteKPIWithoutChromium(t *testing.T) {
	t.Setenv("EVALPIPE_CHROMIUM", filepath.Join(t.TempDir(), "no-such-chromium"))
	dir := t.TempDir()
	w, err := WriteKPIContext(t.Context(), testResult(), testCatalogue(), "nhs", dir)
	if err != nil {
		t.Fatalf("WriteKPIContext without Chromium = %v, want no error", err)
	}
	if len(w.Paths) != 5 {
		t.Errorf("paths = %v, want the 5 non-PDF files", w.Paths)
	}
	if len(w.Warnings) != 1 || !strings.Contains(w.Warnings[0], "kpi.pdf") || !strings.Contains(w.Warnings[0], "apt-get install -y chromium") {
		t.Errorf("warnings = %q, want one saying kpi.pdf was skipped and how to install chromium", w.Warnings)
	}
	if _, err := os.Stat(filepath.Join(dir, "kpi.pdf")); !os.IsNotExist(err) {
		t.Errorf("kpi.pdf exists without Chromium")
	}
	if err := KPI(testResult(), testCatalogue(), Options{Format: "pdf"}, &bytes.Buffer{}); !errors.Is(err, ErrNoChromium) {
		t.Errorf("KPI pdf without Chromium = %v, want ErrNoChromium", err)
	}
}

func TestTitleOption(t *testing.T) {
	md := render(t, testResult(), testCatalogue(), Options{Format: "md", Title: "North talking therapies: Q1"})
	if !strings.HasPrefix(md, "# North talking therapies: Q1\n") {
		t.Errorf("markdown does not start with the title: %.60q", md)
	}
	html := render(t, testResult(), testCatalogue(), Options{Format: "html"})
	if !strings.Contains(html, "<h1>"+DefaultTitle+"</h1>") {
		t.Errorf("html does not use the default title")
	}
}
