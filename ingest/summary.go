package ingest

import (
	"fmt"
	"sort"
	"strings"
)

// Summary counts what a run did with its input. Every record read is exactly
// one of ingested, dead-lettered or duplicate:
//
//	Read == Ingested + DeadLettered + Duplicates
//
// in total and for each entry of PerFile.
type Summary struct {
	Files        int
	Read         int64            // records: non-blank NDJSON lines, CSV data rows
	Ingested     int64            // produced to a family topic
	DeadLettered int64            // produced to the dead-letter topic
	Duplicates   int64            // skipped: already ingested (checkpoint) or event_id repeated in this run
	ByCode       map[string]int64 // dead letters by events code, e.g. "bad_value"
	ByFamily     map[string]int64 // ingested events by family, e.g. "sessions"
	PerFile      []FileSummary
}

// FileSummary is one input file's share of a Summary.
type FileSummary struct {
	Path                                     string
	Read, Ingested, DeadLettered, Duplicates int64
	// Note says how the file was treated when it was not read afresh, e.g.
	// "resumed after line 5000" or "same content as a.ndjson".
	Note string
}

func (s *Summary) addFile(f FileSummary) {
	s.Files++
	s.PerFile = append(s.PerFile, f)
}

func (s *Summary) add(read, ingested, dead, dups int64, byCode, byFamily map[string]int64) {
	s.Read += read
	s.Ingested += ingested
	s.DeadLettered += dead
	s.Duplicates += dups
	for k, v := range byCode {
		if s.ByCode == nil {
			s.ByCode = map[string]int64{}
		}
		s.ByCode[k] += v
	}
	for k, v := range byFamily {
		if s.ByFamily == nil {
			s.ByFamily = map[string]int64{}
		}
		s.ByFamily[k] += v
	}
}

// String renders the summary as an aligned table: read, ingested by family,
// dead-lettered by reason code, duplicates.
func (s Summary) String() string {
	var b strings.Builder
	row := func(label string, n int64) { fmt.Fprintf(&b, "%-24s %12d\n", label, n) }
	row("files", int64(s.Files))
	row("read", s.Read)
	row("ingested", s.Ingested)
	for _, k := range sortedKeys(s.ByFamily) {
		row("  "+k, s.ByFamily[k])
	}
	row("dead-lettered", s.DeadLettered)
	for _, k := range sortedKeys(s.ByCode) {
		row("  "+k, s.ByCode[k])
	}
	row("duplicates", s.Duplicates)
	return b.String()
}

func sortedKeys(m map[string]int64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
