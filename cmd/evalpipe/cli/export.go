package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"

	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/server"
	"github.com/evalpipe/evalpipe/warehouse"
	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"
)

func exportCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	view := fs.String("view", "", "the view to export: "+strings.Join(server.EvaluatorViews(), ", "))
	format := fs.String("format", "parquet", "parquet | csv | arrow (an Arrow IPC stream)")
	out := fs.String("out", "", "file to write (required); the data dictionary goes beside it as VIEW.dictionary.md")
	asOf := fs.String("as-of", "", "export what was known at the end of this date, YYYY-MM-DD")
	return &ffcli.Command{
		Name: "export", ShortUsage: "evalpipe export --view NAME --format parquet|csv|arrow --out FILE",
		FlagSet: fs, Options: opts, ShortHelp: "a pseudonymised dataset for an evaluator, with its data dictionary",
		LongHelp: `Writes one of the evaluators' views (pseudonymised; feedback text only where
consent was given) to a file, and its data dictionary (columns, types and
meanings) beside it. The export is recorded in DATA/server/audit.ndjson.`,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("export takes no arguments, got %q", args)
			}
			who := "cli"
			if u, err := user.Current(); err == nil {
				who = "cli:" + u.Username
			}
			if !slices.Contains(server.EvaluatorViews(), *view) {
				err := usagef("export --view %q: not exportable; an evaluator's dataset is one of the pseudonymised views %s (events, lake files and dead letters hold free text whatever the consent, or raw rejected input)",
					*view, strings.Join(server.EvaluatorViews(), ", "))
				// Refusals are audited too: someone asked.
				if a, aerr := server.OpenAudit(server.AuditPath(e.data)); aerr == nil {
					a.Log(server.AuditEntry{Who: who, Method: "EXPORT", Route: "export " + *format + " " + *out, SQL: "view " + *view, Status: 400, Error: err.Error()})
					a.Close()
				}
				return err
			}
			if *out == "" {
				return usagef("export: --out FILE is required")
			}
			if *format != "parquet" && *format != "csv" && *format != "arrow" {
				return usagef("export --format %q: want parquet, csv or arrow", *format)
			}
			abs, err := filepath.Abs(*out)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
				return err
			}
			cfg, err := e.config()
			if err != nil {
				return err
			}
			wc, err := e.warehouseConfig(cfg, *asOf)
			if err != nil {
				return err
			}
			wc.ExportDir = filepath.Dir(abs)
			w, err := warehouse.Open(ctx, wc)
			if err != nil {
				return err
			}
			defer w.Close()
			if _, err := w.DB().ExecContext(ctx, serverFeedbackView); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			q := "SELECT * FROM " + *view
			var rows int64
			switch *format {
			case "arrow":
				f, err := os.Create(abs)
				if err != nil {
					return err
				}
				if rows, err = server.ExportArrow(ctx, w.DB(), q, f); err != nil {
					f.Close()
					return fmt.Errorf("export: %w", err)
				}
				if err := f.Close(); err != nil {
					return err
				}
			default:
				res, err := w.DB().ExecContext(ctx, fmt.Sprintf("COPY (%s) TO '%s' (FORMAT %s)", q, strings.ReplaceAll(abs, "'", "''"), *format))
				if err != nil {
					return fmt.Errorf("export: %w", err)
				}
				rows, _ = res.RowsAffected()
			}
			dict := filepath.Join(filepath.Dir(abs), *view+".dictionary.md")
			if err := writeDictionary(ctx, w, *view, dict); err != nil {
				return err
			}
			if a, err := server.OpenAudit(server.AuditPath(e.data)); err == nil {
				a.Log(server.AuditEntry{Who: who, Method: "EXPORT", Route: "export " + *format + " " + abs, SQL: q, Rows: rows, Status: 200})
				a.Close()
			}
			fmt.Fprintf(e.stdout, "export: %d rows of %s to %s\nexport: data dictionary %s\n", rows, *view, abs, dict)
			return nil
		},
	}
}

// serverFeedbackView is the consented-feedback view the server creates; the
// export needs it too.
const serverFeedbackView = `CREATE OR REPLACE VIEW feedback_consented AS
SELECT event_id, type, occurred_at, recorded_at, service, person, referral_id,
       feedback_id, respondent, channel, experience, consent_to_quote, codes,
       CASE WHEN consent_to_quote THEN text END AS text
FROM events
WHERE type LIKE 'feedback.%'`

// writeDictionary lists the view's columns with their DuckDB types and the
// meanings the event contract gives them (events.WriteDictionary, the
// source of docs/data-dictionary.md).
func writeDictionary(ctx context.Context, w *warehouse.Warehouse, view, path string) error {
	var doc bytes.Buffer
	if err := events.WriteDictionary(&doc); err != nil {
		return err
	}
	meaning := map[string]string{}
	for _, line := range strings.Split(doc.String(), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 2 {
			continue
		}
		m := strings.TrimSpace(cells[len(cells)-1])
		for _, name := range strings.Split(strings.Trim(strings.TrimSpace(cells[0]), "`"), ",") {
			name = strings.Trim(strings.TrimSpace(name), "`")
			if _, ok := meaning[name]; !ok && m != "" {
				meaning[name] = m
			}
		}
	}
	rows, err := w.DB().QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+view+")")
	if err != nil {
		return fmt.Errorf("export: describe %s: %w", view, err)
	}
	defer rows.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "# Data dictionary: `%s`\n\nPseudonymised: `person` is a keyed HMAC, never a direct identifier. Meanings from the event contract (docs/data-dictionary.md); derived columns are described in warehouse/README.md.\n\n| column | type | meaning |\n|---|---|---|\n", view)
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return err
		}
		m := meaning[name]
		if m == "" {
			m = "derived by the warehouse (see warehouse/README.md)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, typ, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
