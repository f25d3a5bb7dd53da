package warehouse

// programmeMetrics: peer-coaching funnel, representation, wellbeing and
// quality of life, peer-worker impact, recovery consultations (METRICS.md).
var programmeMetrics = []Metric{}
