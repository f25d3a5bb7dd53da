package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London must resolve on hosts without a zoneinfo database

	"github.com/evalpipe/evalpipe/events"
	"gopkg.in/yaml.v3"
)

// Mapping turns the rows of one kind of CSV export into events. It is read
// from a YAML file (X.mapping.yaml beside X.csv, or Config.Mapping):
//
//	name: iaptus-appointments
//	type: session.recorded            # every row is this type
//	source: iaptus-islington          # constant envelope source
//	event_id_prefix: "iaptus-appt-"
//	time_zone: Europe/London          # for date-times without an offset
//	time_format: "02/01/2006 15:04"   # Go layout of occurred_at/recorded_at cells
//	fields: {event_id: AppointmentID, occurred_at: AppointmentDateTime, data.kind: AppointmentType}
//	values:
//	  data.kind: {Assessment: assessment, Treatment: treatment}
//
// fields maps an envelope key or data.<field> of the type to a column name;
// values maps source values to contract values, per field.
type Mapping struct {
	Name          string                       `yaml:"name"`
	Type          string                       `yaml:"type"`
	Source        string                       `yaml:"source"`
	EventIDPrefix string                       `yaml:"event_id_prefix"`
	TimeZone      string                       `yaml:"time_zone"`   // default Europe/London
	TimeFormat    string                       `yaml:"time_format"` // default 2006-01-02 15:04:05; RFC 3339 cells always accepted
	DateFormat    string                       `yaml:"date_format"` // date_of_birth and date fields; default 2006-01-02
	Fields        map[string]string            `yaml:"fields"`
	Values        map[string]map[string]string `yaml:"values"`
	// Constants sets fields that are the same on every row, e.g.
	// {service: icope-islington}. A column in fields wins over a constant.
	Constants map[string]string `yaml:"constants"`

	file    string
	loc     *time.Location
	spec    *events.TypeSpec
	targets []target // sorted by key
}

// target is one envelope key or data field that a mapping fills.
type target struct {
	key    string // as written in the mapping, e.g. "data.kind"
	name   string // the envelope key or the data field name
	data   bool
	field  *events.Field // data fields only
	column string
	values map[string]string
	ident  bool // a direct identifier: never echoed in errors
}

// envelopeTargets are the envelope keys a mapping may fill.
var envelopeTargets = []string{"event_id", "schema", "occurred_at", "recorded_at", "source", "service", "person", "nhs_number", "local_id", "date_of_birth", "referral_id"}

var identifierKeys = map[string]bool{"nhs_number": true, "local_id": true, "date_of_birth": true}

// LoadMapping reads and validates a mapping file against events.Types.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	return ParseMapping(path, b)
}

