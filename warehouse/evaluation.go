package warehouse

import "time"

// Evaluation holds the configured facts the programme, crisis and
// qualitative metrics need. None is hard-coded: each value that is a fact
// about the world (a population share, a unit cost, a threshold) carries
// its source, and reports print the table used.
type Evaluation struct {
	// PopulationShares: dimension (ethnicity, age_band) → group → share of
	// the population served (0-1), for representation_ratio.
	PopulationShares map[string]map[string]float64 `yaml:"population_shares"`
	// PopulationSource names where the shares come from (e.g. "ONS Census 2021, Islington").
	PopulationSource string `yaml:"population_source"`
	// UnitCosts of crisis contacts, for crisis_savings_gbp.
	UnitCosts []UnitCost `yaml:"unit_costs"`
	// CrisisLaunch is the crisis service's launch date (area SPC series are
	// rebased there). Zero: not rebased.
	CrisisLaunch time.Time `yaml:"crisis_launch"`
	// CrisisWindowMonths is the pre/post window either side of the index
	// date. Default 6.
	CrisisWindowMonths int `yaml:"crisis_window_months"`
	// CrisisExperienceBenchmark is the comparator share of good-or-excellent
	// experience (e.g. 0.14), with its source. Nil: no comparison.
	CrisisExperienceBenchmark *Benchmark `yaml:"crisis_experience_benchmark"`
	// Thresholds are caseness and reliable-change values for the
	// anxiety-disorder-specific measures (PHQ-9 and GAD-7 are built in).
	Thresholds []Threshold `yaml:"thresholds"`
	// BootstrapReps and BootstrapSeed drive the savings interval. Defaults 2000 and 1.
	BootstrapReps int    `yaml:"bootstrap_reps"`
	BootstrapSeed uint64 `yaml:"bootstrap_seed"`
	// QuotesPerTheme caps the quotes shown for each top theme. Default 3.
	QuotesPerTheme int `yaml:"quotes_per_theme"`
}

// UnitCost is the cost of one crisis contact of a kind (or of one bed day,
// for acute_admission), with its source and price year.
type UnitCost struct {
	Kind      string  `yaml:"kind" json:"kind"`
	Unit      string  `yaml:"unit" json:"unit"` // contact | bed_day
	CostGBP   float64 `yaml:"cost_gbp" json:"cost_gbp"`
	Source    string  `yaml:"source" json:"source"`
	PriceYear string  `yaml:"price_year" json:"price_year"`
}

// Benchmark is a comparator value and where it comes from.
type Benchmark struct {
	Value  float64 `yaml:"value" json:"value"`
	Source string  `yaml:"source" json:"source"`
}

// Threshold is a measure's caseness cut-off (at caseness when score >=
// Caseness) and reliable change, with its source.
type Threshold struct {
	Measure        string  `yaml:"measure" json:"measure"`
	Caseness       float64 `yaml:"caseness" json:"caseness"`
	ReliableChange float64 `yaml:"reliable_change" json:"reliable_change"`
	Source         string  `yaml:"source" json:"source"`
}
