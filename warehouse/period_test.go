package warehouse

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		from, to, want string
	}{
		{"2024-04", "2025-03", "2024-04-01..2025-03-31"}, // financial year 2024/25
		{"2024-02", "2024-02", "2024-02-01..2024-02-29"}, // leap month
		{"2024-04", "2024-06", "2024-04-01..2024-06-30"}, // quarter
		{"2024-12", "", "2024-12-01..2024-12-31"},        // one month
	} {
		p, err := ParsePeriod(tc.from, tc.to)
		if err != nil || p.String() != tc.want {
			t.Errorf("ParsePeriod(%q, %q) = %v, %v; want %s", tc.from, tc.to, p, err, tc.want)
		}
	}
	if fy := FinancialYear(2024); fy.String() != "2024-04-01..2025-03-31" {
		t.Errorf("FinancialYear(2024) = %v", fy)
	}
	for _, tc := range []struct{ from, to, wantErr string }{
		{"2024-4", "2024-06", "want a month YYYY-MM, e.g. 2024-04"},
		{"2024-04-01", "2024-06", "want a month YYYY-MM"},
		{"April", "2024-06", `from "April"`},
		{"2024-04", "2024-13", `to "2024-13"`},
		{"2025-03", "2024-04", "write the earlier month first"},
		{"", "", "want a month YYYY-MM"},
	} {
		_, err := ParsePeriod(tc.from, tc.to)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParsePeriod(%q, %q) error = %v, want it to say %q", tc.from, tc.to, err, tc.wantErr)
		}
	}
}

func TestPeriodJSON(t *testing.T) {
	p, _ := ParsePeriod("2024-04", "2025-03")
	b, err := json.Marshal(p)
	if err != nil || string(b) != `{"from":"2024-04-01","to":"2025-03-31"}` {
		t.Fatalf("json = %s, %v; want the dates of CLI.md", b, err)
	}
	var back Period
	if err := json.Unmarshal(b, &back); err != nil || back != p {
		t.Errorf("round trip = %v, %v; want %v", back, err, p)
	}
}
