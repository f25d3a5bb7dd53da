package lake

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/parquet-go/parquet-go"
)

func benchRows(n int) []events.OutcomeRow {
	rows := make([]events.OutcomeRow, n)
	t0 := time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)
	s := func(v string) *string { return &v }
	for i := range rows {
		total := float64(i % 27)
		rows[i] = events.OutcomeRow{
			Envelope: events.Envelope{EventID: "iaptus:out-" + string(rune('a'+i%26)), Type: "outcome.recorded", Schema: 1,
				OccurredAt: t0.Add(time.Duration(i) * time.Minute), RecordedAt: t0.Add(time.Duration(i) * time.Minute),
				Source: "iaptus-islington", Service: "tt-islington", Person: s("p_3f9a0c6f1e2d4b5a8c7d"), ReferralID: s("R0001234"),
				KafkaPartition: 1, KafkaOffset: int64(i), KafkaTimestamp: t0},
			Measure: s("phq9"), Timepoint: s("session"), SessionID: s("S000123"), Items: []int32{3, 3, 2, 2, 1, 1, 0, 0, 1}, Total: &total,
		}
	}
	return rows
}

// BenchmarkWrite: lake.Writer (parquet.GenericWriter per family) against
// the untyped, reflective parquet.Writer it replaced, in one run.
//
//	go test ./lake -run '^$' -bench Write
func BenchmarkWrite(b *testing.B) {
	rows := benchRows(50000)
	b.Run("typed", func(b *testing.B) {
		dir := b.TempDir()
		for b.Loop() {
			w, err := Create(dir, events.Outcomes, time.Now(), "t", 0, 0, Options{})
			if err != nil {
				b.Fatal(err)
			}
			for i := range rows {
				if err := w.Write(&rows[i]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Commit(int64(len(rows))); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("reflect", func(b *testing.B) {
		dir := b.TempDir()
		for b.Loop() {
			f, _ := os.Create(filepath.Join(dir, "x.parquet"))
			w := parquet.NewWriter(f, parquet.SchemaOf(new(events.OutcomeRow)), parquet.Compression(&parquet.Snappy))
			for i := range rows {
				if err := w.Write(&rows[i]); err != nil {
					b.Fatal(err)
				}
				if (i+1)%16384 == 0 {
					w.Flush()
				}
			}
			w.Close()
			f.Close()
		}
		b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
