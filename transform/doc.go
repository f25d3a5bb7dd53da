// Package transform is the second stage of the pipeline: a Kafka consumer
// group (segmentio/kafka-go) that writes every partition's canonical events
// to typed, hive-partitioned Parquet files in the lake, exactly once.
//
// Data flow, per assigned partition: message value → events.Decode (no
// pseudonymiser, so a direct identifier is rejected) → Event.Row → the
// partition's one open lake.Writer. A message that does not decode is sent,
// with identifiers stripped, to the dead-letter topic (synchronously, before
// its offset can be committed); the dead-letter topic's own messages become
// rows of lake/deadletter. A file is committed when it reaches MaxFileRows,
// when the next record's Kafka timestamp falls on another UTC date, when the
// partition has been idle for IdleFlush, when the partition has caught up
// (UntilCaughtUp) or on a graceful stop; then, and only then, its offsets are
// committed to the group.
//
// Exactly once: each lake file holds a contiguous run of one partition's
// offsets and says so in its name (the start offset) and metadata (the end
// offset), and appears atomically (temp file, fsync, rename, fsync dir). A
// worker resumes at max(the group's committed offset, the lake's next
// offset), so the lake alone is enough: a crash before the rename loses only
// a temporary file (removed when the partition is next assigned) and the
// rows are read again; a crash after the rename but before the offset commit
// is covered by the lake's own record. Rotation depends only on the records
// (count, record date), never on the clock, so a replay writes the same files
// with the same names. See README.md for the argument in full and its quirks.
package transform
