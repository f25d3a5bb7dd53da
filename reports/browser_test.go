package reports

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/evalpipe/evalpipe/warehouse"
)

// The browser tests open the KPI report in Debian's headless Chromium, the
// way a commissioner's browser and our PDF renderer see it. They fail, not
// skip, when the browser is missing, because a CI that silently skipped
// them would prove nothing; EVALPIPE_NO_BROWSER=1 skips them on purpose.
// Screenshots are kept in testdata/artefacts/ (gitignored) for a person to
// look at.

const installHint = "install the browser tests' tools with: apt-get install -y chromium poppler-utils " +
	"(.ci/run does; EVALPIPE_CHROMIUM names another Chromium binary), or set EVALPIPE_NO_BROWSER=1 to skip these tests"

func needChromium(t *testing.T) string {
	t.Helper()
	bin, err := FindChromium()
	if err == nil {
		return bin
	}
	if os.Getenv("EVALPIPE_NO_BROWSER") == "1" {
		t.Skipf("EVALPIPE_NO_BROWSER=1: %v", err)
	}
	t.Fatalf("%v\n%s", err, installHint)
	return ""
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("EVALPIPE_NO_BROWSER") == "1" {
		t.Skipf("EVALPIPE_NO_BROWSER=1: %s not found", name)
	}
	t.Fatalf("%s not found (it is in Debian's poppler-utils)\n%s", name, installHint)
	return ""
}

