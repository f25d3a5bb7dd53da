package warehouse

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestQueryRejects(t *testing.T) {
	w := openFixture(t, Config{})
	ctx := context.Background()
	for _, tc := range []struct{ sql, wantErr string }{
		{"COPY referrals TO '/tmp/x.csv'", "COPY statements are not allowed"},
		{"ATTACH '/tmp/other.db' AS other", "ATTACH statements are not allowed"},
		{"INSTALL httpfs", "INSTALL statements are not allowed"},
		{"SET enable_external_access = true", "SET statements are not allowed"},
		{"SELECT 1; DROP TABLE referrals", "more than one statement"},
		{"SELECT 1; SELECT 2;", "more than one statement"},
		{"DELETE FROM referrals", "DELETE statements are not allowed"},
		{"  ", "empty"},
		{"/* hi */ CREATE TABLE x AS SELECT 1", "CREATE statements are not allowed"},
		{"WITH x AS (SELECT 1) INSERT INTO referrals SELECT * FROM x", "read-only"},
	} {
		_, _, err := w.Query(ctx, tc.sql)
		if err == nil || !errors.Is(err, ErrNotReadOnly) || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Query(%q) error = %v, want ErrNotReadOnly saying %q", tc.sql, err, tc.wantErr)
		}
	}
	// A SELECT may not read outside the lake.
	if _, _, err := w.Query(ctx, "SELECT * FROM read_csv('/etc/passwd')"); err == nil || !strings.Contains(err.Error(), "disabled by configuration") {
		t.Errorf("reading /etc/passwd: error = %v, want the sandbox to refuse", err)
	}
	if _, _, err := w.Query(ctx, "SELEC 1"); err == nil || !strings.Contains(err.Error(), "SELEC") {
		t.Errorf("typo: error = %v", err)
	}
}

func TestQuery(t *testing.T) {
	w := openFixture(t, Config{})
	cols, rows, err := w.Query(context.Background(), `
		-- a comment; with a semicolon
		WITH c AS (SELECT service, count(*) AS n FROM referrals WHERE programme = 'talking_therapies' GROUP BY 1)
		SELECT service, n, 'it''s;fine' AS s FROM c ORDER BY service;`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cols, ",") != "service,n,s" || len(rows) != 2 {
		t.Fatalf("cols %v rows %v", cols, rows)
	}
	// svc-north: r01-r13 (r14 erased) = 13; svc-south: r21 r22 = 2.
	if rows[0][0] != "svc-north" || rows[0][1] != int64(13) || rows[1][1] != int64(2) || rows[0][2] != "it's;fine" {
		t.Errorf("rows = %v", rows)
	}
	// The raw views read the lake itself, inside the sandbox: 52 scores and
	// the retraction routed to the outcomes family.
	if _, rows, err := w.Query(context.Background(), "SELECT count(*) FROM raw_outcomes"); err != nil || rows[0][0] != int64(53) {
		t.Errorf("raw_outcomes: %v %v", rows, err)
	}
}
