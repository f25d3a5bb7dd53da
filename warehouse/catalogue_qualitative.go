package warehouse

// qualitativeMetrics: feedback volume, experience, themes, quotes, you said
// we did, involvement (METRICS.md, "Qualitative and involvement").
var qualitativeMetrics = []Metric{}