// ParseMapping parses a mapping; name is the file it came from, for errors.
func ParseMapping(name string, b []byte) (*Mapping, error) {
	m := &Mapping{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("mapping %s: %w (keys: name, type, source, event_id_prefix, time_zone, time_format, date_format, fields, values, constants)", name, err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Mapping) errf(key, format string, a ...any) error {
	return fmt.Errorf("mapping %s: %s: %s", m.file, key, fmt.Sprintf(format, a...))
}

func (m *Mapping) validate() error {
	if m.Type == "" {
		return m.errf("type", "required; one of %s", strings.Join(events.TypeNames(), ", "))
	}
	if m.spec = events.Lookup(m.Type); m.spec == nil {
		return m.errf("type", "%q is not an event type; use one of %s", m.Type, strings.Join(events.TypeNames(), ", "))
	}
	if m.TimeZone == "" {
		m.TimeZone = "Europe/London"
	}
	var err error
	if m.loc, err = time.LoadLocation(m.TimeZone); err != nil {
		return m.errf("time_zone", "%q is not an IANA zone name; write e.g. Europe/London", m.TimeZone)
	}
	if m.TimeFormat == "" {
		m.TimeFormat = "2006-01-02 15:04:05"
	}
	if m.DateFormat == "" {
		m.DateFormat = time.DateOnly
	}
	if len(m.Fields) == 0 {
		return m.errf("fields", "required: map event keys to CSV columns, e.g. {event_id: AppointmentID}")
	}
	if m.Source != "" {
		if m.Constants == nil {
			m.Constants = map[string]string{}
		}
		if _, ok := m.Constants["source"]; ok {
			return m.errf("source", "given twice, here and in constants; keep one")
		}
		m.Constants["source"] = m.Source
	}
	for key, col := range m.Fields {
		t, err := m.resolve("fields."+key, key)
		if err != nil {
			return err
		}
		if strings.TrimSpace(col) == "" {
			return m.errf("fields."+key, "names no column; write the CSV header of the column that holds it")
		}
		t.column = strings.TrimSpace(col)
		t.values = m.Values[key]
		m.targets = append(m.targets, t)
	}
	for key := range m.Constants {
		if _, err := m.resolve("constants."+key, key); err != nil {
			return err
		}
		if identifierKeys[key] {
			return m.errf("constants."+key, "a direct identifier cannot be a constant; map it from a column")
		}
	}
	for key, vals := range m.Values {
		t := m.target(key)
		if t == nil {
			return m.errf("values."+key, "%s is not mapped in fields; add it to fields or remove this entry", key)
		}
		for from, to := range vals {
			if err := m.checkValue(t, to); err != nil {
				return m.errf("values."+key+"."+from, "%v", err)
			}
		}
	}
	for _, need := range []string{"event_id", "occurred_at"} {
		if m.target(need) == nil {
			return m.errf("fields."+need, "required: name the column that holds it")
		}
	}
	for _, need := range []string{"source", "service"} {
		if m.target(need) == nil && m.Constants[need] == "" {
			return m.errf("fields."+need, "required: map it from a column, or set it for every row with `%s: ...` under constants", need)
		}
	}
	sort.Slice(m.targets, func(i, j int) bool { return m.targets[i].key < m.targets[j].key })
	return nil
}

func (m *Mapping) target(key string) *target {
	for i := range m.targets {
		if m.targets[i].key == key {
			return &m.targets[i]
		}
	}
	return nil
}

func (m *Mapping) resolve(where, key string) (target, error) {
	if name, ok := strings.CutPrefix(key, "data."); ok {
		for i := range m.spec.Fields {
			if m.spec.Fields[i].Name == name {
				return target{key: key, name: name, data: true, field: &m.spec.Fields[i]}, nil
			}
		}
		names := make([]string, len(m.spec.Fields))
		for i, f := range m.spec.Fields {
			names[i] = "data." + f.Name
		}
		return target{}, m.errf(where, "%s has no field %q; known: %s", m.Type, name, strings.Join(names, ", "))
	}
	for _, k := range envelopeTargets {
		if k == key {
			return target{key: key, name: key, ident: identifierKeys[key]}, nil
		}
	}
	return target{}, m.errf(where, "unknown key %q; use an envelope key (%s) or data.<field>", key, strings.Join(envelopeTargets, ", "))
}

// checkValue checks a value the mapping produces against the field's kind.
func (m *Mapping) checkValue(t *target, v string) error {
	if !t.data {
		return nil
	}
	f := t.field
	switch f.Kind {
	case events.KindEnum:
		if !contains(f.Values, v) {
			return fmt.Errorf("%q is not a value of %s; use one of %s", v, t.key, strings.Join(f.Values, ", "))
		}
	case events.KindBool:
		if v != "true" && v != "false" {
			return fmt.Errorf("%q: %s is a boolean; map to true or false", v, t.key)
		}
	case events.KindInt:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("%q: %s is an integer; map to a whole number", v, t.key)
		}
	case events.KindNumber:
		if !isJSONNumber(v) {
			return fmt.Errorf("%q: %s is a number; map to a number", v, t.key)
		}
	}
	return nil
}

// Header binds the mapping to a CSV header: it returns, for each target,
// the column index, or an error naming the missing columns.
func (m *Mapping) bind(header []string) ([]int, error) {
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := index[h]; dup && h != "" {
			// Ambiguous only if a mapping uses it; checked below.
			index[h] = -2
			continue
		}
		index[h] = i
	}
	cols := make([]int, len(m.targets))
	var missing, dups []string
	for i, t := range m.targets {
		j, ok := index[t.column]
		switch {
		case !ok:
			missing = append(missing, t.column)
		case j == -2:
			dups = append(dups, t.column)
		}
		cols[i] = j
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("header names column %s more than once; mapping %s cannot tell which to use", strings.Join(dups, ", "), m.file)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("header has no column %s named in mapping %s (header: %s)", strings.Join(missing, ", "), m.file, strings.Join(header, ","))
	}
	return cols, nil
}

