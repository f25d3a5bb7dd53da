// Package demo generates a realistic, seeded synthetic mental-health service:
// the exports its source systems would hand to ingest, one file per system.
//
// It exists so that every stage (ingest, transform, warehouse, reports) and
// every metric of METRICS.md can be exercised, demonstrated and tested without
// real patient data. The service is an NHS Talking Therapies service with a
// peer-coaching programme, a crisis service launched half way through the
// span, feedback with free text, and programme costs:
//
//	iaptus-referrals.ndjson          talking-therapies referrals (nhs_number, date_of_birth)
//	iaptus-appointments.csv          the same service's appointments, a CSV export
//	iaptus-appointments.mapping.yaml the column mapping ingest reads for that CSV
//	iaptus-outcomes.ndjson           PHQ-9, GAD-7 and the anxiety-disorder-specific measures
//	peer-coaching.ndjson             the peer-coaching programme (local_id)
//	feedback.ndjson                  feedback, its thematic coding, "you said, we did"
//	crisis.ndjson                    crisis contacts and the crisis service's peer support
//	programme.ndjson                 costs, recovery consultations, involvement
//
// Data flow: Generate draws each part from its own PCG stream of the seed, so
// one part's shape never perturbs another's; events are collected per file,
// cut at the end of the span (an export is taken then: referrals received
// late stay open), ordered by recorded_at, and written with their data keys
// sorted. The same Config gives the same bytes on any machine (the time zone
// database is embedded; no wall clock is read).
//
// The data are shaped to exercise the metrics rather than to model any real
// service: referral sources, waits with a tail beyond 6 and 18 weeks, DNAs,
// cancellations, drop-out, clinicians whose recovery rates range from about
// 35% to 65% around a service rate near 50%, peer co-delivered groups with
// lower drop-out, corrections (retractions, an erasure), a duplicate delivery,
// and on request malformed lines for the dead-letter path. NHS numbers are
// drawn from the 999 range, which the NHS reserves for testing, and phone
// numbers and e-mail addresses in free text from ranges reserved for fiction
// (07700 900xxx, example.com).
package demo
