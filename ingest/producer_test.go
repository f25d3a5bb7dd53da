package ingest

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/segmentio/kafka-go"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
)

// countingTransport answers metadata requests for topic "t" (an error code
// for "missing") and counts the requests that reach it.
type countingTransport struct{ calls int }

func (c *countingTransport) RoundTrip(_ context.Context, _ net.Addr, req kafka.Request) (kafka.Response, error) {
	c.calls++
	m, ok := req.(*metadataAPI.Request)
	if !ok {
		return nil, errors.New("not metadata")
	}
	t := metadataAPI.ResponseTopic{Name: m.TopicNames[0], Partitions: make([]metadataAPI.ResponsePartition, 3)}
	if t.Name == "missing" {
		t.ErrorCode, t.Partitions = 3, nil
	}
	return &metadataAPI.Response{Topics: []metadataAPI.ResponseTopic{t}}, nil
}

// TestPartitionCounts: one topic's metadata is asked once and then
// answered from the last answer; an answer carrying an error, other
// requests, and requests for several topics go through every time; a
// cancelled context is refused, as the Transport refuses it.
func TestPartitionCounts(t *testing.T) {
	ct := &countingTransport{}
	p := &partitionCounts{RoundTripper: ct, counts: map[string]cachedMetadata{}}
	ctx := context.Background()
	ask := func(topics ...string) kafka.Response {
		t.Helper()
		r, _ := p.RoundTrip(ctx, nil, &metadataAPI.Request{TopicNames: topics})
		return r
	}
	for range 100 {
		if r := ask("t"); len(r.(*metadataAPI.Response).Topics[0].Partitions) != 3 {
			t.Fatalf("answer %+v", r)
		}
	}
	if ct.calls != 1 {
		t.Errorf("100 look-ups of one topic reached the transport %d times, want 1", ct.calls)
	}
	for range 3 {
		ask("missing")
		ask("t", "u")
		p.RoundTrip(ctx, nil, &metadataAPI.Request{TopicNames: []string{"t"}, AllowAutoTopicCreation: true})
		p.RoundTrip(ctx, nil, nil)
	}
	if ct.calls != 1+3*4 {
		t.Errorf("the transport saw %d requests, want %d", ct.calls, 1+3*4)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.RoundTrip(cancelled, nil, &metadataAPI.Request{TopicNames: []string{"t"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err %v", err)
	}
}
