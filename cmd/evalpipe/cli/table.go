package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// writeTable prints query results as an aligned table, CSV or JSON lines.
func writeTable(w io.Writer, format string, cols []string, rows [][]any) error {
	switch format {
	case "table":
		tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
		for _, r := range rows {
			cells := make([]string, len(r))
			for i, v := range r {
				cells[i] = cell(v)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "(%d rows)\n", len(rows))
		return err
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(cols)
		for _, r := range rows {
			cells := make([]string, len(r))
			for i, v := range r {
				cells[i] = cell(v)
			}
			cw.Write(cells)
		}
		cw.Flush()
		return cw.Error()
	case "json":
		enc := json.NewEncoder(w)
		for _, r := range rows {
			obj := make(map[string]any, len(cols))
			for i, c := range cols {
				obj[c] = r[i]
			}
			if err := enc.Encode(obj); err != nil {
				return err
			}
		}
		return nil
	}
	return usagef("--format %q: want table, csv or json", format)
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}
