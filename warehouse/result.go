package warehouse

import "time"

// Period is a range of local dates, both ends inclusive (a month, a quarter,
// a financial year April-March).
type Period struct {
	From time.Time `json:"from"` // local date at midnight, time zone of the service
	To   time.Time `json:"to"`   // last day included
}

// Value is one metric's value for one cohort. Counts have only Value;
// proportions and means also carry their numerator and denominator, and
// proportions a 95% interval. A value withheld by disclosure control has
// Value nil and Suppressed true.
type Value struct {
	Value       *float64    `json:"value"`
	Numerator   *float64    `json:"numerator,omitempty"`
	Denominator *float64    `json:"denominator,omitempty"`
	CI95        *[2]float64 `json:"ci95,omitempty"`
	Suppressed  bool        `json:"suppressed,omitempty"`
	// Note says anything a reader must know to interpret the value (for
	// example that the GAD-7 fallback was used).
	Note string `json:"note,omitempty"`
	// Text is the content of a text cell of a Table (a label, a source, a
	// quote); empty for numbers.
	Text string `json:"text,omitempty"`
}

// Table is a metric whose result is not one value per group: a funnel, a
// comparison of two groups with their difference, a transition matrix, a
// before/after table, a unit-cost table, quotes. Disclosure control applies
// cell by cell according to each column's Unit.
type Table struct {
	Metric  string   `json:"metric"` // the catalogue id it belongs to
	Title   string   `json:"title"`
	Columns []Column `json:"columns"`
	Rows    []Row    `json:"rows"`
	Note    string   `json:"note,omitempty"`
	// RecordLevel says the rows are people (by pseudonym), not aggregates:
	// a publishing disclosure policy withholds the table whole.
	RecordLevel bool `json:"record_level,omitempty"`
}

// Column describes a table column. Unit is as Metric.Unit (count,
// proportion, mean, days, gbp, ...), or "text" for plain text, or "quote"
// for free text from feedback, which reports redact before publishing.
type Column struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Unit  string `json:"unit"`
}

// Row is one row of a Table: a label and one cell per column.
type Row struct {
	Label string  `json:"label"`
	Cells []Value `json:"cells"`
}

// Metric is one entry of the metric catalogue (METRICS.md): the single
// definition that the SQL, the reports, the JSON and the docs all read.
type Metric struct {
	ID         string   `json:"id"`
	Version    int      `json:"version"`
	Title      string   `json:"title"`
	Definition string   `json:"definition"`
	Cohort     string   `json:"cohort"`
	Unit       string   `json:"unit"`      // count | proportion | days | rate_per_100k | mean
	Direction  string   `json:"direction"` // up | down | neutral: which way is improvement
	Standard   *float64 `json:"standard,omitempty"`
	Source     string   `json:"source,omitempty"`
}

// Result is what the warehouse computes for one report: every metric's
// value, its breakdowns (metric → dimension → group → value) and monthly
// series (metric → points), with the provenance a reader needs.
type Result struct {
	Period     Period                                 `json:"period"`
	Service    string                                 `json:"service"`
	Metrics    map[string]Value                       `json:"metrics"`
	Breakdowns map[string]map[string]map[string]Value `json:"breakdowns,omitempty"`
	Series     map[string][]SeriesPoint               `json:"series,omitempty"`
	// Tables are the metrics whose result is a table (Table.Metric names
	// the catalogue id), in report order.
	Tables     []Table    `json:"tables,omitempty"`
	Provenance Provenance `json:"provenance"`
}

// SeriesPoint is one month of a metric's series.
type SeriesPoint struct {
	Month string `json:"month"` // YYYY-MM
	Value
}

// Provenance says what a result was computed from.
type Provenance struct {
	AsOf        time.Time      `json:"as_of"` // events recorded after this are ignored
	Lake        string         `json:"lake"`  // fingerprint of the lake files read
	LakeFiles   int            `json:"lake_files"`
	Version     string         `json:"version"` // code version
	Metrics     map[string]int `json:"metric_versions"`
	TimeZone    string         `json:"time_zone"`
	GeneratedAt time.Time      `json:"generated_at"`
}
