package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/server"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The consumer lag is the high-water marks less the group's commits: all
// of the messages before the group commits, none once it has committed
// them all.
func TestConsumerLag(t *testing.T) {
	topics := []string{"t.a", "t.b"}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(c.ListenAddrs()...), Timeout: 10 * time.Second}
	const group = "evalpipe-transform"

	lag := func() int64 {
		t.Helper()
		n, err := server.ConsumerLag(ctx, client, group, topics)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := lag(); n != 0 {
		t.Fatalf("empty topics: lag %d, want 0", n)
	}
	w := &kafka.Writer{Addr: kafka.TCP(c.ListenAddrs()...), Balancer: &kafka.RoundRobin{}, BatchTimeout: time.Millisecond}
	defer w.Close()
	var msgs []kafka.Message
	for i := range 30 {
		msgs = append(msgs, kafka.Message{Topic: topics[i%2], Value: fmt.Appendf(nil, "m%d", i)})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	// The fake broker may show a produced batch a moment after it acked it.
	waitFor(t, 10*time.Second, "lag 30 with nothing committed", func() bool { return lag() == 30 })

	// The group consumes and commits everything, partition by partition;
	// the lag falls to 0.
	offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topics[0]: {kafka.LastOffsetOf(0), kafka.LastOffsetOf(1), kafka.LastOffsetOf(2)},
		topics[1]: {kafka.LastOffsetOf(0), kafka.LastOffsetOf(1), kafka.LastOffsetOf(2)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	commit := func(topic string, part int, off int64) {
		t.Helper()
		resp, err := client.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1,
			Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: part, Offset: off}}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ps := range resp.Topics {
			for _, p := range ps {
				if p.Error != nil {
					t.Fatal(p.Error)
				}
			}
		}
	}
	first := offs.Topics[topics[0]][0]
	if first.LastOffset < 2 {
		t.Fatalf("partition %d of %s holds %d messages, want 2 or more", first.Partition, topics[0], first.LastOffset)
	}

	// Retention deletes a partition's first two messages: they are no
	// longer lag for a group that has committed nothing.
	kc, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	var del kadm.Offsets
	del.AddOffset(topics[0], int32(first.Partition), 2, -1)
	resps, err := kadm.NewClient(kc).DeleteRecords(ctx, del)
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range resps {
		for _, p := range ps {
			if p.Err != nil {
				t.Fatal(p.Err)
			}
		}
	}
	if n := lag(); n != 28 {
		t.Errorf("after retention deleted 2 messages: lag %d, want 28", n)
	}

	commit(topics[0], first.Partition, first.LastOffset-1) // one message short
	if n := lag(); n != 1+30-first.LastOffset {
		t.Errorf("after a partial commit: lag %d, want %d", n, 1+30-first.LastOffset)
	}
	for topic, ps := range offs.Topics {
		for _, p := range ps {
			commit(topic, p.Partition, p.LastOffset)
		}
	}
	if n := lag(); n != 0 {
		t.Errorf("caught up: lag %d, want 0", n)
	}
}
