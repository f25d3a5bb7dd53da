package warehouse

import (
	"strings"
	"testing"
)

// Every build file splits into CREATE statements that, put back together,
// are the file: no statement is lost or cut inside.
func TestSplitStatementsBuildFiles(t *testing.T) {
	for _, name := range []string{"sql/02_events.sql", "sql/03_projections.sql", "sql/04_episodes.sql", "sql/05_cohorts.sql"} {
		file := mustSQL(name)
		sts := splitStatements(file)
		if len(sts) == 0 {
			t.Fatalf("%s: no statements", name)
		}
		var parts []string
		for _, st := range sts {
			if !createPattern.MatchString(firstCode(st.sql)) {
				t.Errorf("%s: statement %q does not start with CREATE", name, st.name)
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

func firstCode(sql string) string {
	for _, l := range strings.Split(sql, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			return t
		}
	}
	return ""
}
