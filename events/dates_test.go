package events

import (
	"database/sql"
	"os"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"
)

// Dates are written as Parquet DATEs that other readers (DuckDB here) read
// back as the same calendar dates.
func TestDatesReadBackInDuckDB(t *testing.T) {
	ev, err := Decode([]byte(`{"event_id":"c1","type":"cost.recorded","occurred_at":"2024-01-05T00:00:00Z","source":"f","service":"s","data":{"programme":"crisis","period_start":"2024-01-01","period_end":"2024-03-31","amount_gbp":100,"category":"staff"}}`), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := ev.Row(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/cost.parquet"
	f, _ := os.Create(path)
	w := parquet.NewWriter(f, parquet.SchemaOf(new(ProgrammeRow)))
	w.Write(row)
	w.Close()
	f.Close()
	db, _ := sql.Open("duckdb", "")
	var s string
	if err := db.QueryRow("select period_start::varchar || ' ' || period_end::varchar from '" + path + "'").Scan(&s); err != nil {
		t.Fatal(err)
	}
	if s != "2024-01-01 2024-03-31" {
		t.Errorf("DuckDB reads the cost period as %q, want 2024-01-01 2024-03-31", s)
	}
}
