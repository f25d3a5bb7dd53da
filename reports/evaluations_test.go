package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var evalReports = []string{ReportInterim, ReportPeerImpact, ReportCrisis, ReportConsultation, ReportPoster}

// TestEvaluationReportsFormats writes every evaluation report of the demo
// service in every format and checks the JSON has the CLI.md shape.
func TestEvaluationReportsFormats(t *testing.T) {
	in, cat := demoService(t)
	dir := t.TempDir()
	for _, name := range evalReports {
		for _, format := range []string{FormatHTML, FormatMD, FormatJSON, FormatCSV, FormatCSVTables} {
			var b bytes.Buffer
			if err := Report(name, in, cat, Options{Format: format}, &b); err != nil {
				t.Fatalf("%s %s: %v", name, format, err)
			}
			if b.Len() < 100 {
				t.Errorf("%s %s: %d bytes", name, format, b.Len())
			}
			if format == FormatJSON {
				var got map[string]json.RawMessage
				if err := json.Unmarshal(b.Bytes(), &got); err != nil {
					t.Fatalf("%s json: %v", name, err)
				}
				for _, k := range []string{"report", "period", "service", "disclosure", "metrics", "tables", "provenance"} {
					if _, ok := got[k]; !ok {
						t.Errorf("%s json: no %q", name, k)
					}
				}
				if string(got["report"]) != strconv.Quote(name) {
					t.Errorf("%s json: report %s", name, got["report"])
				}
			}
			os.WriteFile(filepath.Join(dir, name+"."+format), b.Bytes(), 0o644)
		}
	}
	html := func(name string) string { b, _ := os.ReadFile(filepath.Join(dir, name+".html")); return string(b) }
	for name, want := range map[string][]string{
		ReportInterim:      {"Methodology", "Outcomes at follow-up", "Qualitative findings", "Limitations", "Appendix: metric definitions", "Referral funnel"},
		ReportPeerImpact:   {observationalBanner, "Difference (peer − not peer)"},
		ReportCrisis:       {"Unit costs used", "A&amp;E attendances per month", "Return per £1"},
		ReportConsultation: {"Internal use: not for publication", "Consultation audit"},
		ReportPoster:       {"You said", "We did"},
	} {
		h := html(name)
		for _, w := range want {
			if !strings.Contains(h, w) {
				t.Errorf("%s html: no %q", name, w)
			}
		}
		if strings.Contains(h, "<script") {
			t.Errorf("%s html has a script", name)
		}
	}
}

// TestEvaluationReproducible: the same results give the same CSV and JSON bytes.
func TestEvaluationReproducible(t *testing.T) {
	in, cat := demoService(t)
	for _, name := range evalReports {
		for _, format := range []string{FormatJSON, FormatCSV, FormatCSVTables, FormatMD, FormatHTML} {
			var a, b bytes.Buffer
			if err := Report(name, in, cat, Options{Format: format}, &a); err != nil {
				t.Fatal(err)
			}
			if err := Report(name, in, cat, Options{Format: format}, &b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("%s %s: two builds differ", name, format)
			}
		}
	}
}

// TestConsultationRecordRows: the case list only under policy none.
func TestConsultationRecordRows(t *testing.T) {
	in, cat := smallService(t)
	var nhs, none bytes.Buffer
	if err := Report(ReportConsultation, in, cat, Options{Format: FormatMD}, &nhs); err != nil {
		t.Fatal(err)
	}
	if err := Report(ReportConsultation, in, cat, Options{Format: FormatMD, Disclosure: PolicyNone}, &none); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(nhs.String(), "Record-level rows are withheld") || strings.Contains(nhs.String(), "| recovered |") || !strings.Contains(none.String(), "| recovered |") {
		t.Errorf("nhs pack shows record rows")
	}
	if !strings.Contains(none.String(), "Internal use: not for publication") {
		t.Errorf("pack not marked internal")
	}
}

// smallCount is a whole number 1-4 standing alone in a table cell.
var smallCount = regexp.MustCompile(`<td class="num count">[1-4]<|\| [1-4] \|`)

// TestEvaluationSmallServiceDisclosure: a report of a service of a few
// people has no count below 5 in any format.
func TestEvaluationSmallServiceDisclosure(t *testing.T) {
	in, cat := smallService(t)
	for _, name := range evalReports {
		var js, tables, metrics, html, mdown bytes.Buffer
		for f, b := range map[string]*bytes.Buffer{FormatJSON: &js, FormatCSVTables: &tables, FormatCSV: &metrics, FormatHTML: &html, FormatMD: &mdown} {
			if err := Report(name, in, cat, Options{Format: f}, b); err != nil {
				t.Fatalf("%s %s: %v", name, f, err)
			}
		}
		units := unitsOf(cat)
		var doc struct {
			Metrics map[string]jsonValue `json:"metrics"`
			Tables  []struct {
				ID      string `json:"id"`
				Columns []struct{ ID, Unit string }
				Rows    []struct {
					Label string
					Cells []struct {
						Value      *float64
						Suppressed bool
					}
				}
			} `json:"tables"`
		}
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		small := func(where string, x *float64) {
			if x != nil && *x != 0 && (*x < 5 || *x != float64(int(*x/5))*5) {
				t.Errorf("%s: %s: count %g is below 5 or not rounded to 5", name, where, *x)
			}
		}
		for id, v := range doc.Metrics {
			if units[id] == "count" && v.Value != nil {
				x := float64(*v.Value)
				small("json metric "+id, &x)
			}
		}
		for _, tb := range doc.Tables {
			for _, r := range tb.Rows {
				for c, v := range r.Cells {
					if c < len(tb.Columns) && tb.Columns[c].Unit == "count" {
						small("json table "+tb.ID+" "+r.Label+"/"+tb.Columns[c].ID, v.Value)
					}
				}
			}
		}
		recs, err := csv.NewReader(&tables).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			if r[4] == "count" && r[5] != "" {
				x, _ := strconv.ParseFloat(r[5], 64)
				small("csv "+strings.Join(r[:4], "/"), &x)
			}
		}
		for f, b := range map[string]string{"html": html.String(), "md": mdown.String()} {
			for _, m := range smallCount.FindAllString(b, -1) {
				t.Errorf("%s %s: a small count in a table cell: %q", name, f, m)
			}
		}
	}
}
