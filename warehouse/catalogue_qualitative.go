package warehouse

// qualitativeMetrics: feedback volume, experience, themes, quotes, you said
// we did, involvement (METRICS.md, "Qualitative and involvement").
// Computed by Qualitative (qualitative.go) from sql/qualitative.
var qualitativeMetrics = []Metric{
	{ID: "feedback_volume", Version: 1, Title: "Feedback received",
		Definition: "feedback.received by respondent and channel (table); headline = all feedback received in the period.",
		Cohort:     "feedback received in the period", Unit: "count", Direction: "neutral", Source: srcMetrics},
	{ID: "feedback_response_rate", Version: 1, Title: "Feedback response rate, completers vs non-completers",
		Definition: "Referrals ended in the period (completed = completers, dropped_out = non-completers) with at least one feedback.received carrying their referral_id, ÷ those referrals; by group.",
		Cohort:     "referrals ended in the period, completed or dropped out", Unit: "proportion", Direction: "up", Source: srcMetrics},
	{ID: "experience_good_pct", Version: 1, Title: "Experience good or excellent",
		Definition: "% of rated feedback.received that is good or excellent; by respondent.",
		Cohort:     "feedback received in the period with an experience", Unit: "proportion", Direction: "up", Source: srcMetrics},
	{ID: "theme_frequency", Version: 1, Title: "Themes in feedback",
		Definition: "Per code of the latest feedback.coded of each piece: pieces of feedback, share of coded feedback (Wilson); by respondent group and by outcome group (recovered / not recovered). Headline = coded pieces.",
		Cohort:     "coded feedback received in the period", Unit: "count", Direction: "neutral", Source: srcMetrics},
	{ID: "quotes", Version: 1, Title: "Quotes for the top themes",
		Definition: "For each of the 5 most frequent themes, up to Evaluation.QuotesPerTheme (default 3) texts with consent_to_quote, first by feedback_id; identifiers are redacted by the reports layer.",
		Cohort:     "coded feedback received in the period with consent to quote", Unit: "quote", Direction: "neutral", Source: srcMetrics},
	{ID: "you_said_we_did", Version: 1, Title: "You said, we did",
		Definition: "Each theme with its feedback count in the period and the action.taken (on or before the period's end) that answered it.",
		Cohort:     "coded feedback received in the period; actions to the period's end", Unit: "count", Direction: "neutral", Source: srcMetrics},
	{ID: "involvement_hours", Version: 1, Title: "Service-user involvement",
		Definition: "involvement.recorded activities, participants and hours per quarter, share of activities led by service users (table); headline = total hours.",
		Cohort:     "involvement dated in the period", Unit: "hours", Direction: "up", Source: srcMetrics},
}
