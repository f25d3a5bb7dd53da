package reports

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/evalpipe/evalpipe/warehouse"
)

// The warehouse writes some counts into its notes, as text the cell rule
// does not see: "3 paired", "2 of 4 coded", and the anxiety-measure note
// of the outcome metrics ("anxiety measure: ADSM for 2 of 5 finished
// referrals (pcl5 1, spin 1), GAD-7 for 3 (...)", warehouse/adsm.go).
// noteCounts, a result rule of the nhs policy, applies the count rule to
// them in every note of the result: below the threshold becomes "fewer
// than 5", any other count is rounded to the base.

// countInNote is a number followed by a word that makes it a count of
// people or records ("3 paired", "2 of 4 coded").
var countInNote = regexp.MustCompile(`\b(\d+)(\s+(?:of\s+\d+\s+)?(?:paired|moved|people|person|persons|excluded|with|admission|admissions|admission\(s\)|record|records|record\(s\)|coded|clinicians?|compared|themes?|pieces?))\b`)
var ofCount = regexp.MustCompile(`\bof (\d+) (compared|coded)`)

// anxietyNote starts the anxiety-measure note. Every number after it is a
// count of referrals, written with thousands separators; a number that is
// part of a name (pcl5, GAD-7) is not one.
const anxietyNote = "anxiety measure:"

var anxietyNoteCount = regexp.MustCompile(`(^|[^\w-])(\d{1,3}(?:,\d{3})+|\d+)\b`)

// noteCounts is the resultRule that scrubs the counts in out's notes.
func noteCounts(p *cellPolicy, _, out *warehouse.Result, _ map[string]string) {
	scrub := p.scrubNote
	for id, v := range out.Metrics {
		v.Note = scrub(v.Note)
		out.Metrics[id] = v
	}
	for _, dims := range out.Breakdowns {
		for _, g := range dims {
			for k, v := range g {
				v.Note = scrub(v.Note)
				g[k] = v
			}
		}
	}
	for _, pts := range out.Series {
		for i := range pts {
			pts[i].Value.Note = scrub(pts[i].Value.Note)
		}
	}
	for i := range out.Tables {
		t := &out.Tables[i]
		t.Note = scrub(t.Note)
		for r := range t.Rows {
			for c := range t.Rows[r].Cells {
				t.Rows[r].Cells[c].Note = scrub(t.Rows[r].Cells[c].Note)
			}
		}
	}
}

// scrubNote applies the count rule to the counts in one note.
func (p *cellPolicy) scrubNote(s string) string {
	if s == "" {
		return s
	}
	fix := func(n string) string {
		x, err := strconv.Atoi(strings.ReplaceAll(n, ",", ""))
		if err != nil {
			return n
		}
		if x > 0 && float64(x) < p.threshold {
			return "fewer than " + strconv.FormatFloat(p.threshold, 'f', -1, 64)
		}
		r := int(math.Round(float64(x)/p.base) * p.base)
		if strings.Contains(n, ",") {
			return withThousands(strconv.Itoa(r))
		}
		return strconv.Itoa(r)
	}
	if i := strings.Index(s, anxietyNote); i >= 0 {
		tail := anxietyNoteCount.ReplaceAllStringFunc(s[i+len(anxietyNote):], func(m string) string {
			sub := anxietyNoteCount.FindStringSubmatch(m)
			return sub[1] + fix(sub[2])
		})
		s = s[:i+len(anxietyNote)] + tail
	}
	s = ofCount.ReplaceAllStringFunc(s, func(m string) string {
		sub := ofCount.FindStringSubmatch(m)
		return "of " + fix(sub[1]) + " " + sub[2]
	})
	return countInNote.ReplaceAllStringFunc(s, func(m string) string {
		sub := countInNote.FindStringSubmatch(m)
		return fix(sub[1]) + sub[2]
	})
}
