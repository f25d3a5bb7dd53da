package events

import "testing"

// BenchmarkDecodeDemo: DecodeAppendNoData, as ingest calls it, on lines of
// the shapes `evalpipe demo-data` writes (source lines with an NHS number
// and +01:00 offsets): an outcome, and the referral family's commonest
// three. It uses nothing but the package's exported entry points, so the
// same file runs against an older tree for an old-vs-new comparison.
//
//	go test ./events -run '^$' -bench DecodeDemo
func BenchmarkDecodeDemo(b *testing.B) {
	opt := fixedOpts(b)
	for _, c := range []struct{ name, line string }{
		{"outcome", `{"event_id":"tt-r000001-s01-phq9","type":"outcome.recorded","occurred_at":"2024-04-08T11:00:00+01:00","recorded_at":"2024-04-08T11:11:00+01:00","source":"iaptus-islington","service":"tt-islington","nhs_number":"9997129059","referral_id":"tt-r000001","data":{"items":[1,2,2,3,1,3,1,1,0],"measure":"phq9","session_id":"A00000101","timepoint":"baseline","total":14}}`},
		{"referral_received", `{"event_id":"tt-r000001-rcv","type":"referral.received","occurred_at":"2024-04-01T07:06:00+01:00","recorded_at":"2024-04-01T08:52:00+01:00","source":"iaptus-islington","service":"tt-islington","nhs_number":"9997129059","date_of_birth":"1962-11-22","referral_id":"tt-r000001","data":{"complexity":"standard","ethnicity":"other","gender":"male","gp_practice":"F83015","long_term_condition":false,"problem":"gad","programme":"talking_therapies","referral_source":"self"}}`},
		{"referral_status", `{"event_id":"tt-r000008-st-contacted","type":"referral.status_changed","occurred_at":"2024-04-03T09:30:00+01:00","recorded_at":"2024-04-03T15:18:00+01:00","source":"iaptus-islington","service":"tt-islington","nhs_number":"9996927105","referral_id":"tt-r000008","data":{"status":"contacted"}}`},
		{"referral_ended", `{"event_id":"tt-r000009-end","type":"referral.ended","occurred_at":"2024-04-08T15:30:00+01:00","recorded_at":"2024-04-09T13:00:00+01:00","source":"iaptus-islington","service":"tt-islington","nhs_number":"9995296896","referral_id":"tt-r000009","data":{"follow_up_offered":false,"reason":"declined"}}`},
	} {
		line := []byte(c.line)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				if _, buf, err = DecodeAppendNoData(buf[:0], line, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
