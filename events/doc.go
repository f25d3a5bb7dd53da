// Package events is the event contract of EVENTS.md in Go: the envelope and
// every version-1 event type, decoded and validated with precise errors,
// pseudonymised, and converted to the Parquet row of its family.
//
// Data flow: a source line is decoded by Decode, which checks the envelope and
// the type's data fields against Types (the single definition of every type),
// replaces nhs_number/local_id by a keyed pseudonym and date_of_birth by an age
// band, and returns a canonical Event. Ingest publishes the canonical JSON to
// the family's topic; transform decodes it again (with no pseudonymiser, so a
// direct identifier can never pass) and writes Event.Row to the lake.
//
// This package imports nothing of the project's own; every stage imports it.
package events
