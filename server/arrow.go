package server

import (
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// arrowBatchRows is the number of rows per record batch of the stream.
const arrowBatchRows = 64 << 10

// arrowType maps a DuckDB column type to the Arrow type written: the
// integer, float, boolean, date and timestamp types to their Arrow
// equivalents (timestamps in microseconds, UTC), DECIMAL and HUGEINT to
// float64, everything else (VARCHAR, lists, structs, intervals) to
// strings, nested values as JSON.
func arrowType(duck string) arrow.DataType {
	switch {
	case duck == "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean
	case duck == "TINYINT":
		return arrow.PrimitiveTypes.Int8
	case duck == "SMALLINT":
		return arrow.PrimitiveTypes.Int16
	case duck == "INTEGER":
		return arrow.PrimitiveTypes.Int32
	case duck == "BIGINT":
		return arrow.PrimitiveTypes.Int64
	case duck == "UTINYINT":
		return arrow.PrimitiveTypes.Uint8
	case duck == "USMALLINT":
		return arrow.PrimitiveTypes.Uint16
	case duck == "UINTEGER":
		return arrow.PrimitiveTypes.Uint32
	case duck == "UBIGINT":
		return arrow.PrimitiveTypes.Uint64
	case duck == "FLOAT":
		return arrow.PrimitiveTypes.Float32
	case duck == "DOUBLE", duck == "HUGEINT", duck == "UHUGEINT", strings.HasPrefix(duck, "DECIMAL"):
		return arrow.PrimitiveTypes.Float64
	case duck == "DATE":
		return arrow.FixedWidthTypes.Date32
	case strings.HasPrefix(duck, "TIMESTAMP"):
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

// arrowSchema is the stream's schema, from the DuckDB column types.
func arrowSchema(cols, types []string) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c, Type: arrowType(types[i]), Nullable: true,
			Metadata: arrow.NewMetadata([]string{"duckdb_type"}, []string{types[i]})}
	}
	return arrow.NewSchema(fields, nil)
}

// arrowStream writes rows as an Arrow IPC stream, arrowBatchRows rows to a
// record batch, holding one batch at a time.
type arrowStream struct {
	cols, types []string
	iw          *ipc.Writer
	b           *array.RecordBuilder
	rows        int64 // appended
	pending     int   // appended since the last batch
}

func newArrowStream(w io.Writer, cols, types []string) *arrowStream {
	schema := arrowSchema(cols, types)
	return &arrowStream{cols: cols, types: types,
		iw: ipc.NewWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(memory.DefaultAllocator)),
		b:  array.NewRecordBuilder(memory.DefaultAllocator, schema)}
}

func (s *arrowStream) append(row []any) error {
	for j, v := range row {
		if err := appendArrow(s.b.Field(j), v, s.types[j]); err != nil {
			return fmt.Errorf("arrow: column %s row %d: %w", s.cols[j], s.rows+1, err)
		}
	}
	s.rows++
	s.pending++
	if s.pending == arrowBatchRows {
		return s.flush()
	}
	return nil
}

func (s *arrowStream) flush() error {
	rec := s.b.NewRecordBatch()
	defer rec.Release()
	s.pending = 0
	return s.iw.Write(rec)
}

// close writes the last batch (an empty one when there were no rows, so
// that a reader sees the schema and a batch) and ends the stream.
func (s *arrowStream) close() error {
	if s.pending > 0 || s.rows == 0 {
		if err := s.flush(); err != nil {
			return err
		}
	}
	return s.iw.Close()
}

// release frees the batch being built; deferred by every writer of a
// stream, whether or not it was closed.
func (s *arrowStream) release() { s.b.Release() }

// writeArrow writes the result as an Arrow IPC stream.
func (res *resultSet) writeArrow(w io.Writer) error {
	st := newArrowStream(w, res.cols, res.types)
	defer st.release()
	for _, row := range res.rows {
		if err := st.append(row); err != nil {
			return err
		}
	}
	return st.close()
}

func appendArrow(fb array.Builder, v any, typ string) error {
	if v == nil {
		fb.AppendNull()
		return nil
	}
	switch b := fb.(type) {
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want bool, got %T", v)
		}
		b.Append(x)
	case *array.Int8Builder:
		n, err := toInt(v)
		b.Append(int8(n))
		return err
	case *array.Int16Builder:
		n, err := toInt(v)
		b.Append(int16(n))
		return err
	case *array.Int32Builder:
		n, err := toInt(v)
		b.Append(int32(n))
		return err
	case *array.Int64Builder:
		n, err := toInt(v)
		b.Append(n)
		return err
	case *array.Uint8Builder:
		n, err := toInt(v)
		b.Append(uint8(n))
		return err
	case *array.Uint16Builder:
		n, err := toInt(v)
		b.Append(uint16(n))
		return err
	case *array.Uint32Builder:
		n, err := toInt(v)
		b.Append(uint32(n))
		return err
	case *array.Uint64Builder:
		if u, ok := v.(uint64); ok {
			b.Append(u)
			return nil
		}
		n, err := toInt(v)
		b.Append(uint64(n))
		return err
	case *array.Float32Builder:
		f, err := toFloat(v)
		b.Append(float32(f))
		return err
	case *array.Float64Builder:
		f, err := toFloat(v)
		b.Append(f)
		return err
	case *array.Date32Builder:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("want a date, got %T", v)
		}
		b.Append(arrow.Date32FromTime(t))
	case *array.TimestampBuilder:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("want a timestamp, got %T", v)
		}
		b.Append(arrow.Timestamp(t.UnixMicro()))
	case *array.StringBuilder:
		b.Append(text(v, typ))
	default:
		return fmt.Errorf("no Arrow builder for %T", fb)
	}
	return nil
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return int64(x), nil
	}
	return 0, fmt.Errorf("want an integer, got %T", v)
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, nil
	case duckdb.Decimal:
		return x.Float64(), nil
	}
	if n, err := toInt(v); err == nil {
		return float64(n), nil
	}
	return math.NaN(), fmt.Errorf("want a number, got %T", v)
}