// row converts one CSV row into an event JSON object for events.Decode.
// idents receives the cells that hold direct identifiers.
//
// The object is written directly, with no map in between: a constant is
// written unless its column has a value in this row (a column wins over a
// constant), so no key repeats.
func (m *Mapping) row(cells []string, cols []int) (line []byte, idents []string, err error) {
	for i, t := range m.targets {
		cell := cells[cols[i]]
		if t.ident && cell != "" {
			idents = append(idents, cell)
		}
	}
	var buf [24]any
	vals, err := m.values(buf[:0], cells, cols)
	if err != nil {
		return nil, idents, err
	}
	given := func(key string) bool { // a target for key has a value in this row
		for i := range m.targets {
			if m.targets[i].key == key {
				return vals[i] != nil
			}
		}
		return false
	}
	b := append(make([]byte, 0, 512), `{"type":`...)
	b = events.AppendJSONString(b, m.Type)
	for _, data := range []bool{false, true} {
		first := data // the envelope's members follow "type"
		if data {
			b = append(b, `,"data":{`...)
		}
		add := func(name string, v any) {
			if !first {
				b = append(b, ',')
			}
			first = false
			if id, ok := v.(string); ok && !data && name == "event_id" {
				v = m.EventIDPrefix + id
			}
			b = events.AppendJSONString(b, name)
			b = append(b, ':')
			if b, err = appendRowValue(b, v); err != nil {
				err = fmt.Errorf("encode row: %w", err)
			}
		}
		for k, v := range m.Constants {
			// Converted like a cell, so that schema: "1" goes as the number 1.
			if name, isData := strings.CutPrefix(k, "data."); isData == data && !given(k) {
				add(name, m.convertConst(k, v))
			}
		}
		for i, t := range m.targets {
			if t.data == data && vals[i] != nil {
				add(t.name, vals[i])
			}
		}
		if err != nil {
			return nil, idents, err
		}
	}
	return append(b, "}}"...), idents, nil
}

// values appends to vals each target's value in the row, nil when its
// cell is empty (an absent field).
func (m *Mapping) values(vals []any, cells []string, cols []int) ([]any, error) {
	for i, t := range m.targets {
		cell := cells[cols[i]]
		if cell == "" {
			vals = append(vals, nil)
			continue
		}
		if t.values != nil {
			v, ok := t.values[cell]
			if !ok {
				return nil, &events.FieldError{Field: t.key, Value: m.echo(&t, cell), Why: fmt.Sprintf("no entry for this value under values.%s in mapping %s", t.key, m.file), Code: events.CodeBadValue}
			}
			cell = v
		}
		v, err := m.convert(&t, cell)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// appendRowValue writes one of convert's values as JSON (raw values were
// checked by convert).
func appendRowValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return events.AppendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case json.RawMessage:
		return append(b, x...), nil
	case []json.RawMessage:
		b = append(b, '[')
		for i, r := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, r...)
		}
		return append(b, ']'), nil
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = events.AppendJSONString(b, s)
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	return append(b, j...), err
}

func (m *Mapping) convertConst(key, v string) any {
	t, err := m.resolve(key, key)
	if err != nil {
		return v
	}
	if c, err := m.convert(&t, v); err == nil {
		return c
	}
	return v
}

// echo is the cell as it may appear in an error: never a direct identifier.
func (m *Mapping) echo(t *target, cell string) string {
	if t.ident {
		return ""
	}
	return quoteClip(cell)
}

// convert turns a cell into the JSON value its field wants. A cell that does
// not fit the kind is passed on as a string, so that events.Decode reports
// it in the same words as for NDJSON.
func (m *Mapping) convert(t *target, cell string) (any, error) {
	switch {
	case t.name == "occurred_at" || t.name == "recorded_at":
		if !t.data {
			return m.dateTime(t, cell)
		}
	case t.name == "date_of_birth" && !t.data:
		return m.date(t, cell)
	case t.name == "schema" && !t.data:
		if isJSONNumber(cell) {
			return json.RawMessage(cell), nil
		}
		return cell, nil
	}
	if !t.data {
		return cell, nil
	}
	switch t.field.Kind {
	case events.KindInt, events.KindNumber:
		if isJSONNumber(cell) {
			return json.RawMessage(cell), nil
		}
	case events.KindBool:
		switch strings.ToLower(cell) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	case events.KindDate:
		return m.date(t, cell)
	case events.KindIntList:
		if strings.HasPrefix(cell, "[") && json.Valid([]byte(cell)) {
			return json.RawMessage(cell), nil
		}
		parts := strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == '|' || r == ' ' })
		out := make([]json.RawMessage, 0, len(parts))
		for _, p := range parts {
			if !isJSONNumber(p) {
				return cell, nil
			}
			out = append(out, json.RawMessage(p))
		}
		return out, nil
	case events.KindStringList:
		if strings.HasPrefix(cell, "[") && json.Valid([]byte(cell)) {
			return json.RawMessage(cell), nil
		}
		parts := strings.Split(cell, ";")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, nil
	}
	return cell, nil
}

