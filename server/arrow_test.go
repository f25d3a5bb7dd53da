package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// The Arrow IPC stream of /api/query, read back with arrow-go, holds what
// DuckDB returns for the same SQL (here through the JSON format, which
// carries DuckDB's values as scanned).
func testArrow(t *testing.T, url, evaluator, admin string) {
	sql := `SELECT referral_id, person, received_date, received_at, complexity,
	               length(referral_id)::INTEGER AS n32, length(referral_id) * 1.5 AS f, referral_id LIKE 'push%' AS is_push,
	               CAST(NULL AS BIGINT) AS nothing
	        FROM referrals ORDER BY referral_id`
	req, _ := http.NewRequest("POST", url+"/api/query", strings.NewReader(sql))
	req.Header.Set("Authorization", "Bearer "+evaluator)
	req.Header.Set("Accept", "application/vnd.apache.arrow.stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.apache.arrow.stream" {
		t.Fatalf("arrow: status %d, type %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var stream bytes.Buffer
	stream.ReadFrom(resp.Body)
	rd, err := ipc.NewReader(&stream)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	var got [][]string
	for rd.Next() {
		rec := rd.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]string, rec.NumCols())
			for j := range row {
				row[j] = arrowCell(rec.Column(j), i)
			}
			got = append(got, row)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	wantTypes := []arrow.Type{arrow.STRING, arrow.STRING, arrow.DATE32, arrow.TIMESTAMP, arrow.STRING, arrow.INT32, arrow.FLOAT64, arrow.BOOL, arrow.INT64}
	for i, f := range rd.Schema().Fields() {
		if f.Type.ID() != wantTypes[i] {
			t.Errorf("column %s: Arrow type %s, want %s", f.Name, f.Type, wantTypes[i])
		}
	}

	// DuckDB's own answer to the same SQL.
	code, body := call(t, "POST", url+"/api/query", evaluator, "application/json", sql)
	if code != 200 {
		t.Fatalf("json: %d %s", code, body)
	}
	var res struct {
		Types []string `json:"types"`
		Rows  [][]any  `json:"rows"`
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(res.Rows) || len(got) != 30 {
		t.Fatalf("arrow rows %d, DuckDB rows %d, want 30", len(got), len(res.Rows))
	}
	for i, row := range res.Rows {
		for j, v := range row {
			want := "NULL"
			if v != nil {
				want = fmt.Sprint(v)
			}
			if res.Types[j] == "TIMESTAMP WITH TIME ZONE" && v != nil {
				ts, _ := time.Parse(time.RFC3339Nano, want)
				want = ts.UTC().Format(time.RFC3339Nano)
			}
			if got[i][j] != want {
				t.Errorf("row %d column %d: arrow %q, DuckDB %q", i, j, got[i][j], want)
			}
		}
	}
}

func arrowCell(col arrow.Array, i int) string {
	if col.IsNull(i) {
		return "NULL"
	}
	switch c := col.(type) {
	case *array.String:
		return c.Value(i)
	case *array.Int32:
		return fmt.Sprint(c.Value(i))
	case *array.Int64:
		return fmt.Sprint(c.Value(i))
	case *array.Float64:
		return fmt.Sprint(c.Value(i))
	case *array.Boolean:
		return fmt.Sprint(c.Value(i))
	case *array.Date32:
		return c.Value(i).ToTime().Format(time.DateOnly)
	case *array.Timestamp:
		return time.UnixMicro(int64(c.Value(i))).UTC().Format(time.RFC3339Nano)
	}
	return col.ValueStr(i)
}
