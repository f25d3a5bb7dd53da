package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkIngest measures events per second from an NDJSON file into an
// in-process broker: read, decode, validate, pseudonymise, produce with
// acks=all, checkpoint. Each iteration ingests a fresh copy of the file.
func BenchmarkIngest(b *testing.B) {
	const n = 20000
	kc, brokers := startBroker(b)
	dir := b.TempDir()
	var sb strings.Builder
	for i := 0; i < n; i++ {
		nhs := nhsNumber(i)
		if i%2 == 0 {
			sb.WriteString(referral(fmt.Sprint("b", i), nhs, "1980-01-02"))
		} else {
			sb.WriteString(session(fmt.Sprint("b", i), "p"+nhs[:6]))
		}
		sb.WriteByte('\n')
	}
	content := sb.String()
	b.SetBytes(int64(len(content)))
	b.ResetTimer()
	var events int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := testConfig(b, kc, brokers)
		// Distinct event ids per iteration, so nothing is a duplicate.
		path := filepath.Join(dir, fmt.Sprintf("run%d.ndjson", i))
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(content, `"event_id":"b`, fmt.Sprintf(`"event_id":"i%d-`, i))), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := Ingest(context.Background(), cfg, path)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Ingested != n {
			b.Fatalf("ingested %d, want %d: %v", sum.Ingested, n, sum)
		}
		events += sum.Ingested
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
