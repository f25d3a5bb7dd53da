package server

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// TestExportArrowStreamsPastTheQueryCap: ExportArrow writes a result
// larger than /api/query's maxRows, in record batches of arrowBatchRows,
// every row once and in order.
func TestExportArrowStreamsPastTheQueryCap(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = maxRows + 100_000
	var buf bytes.Buffer
	got, err := ExportArrow(context.Background(), db, fmt.Sprintf("SELECT range AS i, 'r' || range AS s FROM range(%d) ORDER BY i", n), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("ExportArrow wrote %d rows, want %d", got, n)
	}
	rd, err := ipc.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	var rows, batches int64
	for rd.Next() {
		rec := rd.RecordBatch()
		is, ss := rec.Column(0).(*array.Int64), rec.Column(1).(*array.String)
		for k := 0; k < int(rec.NumRows()); k++ {
			if is.Value(k) != rows || ss.Value(k) != "r"+strconv.FormatInt(rows, 10) {
				t.Fatalf("row %d = (%d, %q)", rows, is.Value(k), ss.Value(k))
			}
			rows++
		}
		batches++
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if want := int64((n + arrowBatchRows - 1) / arrowBatchRows); rows != n || batches != want {
		t.Errorf("read %d rows in %d batches, want %d in %d", rows, batches, n, want)
	}
}
