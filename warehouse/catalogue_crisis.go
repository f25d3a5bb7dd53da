package warehouse

// crisisMetrics: crisis contacts, pre/post cohort, savings, return per pound,
// experience against a benchmark, and the area series (METRICS.md, "Crisis
// services and savings"). Computed by Crisis (crisis.go) from sql/crisis.
var crisisMetrics = []Metric{
	{ID: "crisis_contacts", Version: 1, Title: "Crisis contacts",
		Definition: "crisis.contact by kind per month (table crisis_contacts: rows months, columns kinds); headline = all contacts dated in the period.",
		Cohort:     "crisis contacts dated in the period", Unit: "count", Direction: "down", Source: srcMetrics},
	{ID: "crisis_contacts_per_1000", Version: 1, Title: "Crisis contacts per 1,000 population",
		Definition: "crisis_contacts per 1,000 of the configured population (Config.Population), in all and by kind; no population, no value.",
		Cohort:     "crisis contacts dated in the period", Unit: "rate_per_1000", Direction: "down", Source: srcMetrics},
	{ID: "crisis_pre_post", Version: 1, Title: "Crisis contacts before and after first peer contact",
		Definition: "People whose index date (first attended peer_visit by a peer worker or peer coach, crisis or peer-coaching programme) is in the period, with a full window before and after (Evaluation.CrisisWindowMonths, default 6) inside the data's span and at least one crisis contact in them: contacts by kind before vs after, % change (table); headline = n people.",
		Cohort:     "first peer contact in the period, full windows", Unit: "count", Direction: "neutral", Source: srcMetrics},
	{ID: "crisis_savings_gbp", Version: 1, Title: "Crisis savings (£)",
		Definition: "Σ over kinds of (before − after) × unit cost of the kind over the crisis_pre_post cohort; bed days for acute_admission when its unit is bed_day. Unit costs are configuration with source and price year (table unit costs); a kind without a cost contributes nothing. 95% percentile bootstrap interval over people (seeded).",
		Cohort:     "crisis_pre_post", Unit: "gbp", Direction: "up", Source: srcMetrics},
	{ID: "return_per_pound", Version: 1, Title: "Return per £1 spent",
		Definition: "crisis_savings_gbp ÷ programme cost (cost.recorded of programmes crisis and peer_coaching, pro-rated by days to the period).",
		Cohort:     "crisis_pre_post; costs overlapping the period", Unit: "ratio", Direction: "up", Source: srcMetrics},
	{ID: "crisis_experience_good_pct", Version: 1, Title: "Crisis experience good or excellent",
		Definition: "Share of crisis contacts with an experience rating that are good or excellent, against Evaluation.CrisisExperienceBenchmark when set.",
		Cohort:     "crisis contacts dated in the period with an experience", Unit: "proportion", Direction: "up", Source: srcMetrics},
	{ID: "crisis_ae_attendances", Version: 1, Title: "A&E attendances per month (area series)",
		Definition: "Monthly count of crisis.contact of kind ae_attendance, as an XmR chart rebased at the first month on or after Evaluation.CrisisLaunch.",
		Cohort:     "24 months to the period's end, from the first crisis contact", Unit: "count", Direction: "down", Source: srcMetrics},
	{ID: "crisis_acute_admissions", Version: 1, Title: "Acute admissions per month (area series)",
		Definition: "Monthly count of crisis.contact of kind acute_admission, as an XmR chart rebased at the first month on or after Evaluation.CrisisLaunch.",
		Cohort:     "24 months to the period's end, from the first crisis contact", Unit: "count", Direction: "down", Source: srcMetrics},
}
