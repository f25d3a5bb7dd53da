package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalpipe/evalpipe/events"
)

func referral(id, nhs, dob string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"referral.received","occurred_at":"2024-05-01T09:30:00+01:00","source":"test","service":"svc","nhs_number":%q,"date_of_birth":%q,"referral_id":"r-%s","data":{"programme":"talking_therapies","referral_source":"gp"}}`, id, nhs, dob, id)
}

func session(id, person string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"session.recorded","occurred_at":"2024-05-02T10:00:00Z","source":"test","service":"svc","person":%q,"referral_id":"r1","data":{"session_id":%q,"kind":"assessment","attendance":"attended","worker_id":"w1","worker_role":"pwp"}}`, id, person, id)
}

func TestNDJSONGoodAndBad(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	nhs1, nhs2, nhs3, nhs4 := nhsNumber(1), nhsNumber(2), nhsNumber(3), nhsNumber(4)
	badCheck := nhs4[:9] + fmt.Sprint((int(nhs4[9]-'0')+1)%10)
	lines := []string{
		referral("e1", spaced(nhs1), "1990-02-03"), // 1 good, NHS number with spaces
		"",                       // 2 blank: not counted
		session("e2", "p-known"), // 3 good, no direct identifier
		`{"event_id":"e3","type":"referral.received", nhs ` + nhs2 + ` born 1985-07-09`,                                      // 4 not JSON
		referral("e4", badCheck, "1971-11-12"),                                                                               // 5 bad check digit
		`{"event_id":"e5","type":"no.such","nhs_number":"` + nhs3 + `","date_of_birth":"1962-01-30","local_id":"LOCAL-777"}`, // 6 unknown type
		session("e2", "p-known") + "\r",                                                                                      // 7 repeat of e2 (CRLF): duplicate
		"   ",                                                                                                                // 8 blank
		referral("e6", nhs4, "2001-09-10"),                                                                                   // 9 good
	}
	path := writeFile(t, filepath.Join(t.TempDir(), "in", "a.ndjson"), strings.Join(lines, "\n")+"\n")

	sum, err := Ingest(context.Background(), cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, sum)
	if sum.Read != 7 || sum.Ingested != 3 || sum.DeadLettered != 3 || sum.Duplicates != 1 {
		t.Errorf("got read/ingested/dead/dups %d/%d/%d/%d, want 7/3/3/1", sum.Read, sum.Ingested, sum.DeadLettered, sum.Duplicates)
	}
	wantCodes := map[string]int64{events.CodeInvalidJSON: 1, events.CodeBadNHSNumber: 1, events.CodeUnknownType: 1}
	for k, v := range wantCodes {
		if sum.ByCode[k] != v {
			t.Errorf("ByCode[%s] = %d, want %d (all: %v)", k, sum.ByCode[k], v, sum.ByCode)
		}
	}
	if sum.ByFamily["referrals"] != 2 || sum.ByFamily["sessions"] != 1 {
		t.Errorf("ByFamily = %v, want referrals 2, sessions 1", sum.ByFamily)
	}

	all := readAll(t, kc, brokers)
	refs := all[kc.Topic(events.Referrals)]
	if len(refs) != 2 {
		t.Fatalf("got %d referral messages, want 2", len(refs))
	}
	wantKeys := map[string]bool{cfg.Pseudonymiser.Person("nhs", nhs1): true, cfg.Pseudonymiser.Person("nhs", nhs4): true}
	for _, m := range refs {
		if !wantKeys[string(m.Key)] {
			t.Errorf("referral key %s is not the pseudonym of an input NHS number", m.Key)
		}
		ev, err := events.Decode(m.Value, events.DecodeOptions{}) // as transform will: no identifiers allowed
		if err != nil {
			t.Errorf("produced event does not decode without a pseudonymiser: %v", err)
		}
		if string(m.Key) != ev.Person {
			t.Errorf("key %s, person %s: want equal", m.Key, ev.Person)
		}
	}
	if s := all[kc.Topic(events.Sessions)]; len(s) != 1 || string(s[0].Key) != "p-known" {
		t.Errorf("sessions: got %d messages (want 1 keyed p-known)", len(s))
	}
	dls := deadLetters(t, all[kc.Topic(events.DeadLetter)])
	if len(dls) != 3 {
		t.Fatalf("got %d dead letters, want 3", len(dls))
	}
	byLine := map[int64]events.DeadLetterMessage{}
	for _, dl := range dls {
		byLine[dl.Line] = dl
		if dl.Origin != path || dl.Reason == "" || dl.Raw == "" {
			t.Errorf("dead letter %+v: want origin %s, a reason and raw text", dl, path)
		}
	}
	for line, code := range map[int64]string{4: events.CodeInvalidJSON, 5: events.CodeBadNHSNumber, 6: events.CodeUnknownType} {
		if byLine[line].Code != code {
			t.Errorf("line %d: code %q, want %q", line, byLine[line].Code, code)
		}
	}
	if dl := byLine[6]; dl.EventID != "e5" || dl.Type != "no.such" {
		t.Errorf("line 6: event_id %q type %q, want e5 no.such", dl.EventID, dl.Type)
	}
	assertNoIdentifiers(t, all, nhs1, spaced(nhs1), nhs2, nhs3, nhs4, badCheck, "1990-02-03", "1985-07-09", "1971-11-12", "1962-01-30", "2001-09-10", "LOCAL-777")
}

