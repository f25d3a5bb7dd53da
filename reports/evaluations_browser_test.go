package reports

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The evaluation reports of the demo service (demoService: the realistic
// small service evaluations_test.go reports on) in headless Chromium and
// read back from their PDFs, as TestBrowserKPIHTML and TestBrowserKPIPDF
// do for the KPI report.

// browserCase is what a reader must see in one evaluation report.
type browserCase struct {
	name   string
	policy string
	// visible are the report's own key elements beyond the title, the
	// section headings and the charts.
	visible []string
	// texts must be in the element named by the key.
	texts map[string]string
	// charts is how many charts the report draws on the demo service.
	charts int
}

var browserCases = []browserCase{
	{name: ReportInterim, visible: []string{"#summary li", "#disclosure-note", "#provenance-table", "dl.defs"}, charts: 2},
	{name: ReportPeerImpact, visible: []string{"#banner", "#comparisons table", "#disclosure-note", "#provenance-table"},
		texts: map[string]string{"#banner": observationalBanner}, charts: 1},
	{name: ReportCrisis, visible: []string{"#summary li", "#disclosure-note", "#provenance-table"}, charts: 2},
	{name: ReportConsultation, policy: PolicyNone, visible: []string{"#internal", "#banner", "#cases table", "#audit table", "#disclosure-note", "#provenance-table"},
		texts: map[string]string{"#internal": "Internal use: not for publication.", "#banner": "must not leave the service"}},
	{name: ReportPoster, visible: []string{"#poster .pair .said", "#poster .pair .did", ".foot"},
		texts: map[string]string{".foot": "Figures of fewer than 5 are not shown"}},
}

// writeEvalHTML writes the named report of the demo service as HTML.
func writeEvalHTML(t *testing.T, c browserCase) string {
	t.Helper()
	in, cat := demoService(t)
	var b bytes.Buffer
	if err := Report(c.name, in, cat, Options{Format: FormatHTML, Disclosure: c.policy}, &b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), c.name+".html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// headlineJS is what a report prints as its headline figures: the summary,
// the value of every measure row, and the poster's themes and counts.
const headlineJS = `(() => {
  const out = [];
  for (const li of document.querySelectorAll('#summary li')) out.push(li.textContent);
  for (const tb of document.querySelectorAll('section table')) {
    const head = [...tb.querySelectorAll('thead th')].map(th => th.textContent);
    if (head[0] !== 'Measure' || head[1] !== 'Value') continue;
    for (const tr of tb.querySelectorAll('tbody tr')) out.push(tr.querySelector('td').textContent);
  }
  for (const p of document.querySelectorAll('#poster .said p, #poster .did p')) out.push(p.textContent);
  return out;
})()`

// printedFigure is a number as a report prints it: 1,234, 51.6%, £12,300, −2.5.
var printedFigure = regexp.MustCompile(`[£−-]?\d[\d,]*(?:\.\d+)?%?`)

// TestBrowserEvaluationHTML opens each evaluation report and checks what a
// reader would: no console error or exception, nothing fetched, the title,
// every section heading, every chart with a size, the report's own key
// elements visible; the first screen is kept as an artefact.
func TestBrowserEvaluationHTML(t *testing.T) {
	bin := needChromium(t)
	for _, c := range browserCases {
		t.Run(c.name, func(t *testing.T) {
			u := fileURL(writeEvalHTML(t, c))
			tab := browser(t, bin)
			w := watch(t, tab, bin)
			if err := chromedp.Do(tab,
				chromedp.EmulateViewport(1280, 900),
				chromedp.Navigate(u),
				chromedp.WaitVisible(chromedp.CSS("header h1")),
			); err != nil {
				t.Fatalf("load %s: %v", u, err)
			}
			screenshot(t, tab, c.name+"-first-screen.png")

			mustBeVisible(t, tab, append([]string{"header h1"}, c.visible...)...)
			// Each section heading (the poster's "You said"/"We did" pairs
			// have theirs inside each pair).
			type heading struct {
				Text    string  `json:"text"`
				W       float64 `json:"w"`
				H       float64 `json:"h"`
				Visible bool    `json:"visible"`
			}
			hs, err := chromedp.Run(tab, chromedp.Evaluate[[]heading](`[...document.querySelectorAll('section h2')].map(h => {
			  const r = h.getBoundingClientRect(), s = getComputedStyle(h);
			  return {text: h.textContent, w: r.width, h: r.height, visible: s.display !== 'none' && s.visibility !== 'hidden'};
			})`))
			if err != nil {
				t.Fatal(err)
			}
			if len(hs) == 0 {
				t.Errorf("no section headings")
			}
			for _, h := range hs {
				if !h.Visible || h.W < 10 || h.H < 5 {
					t.Errorf("section heading %q is not visible (%.0fx%.0f)", h.Text, h.W, h.H)
				}
			}
			for sel, want := range c.texts {
				got, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).textContent`))
				if err != nil {
					t.Errorf("%s: %v", sel, err)
				} else if !strings.Contains(got, want) {
					t.Errorf("%s says %q, want %q", sel, got, want)
				}
			}
			if charts := checkCharts(t, tab); len(charts) != c.charts {
				t.Errorf("%d charts drawn, want %d", len(charts), c.charts)
			}
			w.check(t, u)
		})
	}
}

// TestBrowserEvaluationPDF prints each evaluation report and reads it back:
// its title and the headline figures printed in its HTML are in the PDF's
// text, the pages are A4, and the poster is exactly one page. Page 1 of
// each is kept as an artefact.
func TestBrowserEvaluationPDF(t *testing.T) {
	bin := needChromium(t)
	pdftotext, pdfinfo, pdftoppm := needTool(t, "pdftotext"), needTool(t, "pdfinfo"), needTool(t, "pdftoppm")
	in, cat := demoService(t)
	for _, c := range browserCases {
		t.Run(c.name, func(t *testing.T) {
			htmlPath := writeEvalHTML(t, c)
			d, err := build(c.name, in, cat, mustPolicy(t, c.policy))
			if err != nil {
				t.Fatal(err)
			}
			// The headline figures as the browser shows them.
			tab := browser(t, bin)
			if err := chromedp.Do(tab, chromedp.Navigate(fileURL(htmlPath))); err != nil {
				t.Fatal(err)
			}
			heads, err := chromedp.Run(tab, chromedp.Evaluate[[]string](headlineJS))
			if err != nil {
				t.Fatal(err)
			}
			var figures []string
			for _, h := range heads {
				figures = append(figures, printedFigure.FindAllString(h, -1)...)
			}
			if c.name != ReportConsultation && len(figures) == 0 {
				t.Errorf("no headline figures found in the HTML")
			}
			if c.name == ReportPoster {
				figures = append(figures, heads...) // the themes and actions themselves
			}

			pdfPath := filepath.Join(filepath.Dir(htmlPath), c.name+".pdf")
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			if err := PDF(ctx, htmlPath, pdfPath); err != nil {
				t.Fatal(err)
			}
			out, err := exec.CommandContext(ctx, pdftotext, pdfPath, "-").Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			text := strings.Join(strings.Fields(string(out)), " ")
			for _, want := range append([]string{d.Title}, figures...) {
				want = strings.Join(strings.Fields(want), " ")
				if !strings.Contains(text, want) {
					t.Errorf("PDF text does not contain %q", want)
				}
			}

			info, err := exec.CommandContext(ctx, pdfinfo, pdfPath).Output()
			if err != nil {
				t.Fatalf("pdfinfo: %v", err)
			}
			m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
			if m == nil {
				t.Fatalf("pdfinfo gave no page count:\n%s", info)
			}
			pages, _ := strconv.Atoi(string(m[1]))
			if c.name == ReportPoster && pages != 1 {
				t.Errorf("the poster is %d pages, want exactly 1", pages)
			}
			if !regexp.MustCompile(`Page size:\s+[\d.]+ x [\d.]+ pts \(A4\)`).Match(info) {
				t.Errorf("pages are not A4:\n%s", info)
			}
			page1 := artefact(t, c.name+"-pdf-page1")
			if out, err := exec.CommandContext(ctx, pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdfPath, page1).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			t.Logf("PDF page 1: %s.png; %d pages; %d headline figures checked", page1, pages, len(figures))
		})
	}
}

func mustPolicy(t *testing.T, name string) Policy {
	t.Helper()
	if name == "" {
		name = PolicyNHS
	}
	p, err := PolicyByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDemoConsultationPackHasCases: a consultation pack of the demo service
// (a clinician the audit names, whose sessions come from the CSV export)
// lists the clinician's recently ended referrals under --disclosure none.
func TestDemoConsultationPackHasCases(t *testing.T) {
	in, cat := demoService(t)
	if in.Pack.Service == "" || in.Worker == "" {
		t.Fatalf("the demo pack of %q has no service: %v", in.Worker, in.Pack.Metrics["consultation_pack"].Note)
	}
	var cases int
	for _, tb := range in.Pack.Tables {
		if tb.Metric == "consultation_cases" {
			cases = len(tb.Rows)
		}
	}
	if cases == 0 {
		t.Fatalf("the demo pack of clinician %s lists no case", in.Worker)
	}
	var md bytes.Buffer
	if err := Report(ReportConsultation, in, cat, Options{Format: FormatMD, Disclosure: PolicyNone}, &md); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(md.String(), "| recovered |") + strings.Count(md.String(), "| not recovered |"); n != cases {
		t.Errorf("the pack's Markdown lists %d cases, want %d", n, cases)
	}
}
