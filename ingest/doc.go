// Package ingest brings source files into Kafka: NDJSON event files and CSV
// exports (mapped to events by a YAML mapping file), each record validated
// against the event contract, pseudonymised, and published to its family's
// topic, or with its reason to the dead-letter topic. Nothing is dropped:
// every record read is counted as ingested, dead-lettered or duplicate.
//
// How a line flows:
//
//  1. Ingest expands its paths into files (folders recursively, sorted) and,
//     before producing anything, resolves each CSV's mapping (X.mapping.yaml
//     beside X.csv, else Config.Mapping) and checks it against the header.
//  2. A checkpoint (Config.StateDir) says how many bytes of the file Kafka has
//     acknowledged, with the SHA-256 of those bytes; if the file still starts
//     with them, their records are counted as duplicates and skipped. A file
//     whose whole content was ingested before, under any name, is skipped
//     entirely: hashed once, and counted from the content index.
//  3. A record reader splits the file into records (NDJSON lines; CSV rows,
//     which may span lines inside quotes), hashing every byte it consumes.
//  4. A CSV row becomes an event JSON object through its Mapping: columns by
//     header name, values translated, numbers and booleans typed, local
//     date-times given their zone's offset (GMT or BST).
//  5. events.Decode validates the object and replaces nhs_number/local_id by
//     a keyed pseudonym and date_of_birth by an age band. A valid event is
//     keyed by its pseudonym (so one person's events share a partition) and
//     published as canonical JSON; an event_id already seen in the run (within
//     the last 4 million or more: see idSet) is a duplicate. An invalid one becomes an events.DeadLetterMessage whose raw
//     text has its direct identifiers removed.
//  6. Records are produced in batches (acks=all); only once Kafka has
//     acknowledged a batch is the checkpoint moved past it, durably. A run
//     killed at any point resumes after its last acknowledged batch:
//     at-least-once into Kafka, and the warehouse de-duplicates by event_id.
//
// Reading, converting and producing overlap (see run.read): one goroutine
// cuts the file into chunks of records, a worker per core converts them
// (decode, validate, pseudonymise, encode), and an assembler takes them
// back in file order, drops event ids already seen in the run and seals
// batches at chunk ends, while the caller's goroutine produces the previous
// batch. A file with no checkpoint, of a length some ingested content has,
// is hashed (for the same-content check) while its first batches are
// converted, and nothing is produced until the hash has been checked; of
// any other length it cannot be ingested content, and the reader's hash is
// the only one (StateDir/sizes holds the lengths).
package ingest
