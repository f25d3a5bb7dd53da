package warehouse

import (
	"database/sql"
	"strings"
	"testing"
)

// Every build file splits into CREATE statements (and DROPs of
// intermediate tables) that, put back together, are the file: no statement
// is lost or cut inside.
func TestSplitStatementsBuildFiles(t *testing.T) {
	for _, name := range []string{"sql/02_events.sql", "sql/03_projections.sql", "sql/04_episodes.sql", "sql/05_cohorts.sql"} {
		file := mustSQL(name)
		sts := splitStatements(file)
		if len(sts) == 0 {
			t.Fatalf("%s: no statements", name)
		}
		var parts []string
		for _, st := range sts {
			if !createPattern.MatchString(firstCode(st.sql)) && !(st.drop && dropPattern.MatchString(firstCode(st.sql))) {
				t.Errorf("%s: statement %q does not start with CREATE or DROP TABLE", name, st.name)
			}
			if strings.Contains(st.name, " ") {
				t.Errorf("%s: statement named %q, want the object it creates", name, st.name)
			}
			parts = append(parts, st.sql)
		}
		if got := strings.TrimSpace(strings.Join(parts, "\n")); got != strings.TrimSpace(file) {
			t.Errorf("%s: the statements joined are not the file", name)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	in := "-- a comment;\nCREATE TABLE a AS\nSELECT ';' AS x;\n\n-- b\nCREATE OR REPLACE VIEW b AS SELECT 1;\nSELECT 2"
	got := splitStatements(in)
	want := []string{"a", "b", "SELECT 2"}
	if len(got) != len(want) {
		t.Fatalf("got %d statements %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		if got[i].name != w {
			t.Errorf("statement %d named %q, want %q", i, got[i].name, w)
		}
	}
	if got[0].sql != "-- a comment;\nCREATE TABLE a AS\nSELECT ';' AS x;" {
		t.Errorf("first statement %q", got[0].sql)
	}
	if len(splitStatements("-- only a comment\n")) != 0 {
		t.Error("a file of comments made a statement")
	}
}

// Every metric of sql/metrics/ is written so that its breakdowns are one
// read of its cohort (groupingsQuery's single-pass form), and the form
// gives the same groups as one SELECT per grouping.
func TestGroupingsQuerySinglePass(t *testing.T) {
	ms, err := metricSQL()
	if err != nil {
		t.Fatal(err)
	}
	dimList := []string{"", "referral_source", "age_band"}
	groups := []string{"'all'", "coalesce(CAST(referral_source AS VARCHAR), 'unknown')", "coalesce(CAST(age_band AS VARCHAR), 'unknown')"}
	for id, body := range ms {
		q := groupingsQuery(strings.TrimSuffix(strings.TrimSpace(body), ";"), dimList, groups)
		if strings.Contains(q, "UNION ALL") || !strings.Contains(q, "CROSS JOIN (VALUES") {
			t.Errorf("%s: breakdowns are not one read of the cohort", id)
		}
	}
	w := openFixture(t, Config{})
	for _, id := range []string{"dna_rate", "recovery_rate", "referral_source_share", "wait_median_days"} {
		body := strings.TrimSuffix(strings.TrimSpace(ms[id]), ";")
		one := groupingsQuery(body, dimList, groups)
		var parts []string
		for i := range dimList {
			parts = append(parts, groupingsQuery(body, dimList[i:i+1], groups[i:i+1]))
		}
		union := strings.Join(parts, "\nUNION ALL\n")
		// On an empty cohort a SELECT whose only group is the constant
		// 'all' is an ungrouped aggregate and returns one row of zeros,
		// the single pass none; value() reads both as an empty cohort.
		b := strings.TrimPrefix(rowsOf(t, w, union), "|all|0|0")
		if a := rowsOf(t, w, one); a != b || (a == "") != (id == "recovery_rate") {
			t.Errorf("%s: single pass\n%s\none SELECT per grouping\n%s", id, a, b)
		}
	}
}

func rowsOf(t *testing.T, w *Warehouse, q string) string {
	t.Helper()
	rows, err := w.DB().Query("SELECT string_agg(concat_ws('|', dim, grp, num, den), '\n' ORDER BY dim, grp) FROM ("+q+")",
		sql.Named("from", "2024-01-01"), sql.Named("to", "2024-03-31"), sql.Named("service", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var s sql.NullString
	for rows.Next() {
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
	}
	return s.String
}

// The intermediate tables a build file drops are gone once Open returns,
// and what they were built for is there.
func TestBuildDropsIntermediates(t *testing.T) {
	w := openFixture(t, Config{Population: 200000})
	var dropped []string
	for _, name := range []string{"sql/02_events.sql", "sql/03_projections.sql", "sql/04_episodes.sql", "sql/05_cohorts.sql"} {
		for _, st := range splitStatements(mustSQL(name)) {
			if st.drop {
				dropped = append(dropped, st.name)
			}
		}
	}
	if len(dropped) == 0 {
		t.Fatal("no build file drops a table; this test has nothing to check")
	}
	for _, name := range append(dropped, "referrals") {
		var n int
		if err := w.DB().QueryRow("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[name == "referrals"]; n != want {
			t.Errorf("%d tables named %s after Open, want %d", n, name, want)
		}
	}
}
