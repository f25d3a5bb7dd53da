package server

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/evalpipe/evalpipe/warehouse"
)

// Result formats of /api/query, chosen by the Accept header.
const (
	mediaJSON  = "application/json"
	mediaCSV   = "text/csv"
	mediaArrow = "application/vnd.apache.arrow.stream"
)

// maxRows bounds a query's answer; results are built in memory so that an
// error (a timeout, a sandbox refusal) is a clean status, never half a body.
const maxRows = 1_000_000

// queryAPI is POST /api/query: one read-only SELECT in the body (raw SQL,
// or JSON {"sql": "..."}), the result as JSON, CSV or an Arrow IPC stream.
func (s *Server) queryAPI(w http.ResponseWriter, r *http.Request, rq *request) int {
	start := time.Now()
	status := s.runQuery(w, r, rq)
	s.m.queries.WithLabelValues(strconv.Itoa(status)).Inc()
	s.m.queryDuration.Observe(time.Since(start).Seconds())
	return status
}

func (s *Server) runQuery(w http.ResponseWriter, r *http.Request, rq *request) int {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxQueryBytes))
	if err != nil {
		return jsonError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("query body: %v (at most %d bytes)", err, s.cfg.MaxQueryBytes))
	}
	text := string(body)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var in struct {
			SQL string `json:"sql"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return jsonError(w, http.StatusBadRequest, "JSON body: want {\"sql\": \"SELECT ...\"}: "+err.Error())
		}
		text = in.SQL
	}
	rq.sql = text
	format, ok := negotiate(r.Header.Get("Accept"))
	if !ok {
		return jsonError(w, http.StatusNotAcceptable, "Accept: want application/json, text/csv or "+mediaArrow)
	}
	snap, release := s.snaps.acquire()
	defer release()
	if snap == nil {
		return jsonError(w, http.StatusServiceUnavailable, "the warehouse is not open yet")
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
	defer cancel()
	res, err := s.execute(ctx, snap, text, rq.tok.Role)
	if err != nil {
		rq.errMsg = err.Error()
		var qe *queryError
		if errors.As(err, &qe) {
			return jsonError(w, qe.status, qe.msg)
		}
		return jsonError(w, http.StatusInternalServerError, err.Error())
	}
	rq.rows = int64(len(res.rows))
	w.Header().Set("Content-Type", format)
	w.Header().Set("X-Row-Count", strconv.Itoa(len(res.rows)))
	switch format {
	case mediaCSV:
		err = res.writeCSV(w)
	case mediaArrow:
		err = res.writeArrow(w)
	default:
		err = res.writeJSON(w)
	}
	if err != nil {
		s.log.Warn("query: writing the answer", "err", err)
	}
	return http.StatusOK
}

// negotiate picks the first supported media type of an Accept header.
func negotiate(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, true
	}
	for _, part := range strings.Split(accept, ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		switch mt {
		case mediaJSON, mediaCSV, mediaArrow:
			return mt, true
		case "*/*", "application/*":
			return mediaJSON, true
		case "text/*":
			return mediaCSV, true
		}
	}
	return "", false
}

// queryError is a refusal with the status and the message to show.
type queryError struct {
	status int
	msg    string
}

func (e *queryError) Error() string { return e.msg }

func refused(format string, a ...any) *queryError {
	return &queryError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

// resultSet is a query's answer with DuckDB's column types.
type resultSet struct {
	cols  []string
	types []string // DuckDB type names, e.g. BIGINT, VARCHAR, TIMESTAMP WITH TIME ZONE
	rows  [][]any
}

// execute checks and runs one query. The checks, in order:
//
//  1. warehouse.Query's own read-only check, for its clear messages about
//     COPY, ATTACH, SET and multiple statements (run with a context that
//     is already done, so it stops before executing anything);
//  2. DuckDB's parser: the query, wrapped as a subquery, must serialise as
//     exactly one SELECT — the authority on what is read-only;
//  3. for evaluators, the relations and table functions it names (see
//     evaluatorPolicy);
//  4. the query runs under ctx's deadline (DuckDB is interrupted when it
//     passes) in the database's sandbox: no file outside the lake.
func (s *Server) execute(ctx context.Context, snap *snapshot, text, role string) (*resultSet, error) {
	if strings.TrimSpace(text) == "" {
		return nil, refused("empty query: send one SELECT statement as the request body")
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := snap.w.Query(done, text); errors.Is(err, warehouse.ErrNotReadOnly) {
		return nil, refused("%v", err)
	}
	inner := strings.TrimRight(strings.TrimSpace(text), "; \t\r\n")
	wrapped := "SELECT * FROM (\n" + inner + "\n) AS evaluator_query"
	var js string
	if err := snap.w.DB().QueryRowContext(ctx, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR", wrapped).Scan(&js); err != nil {
		return nil, s.classify(ctx, err)
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(js), &parsed); err != nil {
		return nil, err
	}
	if parsed.Error {
		return nil, refused("query: %s (only a single read-only SELECT or WITH statement is allowed)", parsed.Message)
	}
	if len(parsed.Statements) != 1 {
		return nil, refused("query: %v", warehouse.ErrNotReadOnly)
	}
	if role != RoleAdmin {
		if err := evaluatorPolicy(parsed.Statements[0], snap.unreadable); err != nil {
			return nil, err
		}
	}
	rows, err := snap.w.DB().QueryContext(ctx, wrapped)
	if err != nil {
		return nil, s.classify(ctx, err)
	}
	defer rows.Close()
	return collect(ctx, rows, s.classify)
}

// classify turns a database error into what the caller should read.
func (s *Server) classify(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &queryError{http.StatusRequestTimeout, fmt.Sprintf("query stopped: it ran longer than the %s limit; narrow it (filter, aggregate, LIMIT)", s.cfg.QueryTimeout)}
	}
	if ctx.Err() != nil {
		return &queryError{http.StatusServiceUnavailable, "query cancelled: " + ctx.Err().Error()}
	}
	msg := err.Error()
	if strings.Contains(msg, "Permission Error") || strings.Contains(msg, "disabled") {
		return refused("refused by the sandbox (only the lake can be read, nothing written, no extensions): %s", msg)
	}
	return refused("query: %s", msg)
}

// evaluatorRelations are what evaluators may read: the pseudonymised,
// projected views. Not events, lake_events, visible_events or raw_*: they
// carry feedback free text whatever the consent (feedback_consented is the
// way to it), nor dead_letters (raw rejected input).
var evaluatorRelations = map[string]bool{
	"referrals": true, "sessions": true, "scores": true, "episodes": true, "session_facts": true,
	"measure_thresholds": true, "feedback_consented": true,
}

// evaluatorFunctions are the table functions evaluators may call: none that
// reads files (read_parquet, read_csv, read_text, glob, ...), even in the
// lake, where the raw feedback text is.
var evaluatorFunctions = map[string]bool{"range": true, "generate_series": true, "unnest": true}

// unreadableNames are the names of the database's relations, in every
// catalog and schema, that evaluators may not read (lower case). Read once
// per snapshot, when it is opened.
func unreadableNames(ctx context.Context, w *warehouse.Warehouse) (map[string]bool, error) {
	rows, err := w.DB().QueryContext(ctx, "SELECT lower(table_name) FROM duckdb_tables() UNION SELECT lower(view_name) FROM duckdb_views()")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if !evaluatorRelations[n] {
			out[n] = true
		}
	}
	return out, rows.Err()
}

// evaluatorPolicy walks DuckDB's parse tree of the query and refuses any
// relation or table function not listed above. A name a WITH clause
// defines is allowed too, but only unqualified (main.events is never a
// CTE), and no WITH name may be that of a relation evaluators may not
// read (unreadable): inside its own definition, or in a CTE before it,
// the name still means the relation, so "WITH events AS (SELECT * FROM
// events)" would read the raw events.
func evaluatorPolicy(stmt json.RawMessage, unreadable map[string]bool) error {
	var tree any
	if err := json.Unmarshal(stmt, &tree); err != nil {
		return err
	}
	ctes := map[string]bool{}
	type tableRef struct {
		name      string
		qualified bool
	}
	var tables []tableRef
	var funcs []string
	var walk func(v any)
	walk = func(v any) {
		switch n := v.(type) {
		case map[string]any:
			if m, ok := n["cte_map"].(map[string]any); ok {
				if list, ok := m["map"].([]any); ok {
					for _, e := range list {
						if kv, ok := e.(map[string]any); ok {
							if k, ok := kv["key"].(string); ok {
								ctes[strings.ToLower(k)] = true
							}
						}
					}
				}
			}
			switch n["type"] {
			case "BASE_TABLE":
				if t, ok := n["table_name"].(string); ok {
					schema, _ := n["schema_name"].(string)
					catalog, _ := n["catalog_name"].(string)
					tables = append(tables, tableRef{name: t, qualified: schema != "" || catalog != ""})
				}
			case "TABLE_FUNCTION":
				if f, ok := n["function"].(map[string]any); ok {
					if name, ok := f["function_name"].(string); ok {
						funcs = append(funcs, name)
					}
				}
			}
			for _, c := range n {
				walk(c)
			}
		case []any:
			for _, c := range n {
				walk(c)
			}
		}
	}
	walk(tree)
	for _, f := range funcs {
		if !evaluatorFunctions[strings.ToLower(f)] {
			return refused("%s(...) is not available to evaluators: query the warehouse views (referrals, sessions, scores, episodes, session_facts, feedback_consented), not files", f)
		}
	}
	for c := range ctes {
		if unreadable[c] {
			return refused("WITH %s: the name of a relation that is not available to evaluators; give the subquery another name", c)
		}
	}
	for _, t := range tables {
		lt := strings.ToLower(t.name)
		if !evaluatorRelations[lt] && (t.qualified || !ctes[lt]) {
			return refused("relation %q is not available to evaluators; the pseudonymised views are referrals, sessions, scores, episodes, session_facts, measure_thresholds and feedback_consented (free text only where consent was given)", t.name)
		}
	}
	return nil
}

func (res *resultSet) writeJSON(w io.Writer) error {
	out := struct {
		Columns []string `json:"columns"`
		Types   []string `json:"types"`
		Rows    [][]any  `json:"rows"`
	}{res.cols, res.types, make([][]any, len(res.rows))}
	for i, row := range res.rows {
		conv := make([]any, len(row))
		for j, v := range row {
			conv[j] = plain(v, res.types[j])
		}
		out.Rows[i] = conv
	}
	return json.NewEncoder(w).Encode(out)
}

func (res *resultSet) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(res.cols); err != nil {
		return err
	}
	rec := make([]string, len(res.cols))
	for _, row := range res.rows {
		for j, v := range row {
			rec[j] = text(v, res.types[j])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// plain converts a scanned DuckDB value to one encoding/json writes well.
func plain(v any, typ string) any {
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64:
		return x
	case time.Time:
		if typ == "DATE" {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339Nano)
	case *big.Int:
		return json.Number(x.String())
	case duckdb.Decimal:
		return x.Float64()
	case []byte:
		return string(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e, "")
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = plain(e, "")
		}
		return out
	case duckdb.Map:
		out := map[string]any{}
		for k, e := range x {
			out[fmt.Sprint(k)] = plain(e, "")
		}
		return out
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// text is a value as a CSV cell: NULL is empty.
func text(v any, typ string) string {
	switch x := plain(v, typ).(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}

// collect reads rows into a resultSet with DuckDB's column types; classify
// turns errors into what the caller should see.
func collect(ctx context.Context, rows *sql.Rows, classify func(context.Context, error) error) (*resultSet, error) {
	var err error
	res := &resultSet{}
	if res.cols, res.types, err = columnsOf(rows); err != nil {
		return nil, classify(ctx, err)
	}
	for rows.Next() {
		if len(res.rows) >= maxRows {
			return nil, refused("the result has more than %d rows: aggregate, or add a LIMIT", maxRows)
		}
		vals := make([]any, len(res.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, classify(ctx, err)
		}
		res.rows = append(res.rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(ctx, err)
	}
	return res, nil
}

// ExportArrow runs query on db and writes its result to w as an Arrow IPC
// stream, the schema from DuckDB's column types (as /api/query does). It
// returns the number of rows written. Unlike /api/query it has no row cap:
// rows go to w a record batch at a time. Collecting them first, as
// /api/query does, refused a national year's scores at 1M rows after 5.5
// GiB. DuckDB's driver still materialises the whole result before the
// first row: the year's 18M scores exported at 4.8 GiB resident, where a
// Parquet export, written by DuckDB's COPY, of its 10.7M session_facts
// peaked at 869 MiB.
func ExportArrow(ctx context.Context, db *sql.DB, query string, w io.Writer) (int64, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, types, err := columnsOf(rows)
	if err != nil {
		return 0, err
	}
	st := newArrowStream(w, cols, types)
	defer st.release()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return st.rows, err
		}
		if err := st.append(vals); err != nil {
			return st.rows, err
		}
	}
	if err := rows.Err(); err != nil {
		return st.rows, err
	}
	return st.rows, st.close()
}

// columnsOf is a result's column names and DuckDB type names.
func columnsOf(rows *sql.Rows) (cols, types []string, err error) {
	if cols, err = rows.Columns(); err != nil {
		return nil, nil, err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, err
	}
	for _, ct := range cts {
		types = append(types, ct.DatabaseTypeName())
	}
	return cols, types, nil
}

// EvaluatorViews are the relations evaluators may query and export.
func EvaluatorViews() []string {
	out := make([]string, 0, len(evaluatorRelations))
	for v := range evaluatorRelations {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
