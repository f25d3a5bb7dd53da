package server_test

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	_ "github.com/duckdb/duckdb-go/v2"
)

// canonical renders a value from any of the readers the same way: NULL as
// ∅, instants in UTC RFC 3339, dates as their midnight UTC, numbers as Go
// floats print them. (A CSV cannot tell an empty string from NULL; both
// are ∅.)
func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "∅"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case int64:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case int32:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case string:
		if x == "" {
			return "∅"
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07:00", time.DateOnly} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC().Format(time.RFC3339Nano)
			}
		}
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// table is rows keyed by their first column's value (a unique id), each a
// column → canonical value map.
type table map[string]map[string]string

func (tb table) add(t *testing.T, key string, row map[string]string) {
	if _, dup := tb[key]; dup {
		t.Fatalf("key %s twice", key)
	}
	tb[key] = row
}

// The export command: each format read back with its own reader holds
// what `evalpipe query` returns for the view; the data dictionary lists
// every column; a view outside the evaluators' set is refused with a clear
// error; exports, and refusals, are in the audit log.
func testExport(t *testing.T, data string) {
	const view, key = "referrals", "referral_id"
	// What `evalpipe query` says.
	want := table{}
	var cols []string
	sc := bufio.NewScanner(strings.NewReader(runBin(t, data, "query", "--format", "json", "SELECT * FROM "+view)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for c, v := range obj {
			row[c] = canonical(v)
		}
		want.add(t, row[key], row)
		if cols == nil {
			for c := range obj {
				cols = append(cols, c)
			}
			slices.Sort(cols)
		}
	}
	if len(want) < 1000 {
		t.Fatalf("evalpipe query: %d rows of %s, want the lake's", len(want), view)
	}
	out := t.TempDir()
	for _, format := range []string{"parquet", "csv", "arrow"} {
		t.Run(format, func(t *testing.T) {
			file := filepath.Join(out, format, view+"."+format)
			runBin(t, data, "export", "--view", view, "--format", format, "--out", file)
			var got table
			switch format {
			case "parquet":
				got = readParquet(t, file)
			case "csv":
				got = readCSV(t, file)
			case "arrow":
				got = readArrow(t, file)
			}
			compareTables(t, got, want, cols)

			dict, err := os.ReadFile(filepath.Join(out, format, view+".dictionary.md"))
			if err != nil {
				t.Fatalf("data dictionary: %v", err)
			}
			for _, c := range cols {
				if !strings.Contains(string(dict), "| `"+c+"` |") {
					t.Errorf("data dictionary lacks column %s:\n%s", c, dict)
				}
			}
		})
	}

	// Outside the evaluators' views: refused, saying what is allowed.
	for _, bad := range []string{"events", "lake_events", "dead_letters", "lake/referral/x.parquet", "referrals; DROP VIEW referrals"} {
		cmd := exec.Command(evalpipeBin(t), "--data", data, "export", "--view", bad, "--format", "csv", "--out", filepath.Join(out, "bad.csv"))
		cmd.Env = append(os.Environ(), "EVALPIPE_PSEUDONYM_KEY="+binKey)
		msg, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("export --view %q: %v, want exit status 2\n%s", bad, err, msg)
		}
		if !strings.Contains(string(msg), "not exportable") || !strings.Contains(string(msg), "feedback_consented") {
			t.Errorf("export --view %q said %q; want a clear refusal naming the views allowed", bad, msg)
		}
	}
	if fileExists(filepath.Join(out, "bad.csv")) {
		t.Error("a refused export wrote its file")
	}

	// Audited: who, what, how many rows; and the refusals.
	b, err := os.ReadFile(filepath.Join(data, "server", "audit.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	var exports, refusals int
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e struct {
			Who, Method, Route, SQL string
			Rows                    int64
			Status                  int
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Method != "EXPORT" {
			continue
		}
		if !strings.HasPrefix(e.Who, "cli") {
			t.Errorf("audit: export by %q, want the local user", e.Who)
		}
		switch e.Status {
		case 200:
			exports++
			if e.SQL != "SELECT * FROM "+view || e.Rows != int64(len(want)) {
				t.Errorf("audit: %+v, want the SQL and %d rows", e, len(want))
			}
		default:
			refusals++
		}
	}
	if exports != 3 || refusals != 5 {
		t.Errorf("audit: %d exports and %d refusals, want 3 and 5:\n%s", exports, refusals, b)
	}

	// The config's evaluation settings reach the export: before, export
	// opened the warehouse without them, so an exported episodes table
	// took GAD-7 where the reports took the configured ADSM.
	config := filepath.Join(out, "evalpipe.yaml")
	if err := os.WriteFile(config, []byte("evaluation:\n  thresholds:\n    - {measure: spin, caseness: 19, reliable_change: 10, source: export test}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(out, "thresholds", "measure_thresholds.csv")
	runBin(t, data, "--config", config, "export", "--view", "measure_thresholds", "--format", "csv", "--out", file)
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "\nspin,19.0,10.0,export test\n") {
		t.Errorf("exported measure_thresholds lacks the configured SPIN row:\n%s", got)
	}
}

func compareTables(t *testing.T, got, want table, cols []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d", len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("row %s missing", k)
			bad++
		}
		for _, c := range cols {
			if ok && g[c] != w[c] {
				t.Errorf("row %s column %s: %q, want %q", k, c, g[c], w[c])
				bad++
			}
		}
		if bad > 5 {
			t.FailNow()
		}
	}
}

func readParquet(t *testing.T, file string) table {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT * FROM read_parquet($1)", file)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	got := table{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = canonical(vals[i])
		}
		got.add(t, row[cols[0]], row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func readCSV(t *testing.T, file string) table {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("csv: %v", err)
	}
	got := table{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, c := range recs[0] {
			row[c] = canonical(rec[i])
		}
		got.add(t, row[recs[0][0]], row)
	}
	return got
}

func readArrow(t *testing.T, file string) table {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := ipc.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	got := table{}
	for rd.Next() {
		rec := rd.Record()
		for i := 0; i < int(rec.NumRows()); i++ {
			row := map[string]string{}
			for j, fld := range rec.Schema().Fields() {
				row[fld.Name] = canonical(arrowValue(rec.Column(j), i))
			}
			got.add(t, row[rec.Schema().Field(0).Name], row)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func arrowValue(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i).ToTime()
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit)
	}
	return col.ValueStr(i)
}