func TestLongLines(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	big := strings.Repeat("x", 900<<10)
	long := strings.Replace(session("big", "p1"), `"worker_role":"pwp"`, `"worker_role":"pwp","note":"`+big+`"`, 1)
	tooLong := strings.Replace(session("huge", "p1"), `"worker_role":"pwp"`, `"worker_role":"pwp","note":"`+big+big+`"`, 1)
	path := writeFile(t, filepath.Join(t.TempDir(), "long.jsonl"), long+"\r\n"+tooLong+"\r\n"+session("after", "p1"))
	sum, err := Ingest(context.Background(), cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, sum)
	if sum.Ingested != 2 || sum.DeadLettered != 1 || sum.ByCode[events.CodeOutOfRange] != 1 {
		t.Errorf("got %+v, want 2 ingested and 1 out_of_range dead letter", sum)
	}
	dls := deadLetters(t, readTopic(t, brokers, kc.Topic(events.DeadLetter)))
	if len(dls) != 1 || dls[0].Line != 2 || len(dls[0].Raw) > maxRawBytes+32 {
		t.Errorf("dead letter for the too-long line 2: got %d, line %d, raw %d bytes", len(dls), dls[0].Line, len(dls[0].Raw))
	}
}

func TestSameFileTwiceAndRenamed(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 25; i++ {
		fmt.Fprintln(&b, session(fmt.Sprint("s", i), "p1"))
	}
	fmt.Fprintln(&b, "not json")
	path := writeFile(t, filepath.Join(dir, "a.ndjson"), b.String())
	cfg.BatchSize = 7

	first, err := Ingest(context.Background(), cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, first)
	if first.Ingested != 25 || first.DeadLettered != 1 {
		t.Fatalf("first run: %+v", first)
	}
	var progress []int64
	cfg.Progress = func(p Progress) { progress = append(progress, p.Line) }
	second, err := Ingest(context.Background(), cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Progress = nil
	checkInvariant(t, second)
	if second.Read != 26 || second.Ingested != 0 || second.DeadLettered != 0 || second.Duplicates != 26 {
		t.Errorf("second run: got read/ingested/dead/dups %d/%d/%d/%d, want 26/0/0/26", second.Read, second.Ingested, second.DeadLettered, second.Duplicates)
	}
	// Counted from the content index, not read again record by record:
	// one progress report, for the whole file (TestResumeAfterKill holds
	// the skipping of a resumed prefix to BatchSize records a batch).
	if len(progress) != 1 || progress[0] != 26 {
		t.Errorf("second run: progress at lines %v, want one report, at line 26", progress)
	}
	// The same export under another name adds nothing either.
	copyPath := writeFile(t, filepath.Join(dir, "sub", "copy.ndjson"), b.String())
	third, err := Ingest(context.Background(), cfg, copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if third.Ingested != 0 || third.Duplicates != 26 || !strings.Contains(third.PerFile[0].Note, "same content") {
		t.Errorf("renamed copy: got %+v", third)
	}
	if n := len(readTopic(t, brokers, kc.Topic(events.Sessions))); n != 25 {
		t.Errorf("sessions topic holds %d messages after three runs, want 25", n)
	}
}

func TestAppendedFile(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	path := filepath.Join(t.TempDir(), "grow.ndjson")
	writeFile(t, path, session("a1", "p1")+"\n"+session("a2", "p2")+"\n"+session("a3", "p3")) // no final newline
	if _, err := Ingest(context.Background(), cfg, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, "\n"+session("a4", "p4")+"\n"+session("a5", "p5")+"\n")
	f.Close()
	sum, err := Ingest(context.Background(), cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, sum)
	if sum.Read != 5 || sum.Ingested != 2 || sum.Duplicates != 3 {
		t.Errorf("after append: got read/ingested/dups %d/%d/%d, want 5/2/3", sum.Read, sum.Ingested, sum.Duplicates)
	}
	if !strings.Contains(sum.PerFile[0].Note, "resumed after line 3") {
		t.Errorf("note %q, want resumed after line 3", sum.PerFile[0].Note)
	}
	if n := len(readTopic(t, brokers, kc.Topic(events.Sessions))); n != 5 {
		t.Errorf("sessions topic holds %d messages, want 5", n)
	}
	checkCompleteCheckpoint(t, cfg, path)
}

// TestResumeAfterKill stops a run after its first acknowledged batch, as a
// crash would, and checks that the next run produces exactly the rest.
func TestResumeAfterKill(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	var b strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintln(&b, session(fmt.Sprint("k", i), fmt.Sprint("p", i%7)))
	}
	path := writeFile(t, filepath.Join(t.TempDir(), "k.ndjson"), b.String())
	cfg.BatchSize = 30
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Progress = func(Progress) { cancel() }
	sum, err := Ingest(ctx, cfg, path)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: err %v, want context.Canceled", err)
	}
	if sum.Ingested != 30 {
		t.Fatalf("killed run acknowledged %d, want one batch of 30", sum.Ingested)
	}
	var progress []int64
	cfg.Progress = func(p Progress) { progress = append(progress, p.Line) }
	sum, err = Ingest(context.Background(), cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Progress = nil
	// The acknowledged prefix is skipped in batches of BatchSize records
	// too: counted apart from the records after it, it went into one
	// batch with them, which for a file already ingested held the whole
	// file until its end (8.7 GB resident re-ingesting a national year).
	if len(progress) == 0 || progress[0] != 30 {
		t.Errorf("resumed run: progress at lines %v, want the skipped 30 first", progress)
	}
	checkInvariant(t, sum)
	if sum.Ingested != 70 || sum.Duplicates != 30 {
		t.Errorf("resumed run: ingested %d duplicates %d, want 70 and 30", sum.Ingested, sum.Duplicates)
	}
	msgs := readTopic(t, brokers, kc.Topic(events.Sessions))
	ids := map[string]int{}
	for _, m := range msgs {
		var ev struct {
			EventID string `json:"event_id"`
		}
		json.Unmarshal(m.Value, &ev)
		ids[ev.EventID]++
	}
	if len(msgs) != 100 || len(ids) != 100 {
		t.Errorf("topic holds %d messages with %d distinct ids, want 100 and 100", len(msgs), len(ids))
	}
	checkCompleteCheckpoint(t, cfg, path)
}

func TestBadInputs(t *testing.T) {
	kc, brokers := startBroker(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	junk := filepath.Join(dir, "junk")
	writeFile(t, filepath.Join(junk, "notes.txt"), "hello")
	writeFile(t, filepath.Join(junk, "x.mapping.yaml"), "type: session.recorded")
	orphan := writeFile(t, filepath.Join(dir, "orphan", "export.csv"), "A,B\n1,2\n")
	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"no input", nil, []string{"no input"}},
		{"missing file", []string{filepath.Join(dir, "nope.ndjson")}, []string{"nope.ndjson", "no such file or folder"}},
		{"empty folder", []string{empty}, []string{empty, "holds no .ndjson, .jsonl or .csv"}},
		{"only unknown files", []string{junk}, []string{junk, "holds no"}},
		{"csv without mapping", []string{orphan}, []string{orphan, "export.mapping.yaml", "--mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, kc, brokers)
			_, err := Ingest(context.Background(), cfg, tt.paths...)
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	t.Run("config", func(t *testing.T) {
		for _, c := range []struct {
			mutate func(*Config)
			want   string
		}{
			{func(c *Config) { c.Kafka = nil }, "Kafka is required"},
			{func(c *Config) { c.Brokers = nil }, "Brokers"},
			{func(c *Config) { c.Pseudonymiser = nil }, "Pseudonymiser"},
			{func(c *Config) { c.StateDir = "" }, "StateDir"},
			{func(c *Config) { c.BatchSize = -1 }, "BatchSize"},
		} {
			cfg := testConfig(t, kc, brokers)
			c.mutate(&cfg)
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v, want an error mentioning %s", err, c.want)
			}
		}
	})
	t.Run("missing topics", func(t *testing.T) {
		other := *kc
		other.TopicPrefix = "elsewhere"
		cfg := testConfig(t, &other, brokers)
		_, err := Ingest(context.Background(), cfg, writeFile(t, filepath.Join(t.TempDir(), "a.ndjson"), session("x", "p")+"\n"))
		if err == nil || !strings.Contains(err.Error(), "elsewhere.sessions") {
			t.Errorf("got %v, want an error naming the missing topics", err)
		}
	})
}

func TestSummaryString(t *testing.T) {
	s := Summary{Files: 2, Read: 10, Ingested: 7, DeadLettered: 2, Duplicates: 1,
		ByCode: map[string]int64{"bad_value": 2}, ByFamily: map[string]int64{"sessions": 7}}
	got := s.String()
	for _, want := range []string{"read", "ingested", "  sessions", "dead-lettered", "  bad_value", "duplicates"} {
		if !strings.Contains(got, want) {
			t.Errorf("String() lacks %q:\n%s", want, got)
		}
	}
}

// checkCompleteCheckpoint checks that a resumed run, whose reader hashed on
// from the state after the skipped prefix, left the checkpoint a run
// reading the whole file would: the file's SHA-256 as prefix and content,
// so that a further run finds it already ingested.
func checkCompleteCheckpoint(t *testing.T, cfg Config, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	want := hex.EncodeToString(sum[:])
	abs, _ := filepath.Abs(path)
	st, err := openStore(cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := st.load(abs)
	if err != nil || cp == nil {
		t.Fatalf("checkpoint of %s: %v, %v", path, cp, err)
	}
	if !cp.Complete || cp.Offset != int64(len(b)) || cp.PrefixSHA256 != want || cp.ContentSHA256 != want {
		t.Errorf("checkpoint %+v; want complete at %d with prefix and content %s", cp, len(b), want)
	}
	again, err := Ingest(context.Background(), cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Ingested != 0 || again.PerFile[0].Note != "already ingested" {
		t.Errorf("a further run: ingested %d, note %q; want 0, already ingested", again.Ingested, again.PerFile[0].Note)
	}
}

// TestHashedOnce: a new file whose length no ingested content has is not
// hashed whole before it is read (the reader's hash is indexed at its
// end); a file of a length that some indexed content has is, so that a
// renamed copy is still recognised and a same-length different file is
// still ingested; and a store whose content index predates sizes/ hashes
// every new file.
func TestHashedOnce(t *testing.T) {
	var hashed []string
	hashWholeFile = func(path string, at int64) (string, string, []byte, error) {
		hashed = append(hashed, filepath.Base(path))
		return hashFile(path, at)
	}
	t.Cleanup(func() { hashWholeFile = hashFile })
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	dir := t.TempDir()
	lines := func(prefix string) string {
		var b strings.Builder
		for i := range 20 {
			fmt.Fprintln(&b, session(fmt.Sprintf("%s%02d", prefix, i), "p1"))
		}
		return b.String()
	}
	ingest := func(name, content string) FileSummary {
		t.Helper()
		hashed = nil
		sum, err := Ingest(context.Background(), cfg, writeFile(t, filepath.Join(dir, name), content))
		if err != nil {
			t.Fatal(err)
		}
		checkInvariant(t, sum)
		return sum.PerFile[0]
	}
	a := lines("a")
	if fs := ingest("a.ndjson", a); fs.Ingested != 20 || len(hashed) != 0 {
		t.Fatalf("new file: ingested %d, hashed whole %v; want 20, not hashed", fs.Ingested, hashed)
	}
	whole := sha256.Sum256([]byte(a))
	st := &store{dir: cfg.StateDir}
	e, err := st.content(hex.EncodeToString(whole[:]))
	if err != nil || e == nil || e.Bytes != int64(len(a)) || e.Records != 20 {
		t.Fatalf("content entry of a: %+v, %v; want its SHA-256 indexed with %d bytes, 20 records", e, err, len(a))
	}
	if fs := ingest("b.ndjson", lines("b")); fs.Ingested != 20 || len(hashed) != 1 {
		t.Errorf("same length, other content: ingested %d, hashed whole %v; want 20, hashed once", fs.Ingested, hashed)
	}
	if fs := ingest("a-copy.ndjson", a); fs.Ingested != 0 || fs.Duplicates != 20 || !strings.Contains(fs.Note, "same content as") || len(hashed) != 1 {
		t.Errorf("renamed copy: %+v, hashed whole %v; want nothing ingested, same content, hashed once", fs, hashed)
	}
	if fs := ingest("c.ndjson", lines("c")+"\n"); fs.Ingested != 20 || len(hashed) != 0 {
		t.Errorf("a new length: ingested %d, hashed whole %v; want 20, not hashed", fs.Ingested, hashed)
	}

	// A store from before sizes/: its entries' lengths are unknown.
	if err := os.RemoveAll(filepath.Join(cfg.StateDir, "sizes")); err != nil {
		t.Fatal(err)
	}
	if fs := ingest("a-again.ndjson", a); fs.Ingested != 0 || !strings.Contains(fs.Note, "same content as") || len(hashed) != 1 {
		t.Errorf("renamed copy, old store: %+v, hashed whole %v; want same content, hashed once", fs, hashed)
	}
	if _, err := os.Stat(filepath.Join(cfg.StateDir, "sizes", "unknown")); err != nil {
		t.Errorf("an old store's sizes/ has no unknown marker: %v", err)
	}
	if fs := ingest("d.ndjson", lines("d")+"\n\n"); fs.Ingested != 20 || len(hashed) != 1 {
		t.Errorf("a new length, old store: ingested %d, hashed whole %v; want 20, hashed once", fs.Ingested, hashed)
	}
}

// TestMaxBatchRecords: every acknowledged batch holds at most
// MaxBatchRecords records, and batches do go past BatchSize (sealed at a
// chunk end), so the fault tests' bound on what a crash re-sends is the
// right one, not BatchSize.
func TestMaxBatchRecords(t *testing.T) {
	kc, brokers := startBroker(t)
	cfg := testConfig(t, kc, brokers)
	cfg.BatchSize = 700 // chunks of 512: sealed at 1,024 records
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintln(&b, session(fmt.Sprint("m", i), fmt.Sprint("p", i%9)))
	}
	path := writeFile(t, filepath.Join(t.TempDir(), "m.ndjson"), b.String())
	var last, largest int64
	cfg.Progress = func(p Progress) {
		largest = max(largest, p.Line-last)
		last = p.Line
	}
	if _, err := Ingest(context.Background(), cfg, path); err != nil {
		t.Fatal(err)
	}
	if most := int64(MaxBatchRecords(cfg.BatchSize)); largest > most || largest <= int64(cfg.BatchSize) {
		t.Errorf("largest batch %d records; want more than BatchSize %d and at most MaxBatchRecords %d", largest, cfg.BatchSize, most)
	}
}
