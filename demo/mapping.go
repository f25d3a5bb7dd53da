package demo

import _ "embed"

// AppointmentsMapping is the column mapping of the appointments CSV export
// (iaptus-appointments.csv): ingest reads it to turn each row into a
// session.recorded event. The canonical copy is this package's
// iaptus-appointments.mapping.yaml; ingest/mappings/iaptus-appointments.yaml
// holds the same bytes, as a test checks.
//
//go:embed iaptus-appointments.mapping.yaml
var AppointmentsMapping []byte
