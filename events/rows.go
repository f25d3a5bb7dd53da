package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Envelope holds the lake columns every family shares. The Kafka partition
// and offset record lineage: where in the log each row came from.
type Envelope struct {
	EventID        string    `parquet:"event_id"`
	Type           string    `parquet:"type,dict"`
	Schema         int32     `parquet:"schema"`
	OccurredAt     time.Time `parquet:"occurred_at,timestamp(microsecond)"`
	RecordedAt     time.Time `parquet:"recorded_at,timestamp(microsecond)"`
	Source         string    `parquet:"source,dict"`
	Service        string    `parquet:"service,dict"`
	Person         *string   `parquet:"person,optional"`
	ReferralID     *string   `parquet:"referral_id,optional"`
	Extra          *string   `parquet:"extra,optional"` // unknown data fields, as a JSON object
	KafkaPartition int32     `parquet:"kafka_partition"`
	KafkaOffset    int64     `parquet:"kafka_offset"`
	// KafkaTimestamp is the record's timestamp in the log: when the event
	// was published. The lake's date= partition is its UTC date.
	KafkaTimestamp time.Time `parquet:"kafka_timestamp,timestamp(microsecond)"`
	// Corrections (event.retracted, person.erased) may travel in any family.
	TargetEventID *string `parquet:"target_event_id,optional"`
}

// ReferralRow is a lake row of the referrals family.
type ReferralRow struct {
	Envelope
	Programme         *string `parquet:"programme,optional,dict"`
	ReferralSource    *string `parquet:"referral_source,optional,dict"`
	GPPractice        *string `parquet:"gp_practice,optional,dict"`
	AgeBand           *string `parquet:"age_band,optional,dict"`
	Gender            *string `parquet:"gender,optional,dict"`
	Ethnicity         *string `parquet:"ethnicity,optional,dict"`
	LongTermCondition *bool   `parquet:"long_term_condition,optional"`
	Problem           *string `parquet:"problem,optional,dict"`
	Complexity        *string `parquet:"complexity,optional,dict"`
	Status            *string `parquet:"status,optional,dict"`
	WorkerID          *string `parquet:"worker_id,optional,dict"`
	Detail            *string `parquet:"detail,optional"`
	Reason            *string `parquet:"reason,optional"`
	FollowUpOffered   *bool   `parquet:"follow_up_offered,optional"`
	Family            *string `parquet:"family,optional,dict"`
}

// SessionRow is a lake row of the sessions family.
type SessionRow struct {
	Envelope
	SessionID         *string `parquet:"session_id,optional"`
	Kind              *string `parquet:"kind,optional,dict"`
	Attendance        *string `parquet:"attendance,optional,dict"`
	WorkerID          *string `parquet:"worker_id,optional,dict"`
	WorkerRole        *string `parquet:"worker_role,optional,dict"`
	Step              *int32  `parquet:"step,optional"`
	CoDeliveredByPeer *bool   `parquet:"co_delivered_by_peer,optional"`
	DurationMin       *int32  `parquet:"duration_min,optional"`
	Setting           *string `parquet:"setting,optional,dict"`
	Intervention      *string `parquet:"intervention,optional,dict"`
	Reason            *string `parquet:"reason,optional"`
	Family            *string `parquet:"family,optional,dict"`
}

// OutcomeRow is a lake row of the outcomes family.
type OutcomeRow struct {
	Envelope
	Measure   *string  `parquet:"measure,optional,dict"`
	Timepoint *string  `parquet:"timepoint,optional,dict"`
	Weeks     *int32   `parquet:"weeks,optional"`
	SessionID *string  `parquet:"session_id,optional"`
	Items     []int32  `parquet:"items,list"`
	Total     *float64 `parquet:"total,optional"`
	VAS       *int32   `parquet:"vas,optional"`
	Level     *int32   `parquet:"level,optional"`
	Reason    *string  `parquet:"reason,optional"`
	Family    *string  `parquet:"family,optional,dict"`
}

