package warehouse

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strings"
	"time"
)

// The crisis section's queries (sql/crisis), one file per metric or input,
// each headed by the definition it implements.
//
//go:embed sql/crisis/*.sql
var crisisSQLFS embed.FS

// sectionSQL reads one embedded query and fills its {{name}} placeholders
// with the embedded subqueries named in subs (placeholder → file).
func sectionSQL(fsys embed.FS, name string, subs map[string]string) (string, error) {
	b, err := fsys.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("warehouse: %s: %w", name, err)
	}
	q := strings.TrimSuffix(strings.TrimSpace(string(b)), ";")
	for ph, file := range subs {
		sb, err := fsys.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("warehouse: %s: %w", file, err)
		}
		q = strings.ReplaceAll(q, "{{"+ph+"}}", strings.TrimSuffix(strings.TrimSpace(string(sb)), ";"))
	}
	return q, nil
}

// sectionRows runs one embedded query with named parameters and calls scan
// for each row.
func (w *Warehouse) sectionRows(ctx context.Context, fsys embed.FS, name string, subs map[string]string,
	args []any, scan func(*sql.Rows) error) error {
	q, err := sectionSQL(fsys, name, subs)
	if err != nil {
		return err
	}
	defer w.queried(ctx, time.Now(), "warehouse query", "query", name)
	rs, err := w.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("warehouse: %s: %w", name, err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			return fmt.Errorf("warehouse: %s: %w", name, err)
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("warehouse: %s: %w", name, err)
	}
	return nil
}

// periodArgs are the $from, $to and $service parameters of a section query.
func periodArgs(p Period, service string, more ...any) []any {
	return append([]any{sql.Named("from", day(p.From)), sql.Named("to", day(p.To)), sql.Named("service", service)}, more...)
}

// newSectionResult is an empty Result for a section's metrics, with their
// catalogue versions in the provenance.
func (w *Warehouse) newSectionResult(p Period, service string, metrics []Metric) (*Result, error) {
	if p.To.Before(p.From) {
		return nil, fmt.Errorf("warehouse: period %s ends before it starts", p)
	}
	res := &Result{
		Period: p, Service: service,
		Metrics:    map[string]Value{},
		Breakdowns: map[string]map[string]map[string]Value{},
		Series:     map[string][]SeriesPoint{},
		Provenance: w.Provenance(),
	}
	if service == "" {
		res.Service = "all"
	}
	res.Provenance.Metrics = map[string]int{}
	for _, m := range metrics {
		res.Provenance.Metrics[m.ID] = m.Version
	}
	return res, nil
}