// dateTime reads a date-time cell: RFC 3339 as it is, otherwise time_format
// in time_zone, so a wall-clock time gets the offset in force that day
// (GMT +00:00 or BST +01:00 for Europe/London).
func (m *Mapping) dateTime(t *target, cell string) (any, error) {
	if mayBeRFC3339(cell) {
		if ts, err := time.Parse(time.RFC3339Nano, cell); err == nil {
			return ts.Format(time.RFC3339Nano), nil
		}
	}
	ts, err := time.ParseInLocation(m.TimeFormat, cell, m.loc)
	if err != nil {
		return nil, &events.FieldError{Field: t.key, Value: m.echo(t, cell), Why: fmt.Sprintf("want a date-time in the layout %q (time_format in mapping %s)", m.TimeFormat, m.file), Code: events.CodeBadValue}
	}
	// A wall-clock time skipped when the clocks go forward (01:30 on the
	// last Sunday of March in London) does not exist; Go would silently move
	// it by an hour. Parsed as UTC, the cell keeps its wall clock as written.
	if hasNoZone(m.TimeFormat) && nearZoneChange(ts) {
		var b1, b2 [64]byte
		if wall, err := time.Parse(m.TimeFormat, cell); err == nil && string(ts.AppendFormat(b1[:0], m.TimeFormat)) != string(wall.AppendFormat(b2[:0], m.TimeFormat)) {
			return nil, &events.FieldError{Field: t.key, Value: m.echo(t, cell), Why: fmt.Sprintf("does not exist in %s (the clocks went forward)", m.TimeZone), Code: events.CodeBadValue}
		}
	}
	return ts.Format(time.RFC3339), nil
}

// mayBeRFC3339 is false for a cell time.Parse(time.RFC3339Nano) must
// reject: shorter than 2006-01-02T15:04:05Z or without its T. (A failed
// parse builds an error, and most exports' cells are not RFC 3339.)
func mayBeRFC3339(cell string) bool { return len(cell) >= 20 && cell[10] == 'T' }

// nearZoneChange reports whether ts, parsed in its location, may have been
// moved off a wall-clock time that does not exist. Go moves such a time by
// the gap (an hour for summer time, a day at the most where a zone crossed
// the date line) across the transition that opened it, so ts then lies
// within the gap of the start or the end of its zone's period. Further
// from both, the wall clock is as written, and the check that costs two
// parses and two formats is not needed. TestNearZoneChange holds it to
// that check.
func nearZoneChange(ts time.Time) bool {
	const gap = 48 * time.Hour // twice the largest
	start, end := ts.ZoneBounds()
	return (!start.IsZero() && ts.Sub(start) < gap) || (!end.IsZero() && end.Sub(ts) <= gap)
}

func hasNoZone(layout string) bool {
	return !strings.Contains(layout, "Z07") && !strings.Contains(layout, "-07") && !strings.Contains(layout, "MST")
}

func (m *Mapping) date(t *target, cell string) (any, error) {
	d, err := time.Parse(m.DateFormat, cell)
	if err != nil {
		if d2, err2 := time.Parse(time.DateOnly, cell); err2 == nil {
			return d2.Format(time.DateOnly), nil
		}
		return nil, &events.FieldError{Field: t.key, Value: m.echo(t, cell), Why: fmt.Sprintf("want a date in the layout %q (date_format in mapping %s)", m.DateFormat, m.file), Code: events.CodeBadValue}
	}
	return d.Format(time.DateOnly), nil
}

// isJSONNumber reports whether s is a number in JSON's grammar, so it can be
// passed on verbatim.
// The grammar (RFC 8259 section 6): -? (0 | [1-9][0-9]*) (. [0-9]+)?
// ([eE] [+-]? [0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++ // trailing whitespace, as encoding/json allows
	}
	return i == len(s)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func quoteClip(s string) string {
	q := strconv.Quote(s)
	if len(q) > 80 {
		q = q[:77] + "..."
	}
	return q
}

func (m *Mapping) targetIndex(key string) int {
	for i := range m.targets {
		if m.targets[i].key == key {
			return i
		}
	}
	return -1
}
