package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/warehouse"
)

// jsonKPI is the `report kpi --format json` object of CLI.md. Field order is
// the documented order; maps (metrics, breakdowns, metric versions) are
// written with sorted keys by encoding/json, so the bytes depend only on the
// Result.
type jsonKPI struct {
	Report     string                                     `json:"report"`
	Period     jsonPeriod                                 `json:"period"`
	Service    string                                     `json:"service"`
	Disclosure string                                     `json:"disclosure"`
	Metrics    map[string]jsonValue                       `json:"metrics"`
	Breakdowns map[string]map[string]map[string]jsonValue `json:"breakdowns"`
	Provenance jsonProvenance                             `json:"provenance"`
}

type jsonPeriod struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// jsonValue is one value. A suppressed value is {"value": null,
// "suppressed": true}: nothing it could be recovered from is written.
type jsonValue struct {
	Value       *num    `json:"value"`
	Numerator   *num    `json:"numerator,omitempty"`
	Denominator *num    `json:"denominator,omitempty"`
	CI95        *[2]num `json:"ci95,omitempty"`
	Suppressed  bool    `json:"suppressed,omitempty"`
	Note        string  `json:"note,omitempty"`
}

type jsonProvenance struct {
	AsOf           string         `json:"as_of"`
	Lake           string         `json:"lake"`
	LakeFiles      int            `json:"lake_files"`
	Version        string         `json:"version"`
	MetricVersions map[string]int `json:"metric_versions"`
	TimeZone       string         `json:"time_zone"`
	GeneratedAt    string         `json:"generated_at"`
}

// num is a float written with at most 4 decimals and no trailing zeros, so
// that the JSON and CSV bytes do not depend on floating-point noise in the
// last digits (0.6000000000000001 is written 0.6). NaN and infinities,
// which JSON cannot carry, are written null.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	if !finite(float64(n)) {
		return []byte("null"), nil
	}
	return []byte(formatNum(float64(n))), nil
}

// formatNum is the one number format of the machine-readable outputs.
func formatNum(x float64) string {
	s := strconv.FormatFloat(x, 'f', 4, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

func toJSONValue(v warehouse.Value) jsonValue {
	if v.Suppressed {
		return jsonValue{Suppressed: true, Note: v.Note}
	}
	out := jsonValue{
		Value:       numPtr(v.Value),
		Numerator:   numPtr(v.Numerator),
		Denominator: numPtr(v.Denominator),
		Note:        v.Note,
	}
	if v.CI95 != nil {
		out.CI95 = &[2]num{num(v.CI95[0]), num(v.CI95[1])}
	}
	return out
}

func numPtr(p *float64) *num {
	if p == nil {
		return nil
	}
	n := num(*p)
	return &n
}

func writeJSON(r *kpiReport, w io.Writer) error {
	res := r.res
	out := jsonKPI{
		Report:     "kpi",
		Period:     jsonPeriod{From: isoDate(res.Period.From), To: isoDate(res.Period.To)},
		Service:    r.Service,
		Disclosure: r.Policy,
		Metrics:    make(map[string]jsonValue, len(res.Metrics)),
		Breakdowns: make(map[string]map[string]map[string]jsonValue, len(res.Breakdowns)),
		Provenance: jsonProvenance{
			AsOf:           isoTime(res.Provenance.AsOf),
			Lake:           res.Provenance.Lake,
			LakeFiles:      res.Provenance.LakeFiles,
			Version:        res.Provenance.Version,
			MetricVersions: res.Provenance.Metrics,
			TimeZone:       res.Provenance.TimeZone,
			GeneratedAt:    isoTime(res.Provenance.GeneratedAt),
		},
	}
	if out.Provenance.MetricVersions == nil {
		out.Provenance.MetricVersions = map[string]int{}
	}
	for id, v := range res.Metrics {
		out.Metrics[id] = toJSONValue(v)
	}
	for id, dims := range res.Breakdowns {
		d := make(map[string]map[string]jsonValue, len(dims))
		for dim, groups := range dims {
			g := make(map[string]jsonValue, len(groups))
			for k, v := range groups {
				g[k] = toJSONValue(v)
			}
			d[dim] = g
		}
		out.Breakdowns[id] = d
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	// Service names and notes are text for people, not HTML; keep them
	// readable ("&" not "\u0026").
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func isoDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
