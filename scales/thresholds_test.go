package scales

import (
	"strings"
	"testing"
)

func TestDefaultThresholds(t *testing.T) {
	got := DefaultThresholds()
	byName := map[string]Threshold{}
	for _, th := range got {
		byName[th.Measure] = th
	}
	// NHS Digital: PHQ-9 caseness >= 10, reliable change 6; GAD-7 >= 8, 4.
	if th := byName["phq9"]; th.Caseness != 10 || th.ReliableChange != 6 || !th.Confirmed || th.Direction != "down" {
		t.Errorf("phq9 = %+v", th)
	}
	if th := byName["gad7"]; th.Caseness != 8 || th.ReliableChange != 4 || !th.Confirmed {
		t.Errorf("gad7 = %+v", th)
	}
	for _, m := range []string{"spin", "pcl5", "ies_r", "oci_r", "pdss", "hai_short", "mi"} {
		th, ok := byName[m]
		if !ok || th.Confirmed || th.Known() || th.Source == "" {
			t.Errorf("%s = %+v, want listed, unconfirmed, without values, with a reason", m, th)
		}
	}
}

func TestLoadThresholds(t *testing.T) {
	in := `# configured ADSM cut-offs
measure,caseness,reliable_change,direction,source,confirmed
spin,19,10,down,Example citation p. 12,true
pdss, 8 ,5,down,Example citation
`
	got, err := LoadThresholds(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Threshold{
		{Measure: "spin", Caseness: 19, ReliableChange: 10, Direction: "down", Source: "Example citation p. 12", Confirmed: true},
		{Measure: "pdss", Caseness: 8, ReliableChange: 5, Direction: "down", Source: "Example citation"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestLoadThresholdsBadRowNamesLine(t *testing.T) {
	head := "measure,caseness,reliable_change,direction,source\n"
	for _, tc := range []struct{ body, mention string }{
		{"spin,19,10,down,ok\nnope,1,1,down,x\n", "line 3: unknown measure \"nope\""},
		{"spin,abc,10,down,x\n", "line 2: caseness \"abc\""},
		{"spin,19,-1,down,x\n", "line 2: reliable_change \"-1\": must be positive"},
		{"spin,19,10,sideways,x\n", "line 2: direction \"sideways\""},
		{"spin,19,10,down,\n", "line 2: source is empty"},
		{"spin,19,10,down,x\nspin,19,10,down,y\n", "line 3: measure spin already given on line 2"},
		{"spin,19\n", "line 2: 2 fields"},
		{"spin,19,10,down,x,maybe\n", "line 2: confirmed \"maybe\""},
	} {
		_, err := LoadThresholds(strings.NewReader(head + tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("LoadThresholds(%q) err = %v; want mention of %q", tc.body, err, tc.mention)
		}
	}
	if _, err := LoadThresholds(strings.NewReader("")); err == nil {
		t.Error("empty input accepted")
	}
}

// Clark et al. 2018, Lancet 391:679-686, Table 2 (recommended anxiety
// measure by problem descriptor), PTSD as in later guidance (PCL-5).
func TestADSMFor(t *testing.T) {
	for _, tc := range []struct {
		problem, want string
		ok            bool
	}{
		{"social_anxiety", "spin", true},
		{"ptsd", "pcl5", true},
		{"ocd", "oci_r", true},
		{"panic", "pdss", true},
		{"health_anxiety", "hai_short", true},
		{"agoraphobia", "mi", true},
		{"depression", "gad7", false},
		{"gad", "gad7", false},
		{"", "gad7", false},
	} {
		got, ok := ADSMFor(tc.problem)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ADSMFor(%q) = %q, %v; want %q, %v", tc.problem, got, ok, tc.want, tc.ok)
		}
	}
}
