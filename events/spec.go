package events

import "sort"

// Family is a group of event types that share a Kafka topic and a lake folder.
type Family string

// The families of EVENTS.md, plus the dead-letter family that carries bad input.
const (
	Referrals  Family = "referrals"
	Sessions   Family = "sessions"
	Outcomes   Family = "outcomes"
	Feedback   Family = "feedback"
	Crisis     Family = "crisis"
	Programme  Family = "programme"
	DeadLetter Family = "deadletter"
)

// Families lists the families that carry valid events, in topic order.
var Families = []Family{Referrals, Sessions, Outcomes, Feedback, Crisis, Programme}

// Kind is the JSON shape a data field must have.
type Kind int

// Field kinds. Each maps to one Parquet physical type (see rows.go).
const (
	KindString     Kind = iota // JSON string
	KindEnum                   // JSON string from Field.Values
	KindBool                   // JSON boolean
	KindInt                    // JSON integer, within [Min, Max] when Max > Min
	KindNumber                 // JSON number
	KindDate                   // JSON string YYYY-MM-DD
	KindIntList                // JSON array of integers
	KindStringList             // JSON array of strings
)

func (k Kind) String() string {
	return [...]string{"string", "enum", "boolean", "integer", "number", "date", "integer[]", "string[]"}[k]
}

// Field is one field of a type's `data` object.
type Field struct {
	Name     string
	Kind     Kind
	Required bool
	Values   []string // KindEnum: the allowed values
	Min, Max int64    // KindInt: inclusive range, checked when Max > Min
	MaxLen   int      // KindString: maximum length in characters, 0 for none
	Doc      string

	boxed   []any  // Values as interface values (see fastjson.go)
	jsonKey []byte // the name as a JSON object's key, with the colon
}

// TypeSpec is the definition of one event type: its family, whether it belongs
// to a referral, and its data fields. Validation, the Parquet columns and the
// data dictionary are all derived from it.
type TypeSpec struct {
	Name          string
	Family        Family
	NeedsReferral bool
	Doc           string
	Fields        []Field
	// Check, when set, validates relations between fields after each field
	// has passed its own checks (for example an outcome's items against its
	// measure). It may normalise data in place (for example fill `total`).
	Check func(data map[string]any) error

	sortedFields []int // Fields' indexes in the order of their names (see fastjson.go)
	ageBand      int   // the index of the age_band field, or -1
}

// Enumerations shared by several types.
var (
	experienceValues = []string{"excellent", "good", "fair", "poor", "very_poor"}
	programmeValues  = []string{"talking_therapies", "peer_coaching", "crisis", "other"}
	// AgeBands are the age bands of referral.received, in order.
	AgeBands = []string{"16-17", "18-25", "26-35", "36-45", "46-55", "56-64", "65-74", "75+"}
)

// Corrections apply to any family: ingest routes them to the family named in
// data.family (default referrals) so that they travel with that person's events.
var correctionFamilyValues = []string{"referrals", "sessions", "outcomes", "feedback", "crisis", "programme"}