// artefact is where a test keeps a file for people to look at.
func artefact(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("testdata", "artefacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// spcResult is the hand-built testResult with two years of monthly series
// such as the warehouse returns for a year's report: recovery improving
// (a run above the mean), 6-week waits always above their standard, 18-week
// waits around theirs, referrals with one unusual month, DNAs rising at the
// end; one recovery month and one referrals month suppressed.
func spcResult() *warehouse.Result {
	res := testResult()
	start := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	month := func(i int) string { return start.AddDate(0, i, 0).Format("2006-01") }
	rateAt := func(v, den float64) warehouse.Value {
		num := math.Round(v * den)
		return rate(num/den, num, den)
	}
	recovery := []float64{0.47, 0.49, 0.46, 0.50, 0.48, 0.47, 0.51, 0.49, 0.46, 0.48, 0.50, 0.47, 0.49, 0.48, 0.50, 0.47, 0.53, 0.54, 0.52, 0.55, 0.53, 0.56, 0.54, 0.55}
	wait6 := []float64{0.86, 0.88, 0.85, 0.89, 0.87, 0.90, 0.86, 0.88, 0.87, 0.91, 0.85, 0.88, 0.89, 0.87, 0.86, 0.90, 0.88, 0.87, 0.89, 0.86, 0.88, 0.90, 0.87, 0.89}
	wait18 := []float64{0.96, 0.94, 0.97, 0.95, 0.93, 0.96, 0.98, 0.95, 0.94, 0.96, 0.97, 0.95, 0.93, 0.96, 0.95, 0.97, 0.94, 0.96, 0.95, 0.98, 0.94, 0.96, 0.95, 0.97}
	referrals := []float64{102, 96, 110, 99, 104, 91, 107, 100, 95, 112, 98, 103, 97, 108, 101, 94, 106, 99, 105, 100, 168, 102, 97, 104}
	dna := []float64{0.11, 0.12, 0.10, 0.13, 0.11, 0.12, 0.11, 0.10, 0.12, 0.13, 0.11, 0.12, 0.10, 0.11, 0.12, 0.13, 0.11, 0.12, 0.11, 0.10, 0.12, 0.11, 0.19, 0.21}
	series := map[string][]warehouse.SeriesPoint{}
	for i := range 24 {
		m := month(i)
		rec := rateAt(recovery[i], float64(40+(i*7)%20))
		if i == 5 {
			rec = rate(2.0/3, 2, 3) // too few to publish: a gap
		}
		series["recovery_rate"] = append(series["recovery_rate"], warehouse.SeriesPoint{Month: m, Value: rec})
		series["wait_6wk_pct"] = append(series["wait_6wk_pct"], warehouse.SeriesPoint{Month: m, Value: rateAt(wait6[i], float64(60+(i*5)%25))})
		series["wait_18wk_pct"] = append(series["wait_18wk_pct"], warehouse.SeriesPoint{Month: m, Value: rateAt(wait18[i], float64(60+(i*5)%25))})
		ref := count(referrals[i])
		if i == 11 {
			ref = count(3)
		}
		series["referrals_received"] = append(series["referrals_received"], warehouse.SeriesPoint{Month: m, Value: ref})
		series["dna_rate"] = append(series["dna_rate"], warehouse.SeriesPoint{Month: m, Value: rateAt(dna[i], float64(380+(i*13)%60))})
	}
	res.Series = series
	return res
}

// writeSPCHTML writes the KPI HTML of spcResult to a temporary folder.
func writeSPCHTML(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := KPI(spcResult(), testCatalogue(), Options{Format: FormatHTML}, &b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kpi.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileURL(path string) string {
	abs, _ := filepath.Abs(path)
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// browser starts headless Chromium with the flags PDF uses and returns a
// tab's context.
func browser(t *testing.T, bin string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	return tab
}

// pageWatch records what the browser says while a report loads: console
// errors and warnings, exceptions, log entries, and every request.
type pageWatch struct {
	mu                 sync.Mutex
	problems, requests []string
}

// watch starts listening on tab and enables the domains that report
// problems and requests; call before navigating.
func watch(t *testing.T, tab context.Context, bin string) *pageWatch {
	t.Helper()
	w := &pageWatch{}
	listen := func(ev any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			switch e.Type {
			case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				w.problems = append(w.problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			w.problems = append(w.problems, "exception: "+(&chromedp.ExceptionError{ExceptionDetails: e.ExceptionDetails}).Error())
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				w.problems = append(w.problems, fmt.Sprintf("log %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			w.requests = append(w.requests, e.Request.URL)
		}
	}
	if err := chromedp.Listen(tab, listen); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	for name, enable := range map[string]func() error{
		"network": func() error { _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); return err },
		"runtime": func() error { _, err := chromedp.Call(tab, runtime.Enable, cdp.Empty{}); return err },
		"log":     func() error { _, err := chromedp.Call(tab, cdplog.Enable, cdp.Empty{}); return err },
	} {
		if err := enable(); err != nil {
			t.Fatalf("enable the %s domain: %v", name, err)
		}
	}
	return w
}

// check fails t for every problem the browser reported and every request
// but the page's own URL u.
func (w *pageWatch) check(t *testing.T, u string) {
	t.Helper()
	// Give late events a moment, then: nothing but the file itself.
	time.Sleep(200 * time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.problems {
		t.Errorf("browser reported: %s", p)
	}
	if len(w.requests) == 0 {
		t.Errorf("no request seen for %s: are network events being received?", u)
	}
	for _, r := range w.requests {
		if r != u {
			t.Errorf("network request for %s: the report must be self-contained", r)
		}
	}
}

// mustBeVisible fails t for each selector that matches nothing laid out
// (with a box, not display:none) within a few seconds.
func mustBeVisible(t *testing.T, tab context.Context, sels ...string) {
	t.Helper()
	for _, sel := range sels {
		ctx, cancel := context.WithTimeout(tab, 5*time.Second)
		err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)))
		cancel()
		if err != nil {
			t.Errorf("%s is not visible: %v", sel, err)
		}
	}
}

// chartBox is how a chart was drawn: its size and its misplaced labels.
type chartBox struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	W        float64 `json:"w"`
	H        float64 `json:"h"`
	Clipped  []string
	Overlaps []string
}

// chartsJS measures every chart: its box, and the labels outside its
// viewBox or on top of another label (rotated axis titles excepted:
// getBBox ignores the rotation).
const chartsJS = `[...document.querySelectorAll('svg.chart')].map(svg => {
  const r = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
  const texts = [...svg.querySelectorAll('text')].filter(t => !t.hasAttribute('transform'))
    .map(t => ({s: t.textContent, b: t.getBBox()}));
  const clipped = texts.filter(t => t.b.x < -0.5 || t.b.y < -0.5 || t.b.x + t.b.width > vb.width + 0.5 || t.b.y + t.b.height > vb.height + 0.5).map(t => t.s);
  const overlaps = [];
  for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
    const a = texts[i].b, b = texts[j].b;
    const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
    const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
    if (w > 1 && h > 2) overlaps.push(texts[i].s + ' / ' + texts[j].s);
  }
  const title = svg.querySelector('title');
  return {id: svg.id, title: title ? title.textContent : '', w: r.width, h: r.height, Clipped: clipped, Overlaps: overlaps};
})`

// checkCharts fails t for a chart with no visible size or a misplaced
// label and returns the charts drawn.
func checkCharts(t *testing.T, tab context.Context) []chartBox {
	t.Helper()
	charts, err := chromedp.Run(tab, chromedp.Evaluate[[]chartBox](chartsJS))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		if c.W < 100 || c.H < 100 {
			t.Errorf("chart %q is %.0fx%.0f px, want a visible size", c.Title, c.W, c.H)
		}
		if c.Title == "" {
			t.Errorf("chart %q has no title", c.ID)
		}
		if len(c.Clipped) > 0 {
			t.Errorf("chart %q: labels outside the chart: %q", c.Title, c.Clipped)
		}
		if len(c.Overlaps) > 0 {
			t.Errorf("chart %q: overlapping labels: %q", c.Title, c.Overlaps)
		}
	}
	return charts
}

// screenshot keeps the first screen (1280x900) of tab as an artefact.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shot := artefact(t, name)
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("first screen (1280x900): %s", shot)
}

// TestBrowserKPIHTML loads the KPI report from file:// and checks what a
// reader would: no console errors or exceptions, nothing fetched, the key
// parts visible, every chart drawn with no label clipped or overlapping.
func TestBrowserKPIHTML(t *testing.T) {
	bin := needChromium(t)
	htmlPath := writeSPCHTML(t)
	u := fileURL(htmlPath)
	tab := browser(t, bin)
	w := watch(t, tab, bin)
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(u),
		chromedp.WaitVisible(chromedp.CSS("#headline table")),
	); err != nil {
		t.Fatalf("load %s: %v", u, err)
	}
	screenshot(t, tab, "kpi-first-screen.png")
	// The first SPC chart too, where the Making Data Count drawing is.
	if png, err := chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS("#trends figure .chart"))); err != nil {
		t.Errorf("screenshot of the first SPC chart: %v", err)
	} else if err := os.WriteFile(artefact(t, "kpi-spc-chart.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}

	mustBeVisible(t, tab, "#headline table", "#headline .badge svg", "#trends svg.chart", "#disclosure", "footer#provenance")

	// headline bars, 5 SPC series, referral sources.
	if charts := checkCharts(t, tab); len(charts) != 7 {
		t.Errorf("%d charts drawn, want 7", len(charts))
	}
	w.check(t, u)
}

// TestBrowserKPIPDF prints the report with PDF and reads it back with
// poppler: the headline figures are in its text, the page count is sane,
// and page 1 is kept as a picture.
func TestBrowserKPIPDF(t *testing.T) {
	needChromium(t)
	pdftotext, pdfinfo, pdftoppm := needTool(t, "pdftotext"), needTool(t, "pdfinfo"), needTool(t, "pdftoppm")
	htmlPath := writeSPCHTML(t)
	pdfPath := filepath.Join(filepath.Dir(htmlPath), "kpi.pdf")
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	if err := PDF(ctx, htmlPath, pdfPath); err != nil {
		t.Fatal(err)
	}

	out, err := exec.CommandContext(ctx, pdftotext, "-layout", pdfPath, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, want := range []string{
		"Talking therapies KPI report",
		"1 April 2024 to 31 March 2025",   // the period
		"Recovery rate", "51.6%", "50.0%", // headline and its standard
		"Waited 6 weeks or less", "90.0%",
		"Consistently passes target", "Special cause improvement",
		"Recovery rate by month", "Disclosure", "Provenance", "sha256:9f2c1e",
	} {
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
	if pages < 4 || pages > 30 {
		t.Errorf("%d pages, want 4 to 30 (one section a page, a page or so a chart)", pages)
	}
	if !regexp.MustCompile(`Page size:\s+[\d.]+ x [\d.]+ pts \(A4\)`).Match(info) {
		t.Errorf("pages are not A4:\n%s", info)
	}

	page1 := artefact(t, "kpi-pdf-page1")
	if out, err := exec.CommandContext(ctx, pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdfPath, page1).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	t.Logf("PDF page 1: %s.png; %d pages", page1, pages)
}
