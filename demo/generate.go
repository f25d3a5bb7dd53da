package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
	_ "time/tzdata" // the same bytes on every machine, whatever its zoneinfo
)

// The output files, in the order Summary.Files lists them.
const (
	fileReferrals   = "iaptus-referrals.ndjson"
	fileAppts       = "iaptus-appointments.csv"
	fileMapping     = "iaptus-appointments.mapping.yaml"
	fileOutcomes    = "iaptus-outcomes.ndjson"
	filePeer        = "peer-coaching.ndjson"
	fileFeedback    = "feedback.ndjson"
	fileCrisis      = "crisis.ndjson"
	fileProgramme   = "programme.ndjson"
	serviceTT       = "tt-islington"
	servicePeer     = "peer-coaching-islington"
	serviceCrisis   = "crisis-islington"
	sourceIaptus    = "iaptus-islington"
	sourcePeer      = "peer-coaching-app"
	sourceFeedback  = "peq-web-form"
	sourceCrisis    = "crisis-line-log"
	sourceProgramme = "finance"
)

// evt is one output line: the envelope of EVENTS.md as a source writes it,
// with direct identifiers. Field order is the JSON order; data keys are
// sorted by encoding/json.
type evt struct {
	EventID     string         `json:"event_id"`
	Type        string         `json:"type"`
	OccurredAt  string         `json:"occurred_at,omitempty"`
	RecordedAt  string         `json:"recorded_at,omitempty"`
	Source      string         `json:"source"`
	Service     string         `json:"service"`
	NHSNumber   string         `json:"nhs_number,omitempty"`
	LocalID     string         `json:"local_id,omitempty"`
	DateOfBirth string         `json:"date_of_birth,omitempty"`
	ReferralID  string         `json:"referral_id,omitempty"`
	Data        map[string]any `json:"data"`

	rec time.Time // recorded_at, the sort key
	seq int       // insertion order, the tie-break
}

// who identifies the person an event is about, as the source knows them.
type who struct{ nhs, local string }

// outFile collects one NDJSON file's events.
type outFile struct {
	name, source string
	evts         []*evt
}

// gen holds the state shared by the parts of one Generate run.
type gen struct {
	cfg        Config
	loc        *time.Location
	start, end time.Time // local midnight; end is exclusive
	launch     time.Time // crisis service launch
	seq        int

	referrals, outcomes, peer, feedback, crisis, programme *outFile
	appts                                                  []appt

	tt    []*ttReferral // talking-therapies referrals, for feedback and crisis
	pc    []*pcReferral // peer-coaching referrals, for feedback
	nhsIn map[string]bool

	retractDue int // mis-entered PHQ-9s still to generate
}

// Generate writes the demo data set for cfg into outDir (created if need
// be) and says what it wrote. Existing files of the same names are replaced
// whole (written to a temporary name, then renamed).
func Generate(ctx context.Context, cfg Config, outDir string) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return Summary{}, fmt.Errorf("demo: load time zone: %w", err)
	}
	y, m, d := cfg.Start.Date()
	g := &gen{
		cfg:       cfg,
		loc:       loc,
		start:     time.Date(y, m, d, 0, 0, 0, 0, loc),
		referrals: &outFile{name: fileReferrals, source: sourceIaptus},
		outcomes:  &outFile{name: fileOutcomes, source: sourceIaptus},
		peer:      &outFile{name: filePeer, source: sourcePeer},
		feedback:  &outFile{name: fileFeedback, source: sourceFeedback},
		crisis:    &outFile{name: fileCrisis, source: sourceCrisis},
		programme: &outFile{name: fileProgramme, source: sourceProgramme},
		nhsIn:     map[string]bool{},
	}
	g.end = g.start.AddDate(0, cfg.Months, 0)
	g.launch = g.start.AddDate(0, max(1, cfg.Months/2), 0)

	for _, part := range []func(){g.talkingTherapies, g.peerCoaching, g.feedbackAndActions, g.crisisContacts, g.programmeRecords} {
		if err := ctx.Err(); err != nil {
			return Summary{}, err
		}
		part()
	}

	sum := Summary{Events: map[string]int{}}
	files := []*outFile{g.referrals, g.outcomes, g.peer, g.feedback, g.crisis, g.programme}
	lines := make([][][]byte, len(files))
	for i, f := range files {
		if lines[i], err = f.render(sum.Events); err != nil {
			return Summary{}, err
		}
	}
	csvRows := g.renderAppts(sum.Events)
	sum.Duplicates = g.duplicate(files, lines)
	bad, err := g.faults(files, lines)
	if err != nil {
		return Summary{}, err
	}
	_, csvBad := splitBad(cfg.BadLines)
	sum.BadLines = bad + csvBad

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("demo: create output folder: %w", err)
	}
	write := func(name string, body []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		path := filepath.Join(outDir, name)
		if err := writeFile(path, body); err != nil {
			return fmt.Errorf("demo: write %s: %w", path, err)
		}
		sum.Files = append(sum.Files, path)
		return nil
	}
	for i, f := range files {
		if err := write(f.name, joinLines(lines[i])); err != nil {
			return Summary{}, err
		}
		if f == g.referrals { // the CSV export and its mapping sit beside the referrals
			if err := write(fileAppts, joinLines(csvRows)); err != nil {
				return Summary{}, err
			}
			if err := write(fileMapping, AppointmentsMapping); err != nil {
				return Summary{}, err
			}
		}
	}
	settings, err := writeSettings(outDir, g.launch)
	if err != nil {
		return Summary{}, fmt.Errorf("demo: write settings: %w", err)
	}
	sum.Settings = settings
	return sum, nil
}

