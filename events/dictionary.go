package events

import (
	"fmt"
	"io"
	"strings"
)

// WriteDictionary writes the data dictionary (Markdown) of the event
// contract and the lake: every type, its fields and their lake columns,
// generated from Types so it cannot drift from validation.
func WriteDictionary(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Data dictionary\n\n")
	b.WriteString("Generated from `events.Types` by `go test ./events -update`; do not edit by hand.\n\n")
	b.WriteString("## Envelope (every event; every lake family)\n\n")
	b.WriteString("| column | type | meaning |\n|---|---|---|\n")
	for _, r := range [][3]string{
		{"event_id", "string", "globally unique; the de-duplication key"},
		{"type", "string", "`family.verb`, one of the types below"},
		{"schema", "int32", "version of the type's data shape (1)"},
		{"occurred_at", "timestamp (µs, UTC)", "when it happened in the service"},
		{"recorded_at", "timestamp (µs, UTC)", "when the source recorded it (ingest's clock if absent); as-of queries filter on it"},
		{"source", "string", "the feed it came from"},
		{"service", "string", "the service (provider unit)"},
		{"person", "string", "pseudonym: `p` + 32 hex digits of HMAC-SHA256(key, identifier); never a direct identifier"},
		{"referral_id", "string", "the episode of care"},
		{"extra", "string (JSON)", "data fields the contract does not define, kept verbatim"},
		{"kafka_partition, kafka_offset, kafka_timestamp", "int32, int64, timestamp", "lineage: where in the log the row came from, and when it was published there"},
		{"target_event_id", "string", "`event.retracted`: the event it withdraws"},
		{"date", "hive partition", "UTC date of kafka_timestamp (record-time partitioning, as Kafka Connect's sinks)"},
	} {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r[0], r[1], r[2])
	}
	b.WriteString("\nDirect identifiers accepted at ingest only: `nhs_number` (Modulus 11 checked), `local_id` (scoped by source) → `person`; `date_of_birth` → `age_band` at `occurred_at`.\n")
	for _, fam := range Families {
		fmt.Fprintf(&b, "\n## Family `%s` (topic `evalpipe.%s`, lake `lake/%s/`)\n", fam, fam, fam)
		for _, t := range Types {
			if t.Family != fam {
				continue
			}
			writeType(&b, &t)
		}
	}
	b.WriteString("\n## Corrections (any family; routed by `data.family`, default referrals)\n")
	for _, t := range Types {
		if t.IsCorrection() {
			writeType(&b, &t)
		}
	}
	b.WriteString("\n## Measures\n\n| measure | title | items | item range | total | source |\n|---|---|---|---|---|---|\n")
	for _, m := range Measures {
		total := m.Total
		if total == "" {
			total = "given (not computable from items)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %d | %d-%d | %s | %s |\n", m.Name, m.Title, m.Items, m.ItemMin, m.ItemMax, total, m.Source)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeType(b *strings.Builder, t *TypeSpec) {
	ref := "no"
	if t.NeedsReferral {
		ref = "yes"
	}
	fmt.Fprintf(b, "\n### `%s`\n\n%s Needs `referral_id`: %s.\n\n", t.Name, t.Doc, ref)
	b.WriteString("| field | kind | required | values / range | meaning |\n|---|---|---|---|---|\n")
	for _, f := range t.Fields {
		req := ""
		if f.Required {
			req = "yes"
		}
		vals := ""
		switch {
		case f.Kind == KindEnum && f.Name == "measure":
			vals = "see Measures"
		case f.Kind == KindEnum:
			vals = "`" + strings.Join(f.Values, "` `") + "`"
		case f.Kind == KindInt && f.Max > f.Min:
			vals = fmt.Sprintf("%d-%d", f.Min, f.Max)
		case f.MaxLen > 0:
			vals = fmt.Sprintf("≤ %d characters", f.MaxLen)
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", f.Name, f.Kind, req, vals, f.Doc)
	}
}
