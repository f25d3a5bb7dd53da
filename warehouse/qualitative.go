package warehouse

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"sort"
	"strings"
)

// The qualitative section's queries (sql/qualitative). feedback.sql and
// coding.sql are subqueries the others include as {{feedback}} and {{coding}}.
//
//go:embed sql/qualitative/*.sql
var qualitativeSQLFS embed.FS

var qualitativeSubs = map[string]string{
	"feedback": "sql/qualitative/feedback.sql",
	"coding":   "sql/qualitative/coding.sql",
}

// Enumerations of EVENTS.md, in its order: table rows and columns.
var (
	feedbackRespondents = []string{"service_user", "non_completer", "carer", "staff", "peer_worker", "stakeholder"}
	feedbackChannels    = []string{"peq", "website", "phone_survey", "interview", "advisory_group", "waiting_room", "other"}
	involvementActivity = []string{"advisory_group", "recruitment_panel", "co_design", "training_delivery", "research_role", "peer_forum", "other"}
)

const (
	quoteThemes            = 5 // top themes that get quotes
	defaultQuotesPerTheme  = 3
	outcomeRecovered       = "recovered"
	outcomeNotRecovered    = "not_recovered"
	feedbackResponseGroups = "completers, non_completers"
)

// Qualitative computes the qualitative and involvement section of the
// catalogue (qualitativeMetrics) for the period, for one service or all
// (service ""):
//
//   - Metrics: feedback_volume, feedback_response_rate, experience_good_pct,
//     theme_frequency (coded pieces), quotes (number shown), you_said_we_did
//     (themes), involvement_hours (total hours).
//   - Breakdowns: feedback_response_rate by "group" (completers,
//     non_completers); experience_good_pct by "respondent";
//     theme_frequency by "code"; involvement_hours by "activity".
//   - Tables (Table.Metric, Title): feedback_volume (respondent × channel);
//     theme_frequency: all, by respondent group, by outcome group;
//     quotes (theme, quote, respondent); you_said_we_did (feedback,
//     actions, summaries); involvement_hours (by quarter).
//
// Quotes come only from feedback whose latest record has consent_to_quote
// = true; no other feedback text is ever read. The quote column has unit
// "quote": raw text, which the reports layer redacts before publishing.
func (w *Warehouse) Qualitative(ctx context.Context, p Period, service string) (*Result, error) {
	res, err := w.newSectionResult(p, service, qualitativeMetrics)
	if err != nil {
		return nil, err
	}
	// Each step's queries go through sectionRows, which logs and purges.
	steps := []func(context.Context, *Result, Period, string) error{
		w.feedbackVolume, w.feedbackResponse, w.feedbackExperience, w.themes, w.involvement,
	}
	for _, step := range steps {
		if err := step(ctx, res, p, service); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// feedbackVolume is feedback_volume: respondent × channel.
func (w *Warehouse) feedbackVolume(ctx context.Context, res *Result, p Period, service string) error {
	counts := map[string]map[string]float64{}
	byResp, byChan := map[string]float64{}, map[string]float64{}
	total := 0.0
	err := w.sectionRows(ctx, qualitativeSQLFS, "sql/qualitative/volume.sql", qualitativeSubs, periodArgs(p, service), func(rs *sql.Rows) error {
		var resp, ch string
		var n float64
		if err := rs.Scan(&resp, &ch, &n); err != nil {
			return err
		}
		if counts[resp] == nil {
			counts[resp] = map[string]float64{}
		}
		counts[resp][ch] += n
		byResp[resp] += n
		byChan[ch] += n
		total += n
		return nil
	})
	if err != nil {
		return err
	}
	t := Table{Metric: "feedback_volume", Title: "Feedback received by respondent and channel"}
	chans := withExtra(feedbackChannels, byChan)
	for _, c := range chans {
		t.Columns = append(t.Columns, Column{ID: c, Title: c, Unit: "count"})
	}
	t.Columns = append(t.Columns, Column{ID: "total", Title: "all channels", Unit: "count"})
	for _, r := range withExtra(feedbackRespondents, byResp) {
		row := Row{Label: r}
		for _, c := range chans {
			row.Cells = append(row.Cells, Value{Value: ptr(counts[r][c])})
		}
		t.Rows = append(t.Rows, Row{Label: r, Cells: append(row.Cells, Value{Value: ptr(byResp[r])})})
	}
	res.Tables = append(res.Tables, t)
	res.Metrics["feedback_volume"] = Value{Value: ptr(total)}
	return nil
}

// feedbackResponse is feedback_response_rate, overall and by group.
func (w *Warehouse) feedbackResponse(ctx context.Context, res *Result, p Period, service string) error {
	groups := map[string]Value{}
	num, den := 0.0, 0.0
	err := w.sectionRows(ctx, qualitativeSQLFS, "sql/qualitative/response.sql", qualitativeSubs, periodArgs(p, service), func(rs *sql.Rows) error {
		var g string
		var n, d float64
		if err := rs.Scan(&g, &n, &d); err != nil {
			return err
		}
		groups[g] = Proportion(n, d)
		num += n
		den += d
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range strings.Split(feedbackResponseGroups, ", ") {
		if _, ok := groups[g]; !ok {
			groups[g] = Proportion(0, 0)
		}
	}
	v := Proportion(num, den)
	v.Note = joinNotes(v.Note, "referrals ended in the period (completed = completers, dropped_out = non-completers) with feedback carrying their referral_id, received at any time; see the breakdown by group")
	res.Metrics["feedback_response_rate"] = v
	res.Breakdowns["feedback_response_rate"] = map[string]map[string]Value{"group": groups}
	return nil
}

// feedbackExperience is experience_good_pct, overall and by respondent.
func (w *Warehouse) feedbackExperience(ctx context.Context, res *Result, p Period, service string) error {
	groups := map[string]Value{}
	num, den := 0.0, 0.0
	err := w.sectionRows(ctx, qualitativeSQLFS, "sql/qualitative/experience.sql", qualitativeSubs, periodArgs(p, service), func(rs *sql.Rows) error {
		var r string
		var n, d float64
		if err := rs.Scan(&r, &n, &d); err != nil {
			return err
		}
		groups[r] = Proportion(n, d)
		num += n
		den += d
		return nil
	})
	if err != nil {
		return err
	}
	res.Metrics["experience_good_pct"] = Proportion(num, den)
	res.Breakdowns["experience_good_pct"] = map[string]map[string]Value{"respondent": groups}
	return nil
}

// themeCount is one code's pieces of feedback, overall and by group.
type themeCount struct {
	code         string
	n            float64
	byRespondent map[string]float64
	byOutcome    map[string]float64
}

// themes fills theme_frequency, quotes and you_said_we_did, which share
// the theme counts (and so the ranking of themes).
func (w *Warehouse) themes(ctx context.Context, res *Result, p Period, service string) error {
	coded := map[string]bool{}
	respOf, outcomeOf := map[string]string{}, map[string]string{}
	byCode := map[string]*themeCount{}
	err := w.sectionRows(ctx, qualitativeSQLFS, "sql/qualitative/themes.sql", qualitativeSubs, periodArgs(p, service), func(rs *sql.Rows) error {
		var id, resp string
		var outcome, code sql.NullString
		if err := rs.Scan(&id, &resp, &outcome, &code); err != nil {
			return err
		}
		coded[id] = true
		respOf[id] = resp
		if outcome.Valid {
			outcomeOf[id] = outcome.String
		}
		if !code.Valid {
			return nil
		}
		tc := byCode[code.String]
		if tc == nil {
			tc = &themeCount{code: code.String, byRespondent: map[string]float64{}, byOutcome: map[string]float64{}}
			byCode[code.String] = tc
		}
		tc.n++
		tc.byRespondent[resp]++
		if outcome.Valid {
			tc.byOutcome[outcome.String]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Denominators: coded pieces, in all and per group.
	total := float64(len(coded))
	respTotal, outTotal := map[string]float64{}, map[string]float64{}
	for id := range coded {
		respTotal[respOf[id]]++
		if o, ok := outcomeOf[id]; ok {
			outTotal[o]++
		}
	}
	ranked := make([]*themeCount, 0, len(byCode))
	for _, tc := range byCode {
		ranked = append(ranked, tc)
	}
	// Most pieces first, ties by code: the one ranking that quotes and
	// you_said_we_did also use.
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].n != ranked[j].n {
			return ranked[i].n > ranked[j].n
		}
		return ranked[i].code < ranked[j].code
	})

	freq := Table{Metric: "theme_frequency", Title: "Themes: pieces of feedback and share of coded feedback",
		Columns: []Column{{ID: "pieces", Title: "pieces of feedback", Unit: "count"}, {ID: "share", Title: "share of coded feedback", Unit: "proportion"}}}
	shares := map[string]Value{}
	for _, tc := range ranked {
		sh := Proportion(tc.n, total)
		shares[tc.code] = sh
		freq.Rows = append(freq.Rows, Row{Label: tc.code, Cells: []Value{{Value: ptr(tc.n)}, sh}})
	}
	freq.Note = fmt.Sprintf("%.0f coded pieces of feedback (latest coding of each); a piece may carry several codes", total)
	respCols := withExtra(feedbackRespondents, respTotal)
	respCols = keepPresent(respCols, respTotal)
	byResp := groupShareTable("theme_frequency", "Themes by respondent group: share of the group's coded feedback", ranked, respCols,
		respTotal, func(tc *themeCount) map[string]float64 { return tc.byRespondent })
	byOut := groupShareTable("theme_frequency", "Themes by outcome group: share of the group's coded feedback", ranked,
		[]string{outcomeRecovered, outcomeNotRecovered}, outTotal, func(tc *themeCount) map[string]float64 { return tc.byOutcome })
	linked := outTotal[outcomeRecovered] + outTotal[outcomeNotRecovered]
	byOut.Note = fmt.Sprintf("outcome of the respondent's talking-therapies episode in the recovery cohort (finished, paired, at caseness at first), linked by referral_id or else by person (latest such episode ended by the feedback date); %.0f of %.0f coded pieces linkable", linked, total)
	res.Tables = append(res.Tables, freq, byResp, byOut)
	v := Value{Value: ptr(total), Note: "coded pieces of feedback; per code see the breakdown by code and the tables"}
	res.Metrics["theme_frequency"] = v
	res.Breakdowns["theme_frequency"] = map[string]map[string]Value{"code": shares}

	if err := w.quotes(ctx, res, p, service, ranked); err != nil {
		return err
	}
	return w.youSaidWeDid(ctx, res, p, service, ranked)
}

// keepPresent keeps the columns with a non-zero total.
func keepPresent(cols []string, totals map[string]float64) []string {
	var out []string
	for _, c := range cols {
		if totals[c] > 0 {
			out = append(out, c)
		}
	}
	return out
}

// groupShareTable is one row per theme and one column per group: the share
// of the group's coded feedback that carries the theme (Wilson interval).
func groupShareTable(metric, title string, ranked []*themeCount, groups []string, totals map[string]float64,
	counts func(*themeCount) map[string]float64) Table {
	t := Table{Metric: metric, Title: title}
	for _, g := range groups {
		t.Columns = append(t.Columns, Column{ID: g, Title: g, Unit: "proportion"})
	}
	for _, tc := range ranked {
		r := Row{Label: tc.code}
		for _, g := range groups {
			r.Cells = append(r.Cells, Proportion(counts(tc)[g], totals[g]))
		}
		t.Rows = append(t.Rows, r)
	}
	return t
}

// quotes is the quotes table: for each of the top themes, up to
// QuotesPerTheme consented quotes, first by feedback_id.
func (w *Warehouse) quotes(ctx context.Context, res *Result, p Period, service string, ranked []*themeCount) error {
	per := w.cfg.Evaluation.QuotesPerTheme
	if per <= 0 {
		per = defaultQuotesPerTheme
	}
	type quote struct{ id, text, respondent string }
	byCode := map[string][]quote{}
	err := w.sectionRows(ctx, qualitativeSQLFS, "sql/qualitative/quotes.sql", qualitativeSubs,
		periodArgs(p, service, sql.Named("per", per)), func(rs *sql.Rows) error {
			var code string
			var q quote
			if err := rs.Scan(&code, &q.id, &q.text, &q.respondent); err != nil {
				return err
			}
			byCode[code] = append(byCode[code], q)
			return nil
		})
	if err != nil {
		return err
	}
	t := Table{Metric: "quotes", Title: "Quotes for the most frequent themes",
		Columns: []Column{{ID: "theme", Title: "theme", Unit: "text"}, {ID: "quote", Title: "quote", Unit: "quote"},
			{ID: "respondent", Title: "respondent", Unit: "text"}},
		Note: fmt.Sprintf("top %d themes by pieces of feedback, up to %d quotes each, only with consent_to_quote, first by feedback_id; raw text: redact before publishing", quoteThemes, per)}
	var without []string
	for i, tc := range ranked {
		if i == quoteThemes {
			break
		}
		qs := byCode[tc.code]
		if len(qs) == 0 {
			without = append(without, tc.code)
		}
		for _, q := range qs {
			t.Rows = append(t.Rows, Row{Label: q.id, Cells: []Value{{Text: tc.code}, {Text: q.text}, {Text: q.respondent}}})
		}
	}
	if len(without) > 0 {
		t.Note = joinNotes(t.Note, "no consented quote for "+strings.Join(without, ", "))
	}
	res.Tables = append(res.Tables, t)
	res.Metrics["quotes"] = Value{Value: ptr(float64(len(t.Rows))), Note: "quotes shown: see the quotes table"}
	return nil
}

// youSaidWeDid is the you_said_we_did table: every theme with feedback in
// the period or an action to its end, its feedback count and the actions.
func (w *Warehouse) youSaidWeDid(ctx context.Context, res *Result, p Period, service string, ranked []*themeCount) error {
	type action struct{ id, summary string }
	byCode := map[string][]action{}
	err := w.sectionRows(ctx, qualitativeSQLFS, "sql/qualitative/actions.sql", qualitativeSubs, periodArgs(p, service), func(rs *sql.Rows) error {
		var code string
		var a action
		var at any
		if err := rs.Scan(&code, &a.id, &a.summary, &at); err != nil {
			return err
		}
		byCode[code] = append(byCode[code], a)
		return nil
	})
	if err != nil {
		return err
	}
	t := Table{Metric: "you_said_we_did", Title: "You said, we did",
		Columns: []Column{{ID: "feedback", Title: "pieces of feedback", Unit: "count"}, {ID: "actions", Title: "actions taken", Unit: "count"},
			{ID: "summaries", Title: "what we did", Unit: "text"}},
		Note: "themes by pieces of feedback in the period; actions taken on or before the period's end that name the theme (or, naming none, answer feedback coded with it)"}
	seen := map[string]bool{}
	add := func(code string, n float64) {
		seen[code] = true
		acts := byCode[code]
		sums := make([]string, len(acts))
		for i, a := range acts {
			sums[i] = a.summary
		}
		t.Rows = append(t.Rows, Row{Label: code, Cells: []Value{{Value: ptr(n)}, {Value: ptr(float64(len(acts)))},
			{Text: strings.Join(sums, " | ")}}})
	}
	for _, tc := range ranked {
		add(tc.code, tc.n)
	}
	var rest []string
	for code := range byCode {
		if !seen[code] {
			rest = append(rest, code)
		}
	}
	sort.Strings(rest)
	for _, code := range rest {
		add(code, 0)
	}
	res.Tables = append(res.Tables, t)
	answered := 0.0
	for _, r := range t.Rows {
		if *r.Cells[1].Value > 0 {
			answered++
		}
	}
	res.Metrics["you_said_we_did"] = Value{Value: ptr(float64(len(t.Rows))), Numerator: ptr(answered),
		Note: fmt.Sprintf("themes; %.0f with an action", answered)}
	return nil
}

// involvement is involvement_hours: by quarter, and hours by activity.
func (w *Warehouse) involvement(ctx context.Context, res *Result, p Period, service string) error {
	type agg struct{ activities, participants, hours, led, ledHours float64 }
	byQuarter := map[string]*agg{}
	var quarters []string
	byActivity := map[string]float64{}
	var all agg
	err := w.sectionRows(ctx, qualitativeSQLFS, "sql/qualitative/involvement.sql", nil, periodArgs(p, service), func(rs *sql.Rows) error {
		var q, act string
		var a agg
		if err := rs.Scan(&q, &act, &a.activities, &a.participants, &a.hours, &a.led, &a.ledHours); err != nil {
			return err
		}
		g := byQuarter[q]
		if g == nil {
			g = &agg{}
			byQuarter[q] = g
			quarters = append(quarters, q)
		}
		for _, x := range []*agg{g, &all} {
			x.activities += a.activities
			x.participants += a.participants
			x.hours += a.hours
			x.led += a.led
			x.ledHours += a.ledHours
		}
		byActivity[act] += a.hours
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(quarters)
	t := Table{Metric: "involvement_hours", Title: "Service-user involvement by quarter",
		Columns: []Column{{ID: "activities", Title: "activities", Unit: "count"}, {ID: "participants", Title: "participants", Unit: "count"},
			{ID: "hours", Title: "hours", Unit: "hours"}, {ID: "led_share", Title: "share of activities led by service users", Unit: "proportion"},
			{ID: "led_hours", Title: "hours of activities led by service users", Unit: "hours"}},
		Note: "calendar quarters (YYYY-Qn) of the local date; participants are summed over activities (one person at two activities counts twice)"}
	row := func(label string, a agg) Row {
		return Row{Label: label, Cells: []Value{{Value: ptr(a.activities)}, {Value: ptr(a.participants)}, {Value: ptr(a.hours)},
			Proportion(a.led, a.activities), {Value: ptr(a.ledHours)}}}
	}
	for _, q := range quarters {
		t.Rows = append(t.Rows, row(q, *byQuarter[q]))
	}
	t.Rows = append(t.Rows, row("all", all))
	res.Tables = append(res.Tables, t)
	res.Metrics["involvement_hours"] = Value{Value: ptr(all.hours)}
	acts := map[string]Value{}
	for _, a := range withExtra(involvementActivity, byActivity) {
		if h, ok := byActivity[a]; ok {
			acts[a] = Value{Value: ptr(h)}
		}
	}
	res.Breakdowns["involvement_hours"] = map[string]map[string]Value{"activity": acts}
	return nil
}
