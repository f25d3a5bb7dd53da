package reports

import (
	"context"
	"encoding/json"
	"html"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/evalpipe/evalpipe/warehouse"
)

func TestScrubNoteCounts(t *testing.T) {
	p := NHSPolicy().(*cellPolicy)
	for _, c := range []struct{ in, want string }{
		{"3 paired; 12 moved up at least one level", "fewer than 5 paired; 10 moved up at least one level"},
		{"clinicians whose recovery rate rose, of 7 compared", "clinicians whose recovery rate rose, of 5 compared"},
		{"0 records", "0 records"},
		// warehouse/adsm.go's example of its anxiety-measure note
		{"anxiety measure: ADSM for 2 of 5 finished referrals (pcl5 1, spin 1), GAD-7 for 3 (fallback for 2: no thresholds configured for oci_r (1), no paired ADSM scores (spin 1); no problem-specific measure for 1); thresholds configured for spin, pcl5",
			"anxiety measure: ADSM for fewer than 5 of 5 finished referrals (pcl5 fewer than 5, spin fewer than 5), GAD-7 for fewer than 5 (fallback for fewer than 5: no thresholds configured for oci_r (fewer than 5), no paired ADSM scores (spin fewer than 5); no problem-specific measure for fewer than 5); thresholds configured for spin, pcl5"},
		{"events 3 paired; anxiety measure: ADSM for 1,234 of 10,002 finished referrals (pcl5 1,232, spin 2), GAD-7 for all 8,768",
			"events fewer than 5 paired; anxiety measure: ADSM for 1,235 of 10,000 finished referrals (pcl5 1,230, spin fewer than 5), GAD-7 for all 8,770"},
		{"anxiety measure: GAD-7 for every referral (fallback; thresholds for problem-specific measures are not configured)",
			"anxiety measure: GAD-7 for every referral (fallback; thresholds for problem-specific measures are not configured)"},
		{"anxiety measure: no finished referrals in the period (thresholds configured for eq5d5l, pcl5)",
			"anxiety measure: no finished referrals in the period (thresholds configured for eq5d5l, pcl5)"},
	} {
		if got := p.scrubNote(c.in); got != c.want {
			t.Errorf("scrubNote(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// The anxiety-measure note of a small service under thresholds configured
// for SPIN and PCL-5 (the warehouse's ADSM fixture: 5 finished referrals,
// 1 on PCL-5, 1 on SPIN): the KPI report under the nhs policy, as JSON and
// Markdown and HTML, shows none of its counts below 5 and every other one rounded,
// as the cells beside it are; under none it shows them as counted.
func TestKPIAnxietyNoteCounts(t *testing.T) {
	b, err := os.ReadFile("../warehouse/testdata/adsm/events.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	cfg := warehouse.Config{Lake: t.TempDir(), Evaluation: warehouse.Evaluation{Thresholds: []warehouse.Threshold{
		{Measure: "spin", Caseness: 19, ReliableChange: 10, Source: "test value, not clinical guidance"},
		{Measure: "pcl5", Caseness: 33, ReliableChange: 10, Source: "test value, not clinical guidance"},
	}}}
	writeLake(t, cfg.Lake, b)
	w, err := warehouse.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p, err := warehouse.ParsePeriod("2024-01", "2024-12")
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.TalkingTherapies(context.Background(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	if note := res.Metrics["recovery_rate"].Note; !strings.Contains(note, "(pcl5 1, spin 1)") {
		t.Fatalf("the warehouse's note %q: want the fixture's mix, (pcl5 1, spin 1)", note)
	}
	number := regexp.MustCompile(`(?:^|[^\w-])(\d{1,3}(?:,\d{3})+|\d+)\b`)
	check := func(format, text string) {
		n := 0
		for _, note := range strings.Split(text, anxietyNote)[1:] {
			note, _, _ = strings.Cut(note, "\n") // a note ends its line (md), or
			note, _, _ = strings.Cut(note, `"`)  // its JSON string, or
			note, _, _ = strings.Cut(note, "<")  // its HTML element
			note = html.UnescapeString(note)
			n++
			for _, m := range number.FindAllStringSubmatch(note, -1) {
				x, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
				if x > 0 && (x < 5 || x%5 != 0) {
					t.Errorf("%s: %q in a published anxiety-measure note: %s", format, m[1], note)
					break
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no anxiety-measure note", format)
		}
	}
	for _, format := range []string{"md", "json", "html"} {
		check(format, render(t, res, warehouse.Catalogue(), Options{Format: format}))
	}
	var js struct {
		Metrics map[string]struct{ Note string } `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(render(t, res, warehouse.Catalogue(), Options{Format: "json", Disclosure: PolicyNone})), &js); err != nil {
		t.Fatal(err)
	}
	if note := js.Metrics["recovery_rate"].Note; !strings.Contains(note, "(pcl5 1, spin 1)") {
		t.Errorf("policy none: recovery_rate note %q, want the counts as counted", note)
	}
}
