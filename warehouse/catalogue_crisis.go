package warehouse

// crisisMetrics: crisis contacts, pre/post cohort, savings, return per pound,
// experience against a benchmark (METRICS.md, "Crisis services and savings").
var crisisMetrics = []Metric{}