// FeedbackRow is a lake row of the feedback family.
type FeedbackRow struct {
	Envelope
	FeedbackID     *string  `parquet:"feedback_id,optional"`
	Respondent     *string  `parquet:"respondent,optional,dict"`
	Channel        *string  `parquet:"channel,optional,dict"`
	Experience     *string  `parquet:"experience,optional,dict"`
	Text           *string  `parquet:"text,optional"`
	ConsentToQuote *bool    `parquet:"consent_to_quote,optional"`
	Codes          []string `parquet:"codes,list"`
	Coder          *string  `parquet:"coder,optional,dict"`
	Codebook       *string  `parquet:"codebook,optional,dict"`
	ActionID       *string  `parquet:"action_id,optional"`
	Summary        *string  `parquet:"summary,optional"`
	FeedbackIDs    []string `parquet:"feedback_ids,list"`
	Reason         *string  `parquet:"reason,optional"`
	Family         *string  `parquet:"family,optional,dict"`
}

// CrisisRow is a lake row of the crisis family.
type CrisisRow struct {
	Envelope
	Kind       *string `parquet:"kind,optional,dict"`
	BedDays    *int32  `parquet:"bed_days,optional"`
	Experience *string `parquet:"experience,optional,dict"`
	Reason     *string `parquet:"reason,optional"`
	Family     *string `parquet:"family,optional,dict"`
}

// ProgrammeRow is a lake row of the programme family.
type ProgrammeRow struct {
	Envelope
	Programme         *string  `parquet:"programme,optional,dict"`
	PeriodStart       *int32   `parquet:"period_start,optional,date"` // days since 1970-01-01 (Parquet DATE)
	PeriodEnd         *int32   `parquet:"period_end,optional,date"`
	AmountGBP         *float64 `parquet:"amount_gbp,optional"`
	Category          *string  `parquet:"category,optional,dict"`
	WorkerID          *string  `parquet:"worker_id,optional,dict"`
	Facilitator       *string  `parquet:"facilitator,optional"`
	Notes             *string  `parquet:"notes,optional"`
	Activity          *string  `parquet:"activity,optional,dict"`
	Participants      *int32   `parquet:"participants,optional"`
	Hours             *float64 `parquet:"hours,optional"`
	LedByServiceUsers *bool    `parquet:"led_by_service_users,optional"`
	Reason            *string  `parquet:"reason,optional"`
	Family            *string  `parquet:"family,optional,dict"`
}

// DeadLetterRow is a lake row of the dead-letter family: input that failed
// to parse or validate, with direct identifiers removed.
type DeadLetterRow struct {
	EventID        *string   `parquet:"event_id,optional"`
	Type           *string   `parquet:"type,optional,dict"`
	Reason         string    `parquet:"reason"`
	Code           string    `parquet:"code,dict"`
	Origin         string    `parquet:"origin,dict"` // the file, request or topic it came from
	Line           int64     `parquet:"line"`        // line number in Origin, 0 when not a file
	Raw            string    `parquet:"raw"`         // the input with direct identifiers removed
	RecordedAt     time.Time `parquet:"recorded_at,timestamp(microsecond)"`
	KafkaPartition int32     `parquet:"kafka_partition"`
	KafkaOffset    int64     `parquet:"kafka_offset"`
	KafkaTimestamp time.Time `parquet:"kafka_timestamp,timestamp(microsecond)"`
}

// DeadLetterMessage is the message ingest (or transform) sends for bad input.
type DeadLetterMessage struct {
	EventID    string    `json:"event_id,omitempty"`
	Type       string    `json:"type,omitempty"`
	Reason     string    `json:"reason"`
	Code       string    `json:"code"`
	Origin     string    `json:"origin"`
	Line       int64     `json:"line,omitempty"`
	Raw        string    `json:"raw"`
	RecordedAt time.Time `json:"recorded_at"`
}

// RowType returns the Go type of a family's lake rows.
func RowType(f Family) (reflect.Type, error) {
	switch f {
	case Referrals:
		return reflect.TypeFor[ReferralRow](), nil
	case Sessions:
		return reflect.TypeFor[SessionRow](), nil
	case Outcomes:
		return reflect.TypeFor[OutcomeRow](), nil
	case Feedback:
		return reflect.TypeFor[FeedbackRow](), nil
	case Crisis:
		return reflect.TypeFor[CrisisRow](), nil
	case Programme:
		return reflect.TypeFor[ProgrammeRow](), nil
	case DeadLetter:
		return reflect.TypeFor[DeadLetterRow](), nil
	}
	return nil, fmt.Errorf("unknown family %q", f)
}