// add records an event in f unless it was recorded after the end of the
// span: the export is taken then.
func (g *gen) add(f *outFile, id, typ string, occurred, recorded time.Time, service string, p who, referral string, data map[string]any) *evt {
	if recorded.Before(occurred) {
		recorded = occurred
	}
	if !recorded.Before(g.end) {
		return nil
	}
	g.seq++
	e := &evt{
		EventID: id, Type: typ,
		OccurredAt: g.stamp(occurred), RecordedAt: g.stamp(recorded),
		Source: f.source, Service: service,
		NHSNumber: p.nhs, LocalID: p.local, ReferralID: referral,
		Data: data, rec: recorded, seq: g.seq,
	}
	f.evts = append(f.evts, e)
	return e
}

// stamp formats a time as RFC 3339 with the Europe/London offset of that
// instant (+01:00 in summer time).
func (g *gen) stamp(t time.Time) string { return t.In(g.loc).Format(time.RFC3339) }

// at is the local time h:m on the day of t.
func (g *gen) at(day time.Time, h, m int) time.Time {
	y, mo, d := day.In(g.loc).Date()
	return time.Date(y, mo, d, h, m, 0, 0, g.loc)
}

// days adds n calendar days in local time.
func (g *gen) days(t time.Time, n int) time.Time { return t.In(g.loc).AddDate(0, 0, n) }

// weekday moves a weekend day to the Monday after.
func (g *gen) weekday(t time.Time) time.Time {
	switch t.In(g.loc).Weekday() {
	case time.Saturday:
		return g.days(t, 2)
	case time.Sunday:
		return g.days(t, 1)
	}
	return t
}

// office is a working-hours appointment time on the weekday on or after day.
func (g *gen) office(r rng, day time.Time) time.Time {
	return g.at(g.weekday(day), r.between(9, 16), 30*r.IntN(2))
}

// spanDays is the number of days in the span.
func (g *gen) spanDays() int { return int(g.end.Sub(g.start).Hours()/24 + 0.5) }

// render orders a file's events by recorded_at and marshals them, counting
// them by type.
func (f *outFile) render(count map[string]int) ([][]byte, error) {
	slices.SortStableFunc(f.evts, func(a, b *evt) int {
		if c := a.rec.Compare(b.rec); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	out := make([][]byte, len(f.evts))
	for i, e := range f.evts {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("demo: encode %s: %w", e.EventID, err)
		}
		out[i] = b
		count[e.Type]++
	}
	return out, nil
}

// duplicate delivers a few lines a second time, later in their file, as a
// source re-sending a batch after a timeout would.
func (g *gen) duplicate(files []*outFile, lines [][][]byte) int {
	r := newRNG(g.cfg.Seed, streamFaults)
	n := 0
	for i, f := range files {
		if f != g.referrals && f != g.outcomes && f != g.crisis {
			continue
		}
		ls := lines[i]
		if len(ls) < 10 {
			continue
		}
		batch := 1 + len(ls)/4000
		from := len(ls)/3 + r.IntN(len(ls)/6)
		to := from + batch + r.IntN(len(ls)-from-batch)
		dup := slices.Clone(ls[from : from+batch])
		lines[i] = slices.Insert(ls, to+1, dup...)
		n += len(dup)
	}
	return n
}

func joinLines(ls [][]byte) []byte {
	var b bytes.Buffer
	for _, l := range ls {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// writeFile replaces path whole: a reader never sees half a file.
func writeFile(path string, body []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