// Types is the event contract, version 1, as EVENTS.md defines it.
var Types = []TypeSpec{
	{Name: "referral.received", Family: Referrals, NeedsReferral: true, Doc: "A referral into a service: the start of an episode of care.", Fields: []Field{
		{Name: "programme", Kind: KindEnum, Required: true, Values: programmeValues, Doc: "The programme the referral is to."},
		{Name: "referral_source", Kind: KindEnum, Required: true, Values: []string{"self", "gp", "navigator", "social_worker", "nurse", "psychiatrist", "pharmacist", "health_coach", "support_worker", "psychologist", "other"}, Doc: "Who referred."},
		{Name: "gp_practice", Kind: KindString, Doc: "GP practice code."},
		{Name: "age_band", Kind: KindEnum, Values: AgeBands, Doc: "Age band at referral; derived by ingest from date_of_birth when given."},
		{Name: "gender", Kind: KindEnum, Values: []string{"female", "male", "non_binary", "not_stated"}},
		{Name: "ethnicity", Kind: KindEnum, Values: []string{"white", "mixed", "asian", "black", "other", "not_stated"}},
		{Name: "long_term_condition", Kind: KindBool},
		{Name: "problem", Kind: KindEnum, Values: []string{"depression", "gad", "panic", "social_anxiety", "ocd", "ptsd", "health_anxiety", "specific_phobia", "mixed_anxiety_depression", "other"}, Doc: "Presenting problem; selects the anxiety-disorder-specific measure."},
		{Name: "complexity", Kind: KindEnum, Values: []string{"standard", "complex"}},
	}},
	{Name: "referral.status_changed", Family: Referrals, NeedsReferral: true, Doc: "A step along the referral's pathway.", Fields: []Field{
		{Name: "status", Kind: KindEnum, Required: true, Values: []string{"contacted", "agreed", "declined", "allocated", "assessed", "waiting", "onward_plan"}},
		{Name: "worker_id", Kind: KindString, Doc: "The clinician or coach allocated."},
		{Name: "detail", Kind: KindString, MaxLen: 2000},
	}},
	{Name: "referral.ended", Family: Referrals, NeedsReferral: true, Doc: "The end of an episode of care.", Fields: []Field{
		{Name: "reason", Kind: KindEnum, Required: true, Values: []string{"completed", "dropped_out", "declined", "not_suitable", "referred_on", "moved_away", "died", "other"}},
		{Name: "follow_up_offered", Kind: KindBool},
	}},
	{Name: "session.recorded", Family: Sessions, NeedsReferral: true, Doc: "One appointment or contact, whatever its outcome.", Fields: []Field{
		{Name: "session_id", Kind: KindString, Required: true},
		{Name: "kind", Kind: KindEnum, Required: true, Values: []string{"assessment", "treatment", "review", "follow_up", "group", "peer_visit", "phone_contact"}},
		{Name: "attendance", Kind: KindEnum, Required: true, Values: []string{"attended", "dna", "cancelled_by_patient", "cancelled_by_service"}},
		{Name: "worker_id", Kind: KindString, Required: true},
		{Name: "worker_role", Kind: KindEnum, Required: true, Values: []string{"pwp", "hi_therapist", "counsellor", "peer_worker", "peer_coach", "navigator", "other"}},
		{Name: "step", Kind: KindInt, Min: 2, Max: 3, Doc: "Stepped-care step."},
		{Name: "co_delivered_by_peer", Kind: KindBool, Doc: "A peer worker delivered it alongside the clinician."},
		{Name: "duration_min", Kind: KindInt, Min: 1, Max: 600},
		{Name: "setting", Kind: KindEnum, Values: []string{"gp_surgery", "home", "community", "phone", "video", "hospital", "other"}},
		{Name: "intervention", Kind: KindString},
	}},
	{Name: "outcome.recorded", Family: Outcomes, NeedsReferral: true, Doc: "One completed outcome measure.", Check: checkOutcome, Fields: []Field{
		{Name: "measure", Kind: KindEnum, Required: true, Values: MeasureNames()},
		{Name: "timepoint", Kind: KindEnum, Required: true, Values: []string{"baseline", "session", "discharge", "follow_up"}},
		{Name: "weeks", Kind: KindInt, Min: 0, Max: 520, Doc: "Weeks after discharge, for follow_up."},
		{Name: "session_id", Kind: KindString},
		{Name: "items", Kind: KindIntList, Doc: "Item responses in questionnaire order."},
		{Name: "total", Kind: KindNumber, Doc: "Score; computed from items when absent."},
		{Name: "vas", Kind: KindInt, Min: 0, Max: 100, Doc: "EQ VAS (eq5d5l only)."},
		{Name: "level", Kind: KindInt, Min: 1, Max: 4, Doc: "PAM level (pam only)."},
	}},
	{Name: "feedback.received", Family: Feedback, Doc: "A piece of feedback.", Fields: []Field{
		{Name: "feedback_id", Kind: KindString, Required: true},
		{Name: "respondent", Kind: KindEnum, Required: true, Values: []string{"service_user", "non_completer", "carer", "staff", "peer_worker", "stakeholder"}},
		{Name: "channel", Kind: KindEnum, Required: true, Values: []string{"peq", "website", "phone_survey", "interview", "advisory_group", "waiting_room", "other"}},
		{Name: "experience", Kind: KindEnum, Values: experienceValues},
		{Name: "text", Kind: KindString, MaxLen: 20000},
		{Name: "consent_to_quote", Kind: KindBool, Doc: "Default false."},
	}},
	{Name: "feedback.coded", Family: Feedback, Doc: "An evaluator's thematic coding of one piece of feedback.", Fields: []Field{
		{Name: "feedback_id", Kind: KindString, Required: true},
		{Name: "codes", Kind: KindStringList, Required: true},
		{Name: "coder", Kind: KindString, Required: true},
		{Name: "codebook", Kind: KindString, Required: true},
	}},
	{Name: "action.taken", Family: Feedback, Doc: "You said, we did.", Fields: []Field{
		{Name: "action_id", Kind: KindString, Required: true},
		{Name: "summary", Kind: KindString, Required: true, MaxLen: 5000},
		{Name: "codes", Kind: KindStringList, Required: true},
		{Name: "feedback_ids", Kind: KindStringList},
	}},
	{Name: "crisis.contact", Family: Crisis, NeedsReferral: true, Doc: "A contact with a crisis or acute service.", Fields: []Field{
		{Name: "kind", Kind: KindEnum, Required: true, Values: []string{"ae_attendance", "acute_admission", "crisis_team_contact", "crisis_line_call", "sanctuary_visit", "section_136", "other"}},
		{Name: "bed_days", Kind: KindInt, Min: 0, Max: 3650},
		{Name: "experience", Kind: KindEnum, Values: experienceValues},
	}},
	{Name: "cost.recorded", Family: Programme, Doc: "Programme cost for a period.", Fields: []Field{
		{Name: "programme", Kind: KindEnum, Required: true, Values: programmeValues},
		{Name: "period_start", Kind: KindDate, Required: true},
		{Name: "period_end", Kind: KindDate, Required: true},
		{Name: "amount_gbp", Kind: KindNumber, Required: true},
		{Name: "category", Kind: KindEnum, Required: true, Values: []string{"staff", "training", "overheads", "other"}},
	}},
	{Name: "consultation.held", Family: Programme, NeedsReferral: false, Doc: "A reflective recovery consultation with one clinician.", Fields: []Field{
		{Name: "worker_id", Kind: KindString, Required: true},
		{Name: "facilitator", Kind: KindString, Required: true},
		{Name: "notes", Kind: KindString, MaxLen: 20000},
	}},
	{Name: "involvement.recorded", Family: Programme, Doc: "Service-user involvement activity.", Fields: []Field{
		{Name: "activity", Kind: KindEnum, Required: true, Values: []string{"advisory_group", "recruitment_panel", "co_design", "training_delivery", "research_role", "peer_forum", "other"}},
		{Name: "participants", Kind: KindInt, Required: true, Min: 0, Max: 100000},
		{Name: "hours", Kind: KindNumber, Required: true},
		{Name: "led_by_service_users", Kind: KindBool, Required: true},
	}},
	{Name: "event.retracted", Family: "", Doc: "A correction: the target event disappears from every derived view.", Fields: []Field{
		{Name: "target_event_id", Kind: KindString, Required: true},
		{Name: "reason", Kind: KindString, Required: true, MaxLen: 2000},
		{Name: "family", Kind: KindEnum, Values: correctionFamilyValues, Doc: "The topic family to route the correction to (default referrals)."},
	}},
	{Name: "person.erased", Family: "", Doc: "Right to erasure: the envelope's person disappears from every derived view.", Fields: []Field{
		{Name: "family", Kind: KindEnum, Values: correctionFamilyValues, Doc: "The topic family to route the correction to (default referrals)."},
	}},
}

var typeIndex = func() map[string]*TypeSpec {
	m := make(map[string]*TypeSpec, len(Types))
	for i := range Types {
		m[Types[i].Name] = &Types[i]
	}
	return m
}()

// Lookup returns the spec of the named type, or nil.
func Lookup(name string) *TypeSpec { return typeIndex[name] }

// TypeNames lists every type name, sorted.
func TypeNames() []string {
	names := make([]string, 0, len(Types))
	for _, t := range Types {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return names
}

// IsCorrection reports whether a type applies to any family.
func (t *TypeSpec) IsCorrection() bool { return t.Family == "" }