// columnIndex maps, per family, a data field name to the struct field that
// holds it. Built from the parquet tags, so the row types above are the only
// place a column is named.
var columnIndex = func() map[Family]map[string][]int {
	out := map[Family]map[string][]int{}
	for _, f := range append(append([]Family{}, Families...), DeadLetter) {
		t, _ := RowType(f)
		m := map[string][]int{}
		for _, sf := range reflect.VisibleFields(t) {
			tag := sf.Tag.Get("parquet")
			if tag == "" {
				continue
			}
			m[strings.Split(tag, ",")[0]] = sf.Index
		}
		out[f] = m
	}
	return out
}()

// Columns lists a family's lake column names, sorted.
func Columns(f Family) []string {
	var out []string
	for name := range columnIndex[f] {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Row converts a validated event into its family's lake row (a pointer to
// one of the *Row types), stamped with its Kafka partition and offset, and
// with recorded_at standing in for the Kafka timestamp (see RowAt).
func (e *Event) Row(partition int32, offset int64) (any, error) {
	return e.RowAt(partition, offset, e.RecordedAt)
}

// RowAt is Row with the record's Kafka timestamp.
func (e *Event) RowAt(partition int32, offset int64, kafkaTime time.Time) (any, error) {
	fam := e.Family()
	t, err := RowType(fam)
	if err != nil || fam == DeadLetter {
		return nil, fmt.Errorf("event %s: no lake row for type %q", e.EventID, e.Type)
	}
	v := reflect.New(t)
	// Envelope is the first field of every family's row type (were it not,
	// the type assertion would panic in every test that builds a row);
	// Field(0) spares FieldByName's search by name on every row.
	env := v.Elem().Field(0).Addr().Interface().(*Envelope)
	*env = Envelope{
		EventID: e.EventID, Type: e.Type, Schema: int32(e.Schema),
		OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt,
		Source: e.Source, Service: e.Service,
		Person: optString(e.Person), ReferralID: optString(e.ReferralID),
		KafkaPartition: partition, KafkaOffset: offset, KafkaTimestamp: kafkaTime.UTC().Truncate(time.Microsecond),
	}
	cols := columnIndex[fam]
	var extra map[string]json.RawMessage
	for k, val := range e.Data {
		idx, ok := cols[k]
		if raw, isRaw := val.(json.RawMessage); isRaw || !ok {
			if !isRaw {
				b, err := json.Marshal(val)
				if err != nil {
					return nil, err
				}
				raw = b
			}
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[k] = raw
			continue
		}
		if err := setColumn(v.Elem().FieldByIndex(idx), val); err != nil {
			return nil, fmt.Errorf("event %s: column %s: %w", e.EventID, k, err)
		}
	}
	if extra != nil {
		b, err := json.Marshal(extra) // map keys sorted: deterministic
		if err != nil {
			return nil, err
		}
		s := string(b)
		env.Extra = &s
	}
	return v.Interface(), nil
}

func setColumn(dst reflect.Value, val any) error {
	switch x := val.(type) {
	case string:
		switch dst.Type() {
		case reflect.TypeFor[*string]():
			dst.Set(reflect.ValueOf(&x))
			return nil
		case reflect.TypeFor[*int32]():
			// A Parquet DATE: days since the epoch. (parquet-go writes a
			// *time.Time tagged date as nanoseconds, which readers take for
			// days: the year 66027.)
			d, err := time.Parse(time.DateOnly, x)
			if err != nil {
				return err
			}
			days := int32(d.Unix() / 86400)
			dst.Set(reflect.ValueOf(&days))
			return nil
		}
	case bool:
		if dst.Type() == reflect.TypeFor[*bool]() {
			dst.Set(reflect.ValueOf(&x))
			return nil
		}
	case int64:
		switch dst.Type() {
		case reflect.TypeFor[*int32]():
			v := int32(x)
			dst.Set(reflect.ValueOf(&v))
			return nil
		case reflect.TypeFor[*float64]():
			v := float64(x)
			dst.Set(reflect.ValueOf(&v))
			return nil
		}
	case float64:
		if dst.Type() == reflect.TypeFor[*float64]() {
			dst.Set(reflect.ValueOf(&x))
			return nil
		}
	case []int64:
		if dst.Type() == reflect.TypeFor[[]int32]() {
			out := make([]int32, len(x))
			for i, v := range x {
				out[i] = int32(v)
			}
			dst.Set(reflect.ValueOf(out))
			return nil
		}
	case []string:
		if dst.Type() == reflect.TypeFor[[]string]() {
			dst.Set(reflect.ValueOf(x))
			return nil
		}
	}
	return fmt.Errorf("value of type %T does not fit column type %s", val, dst.Type())
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
