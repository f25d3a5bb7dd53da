package ingest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkIngest measures events per second from an NDJSON file into an
// in-process broker: read, decode, validate, pseudonymise, produce with
// acks=all, checkpoint; and cpu-ns/event, the process's CPU time (the
// broker's included) per event. Each iteration ingests its own copy of the
// file, written before the timer starts.
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
	// Every iteration's file (distinct event ids, so nothing is a
	// duplicate) and state directory are made before the timer starts:
	// rewriting 5 MB inside the loop, even with the timer stopped, left
	// garbage whose collection landed in the timed part.
	paths := make([]string, b.N)
	cfgs := make([]Config, b.N)
	for i := range paths {
		cfgs[i] = testConfig(b, kc, brokers)
		paths[i] = filepath.Join(dir, fmt.Sprintf("run%d.ndjson", i))
		f, err := os.Create(paths[i])
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		_, err = strings.NewReplacer(`"event_id":"b`, fmt.Sprintf(`"event_id":"i%d-`, i)).WriteString(w, content)
		if err == nil {
			err = w.Flush()
		}
		if err == nil { // nothing left for writeback to flush under Ingest's fsyncs
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	cpu0 := cpuTime()
	b.ResetTimer()
	var events int64
	for i := 0; i < b.N; i++ {
		sum, err := Ingest(context.Background(), cfgs[i], paths[i])
		if err != nil {
			b.Fatal(err)
		}
		if sum.Ingested != n {
			b.Fatalf("ingested %d, want %d: %v", sum.Ingested, n, sum)
		}
		events += sum.Ingested
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	// CPU time per event is steadier than events/s on a shared machine:
	// it does not count the time spent waiting for another's processes.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(events), "cpu-ns/event")
	}
}

// BenchmarkProcessor measures one record's conversion alone (decode,
// validate, pseudonymise, encode; for CSV, split and map first), without
// the file, the broker or the benchmark's own setup that BenchmarkIngest
// also counts.
//
//	go test ./ingest -run '^$' -bench Processor
func BenchmarkProcessor(b *testing.B) {
	m, err := LoadMapping(filepath.Join("mappings", "iaptus-appointments.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	header, _ := splitCSV("AppointmentID,PathwayID,NHSNumber,ServiceCode,AppointmentDateTime,AppointmentType,AttendanceStatus,ClinicianCode,ClinicianRole,Step,DurationMinutes,PeerCoDelivered,ContactMedium")
	csvP := fuzzProcessor(b)
	csvP.mapping = m
	if csvP.cols, err = m.bind(header); err != nil {
		b.Fatal(err)
	}
	csvP.ncols = len(header)
	nhs := nhsNumber(7)
	for _, c := range []struct {
		name string
		p    *processor
		conv func(*processor, record) outcome
		rec  string
	}{
		{"ndjson/referral", fuzzProcessor(b), (*processor).ndjson, referral("b1", nhs, "1980-01-02")},
		{"ndjson/session", fuzzProcessor(b), (*processor).ndjson, session("b2", "p"+nhs[:6])},
		{"csv/appointment", csvP, (*processor).csvRow, "A1,P1," + spaced(nhs) + ",svc,30/03/2024 23:30,Assessment,Attended,C1,PWP,2,45,N,Telephone"},
		// As most rows are, days from a change of the clocks.
		{"csv/appointment-april", csvP, (*processor).csvRow, "A00001301,tt-r000013," + nhs + ",tt-islington,08/04/2024 09:00,Assessment,Attended,C01,PWP,,50,,Telephone"},
	} {
		b.Run(c.name, func(b *testing.B) {
			rec := record{line: 1, data: []byte(c.rec)}
			b.ReportAllocs()
			for b.Loop() {
				if o := c.conv(c.p, rec); o.verdict != ingested {
					b.Fatalf("%s: %s", c.rec, o.msg.Value)
				}
			}
		})
	}
}
