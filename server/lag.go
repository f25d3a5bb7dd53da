package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// ConsumerLag is how many messages of topics the consumer group has not
// committed yet: for each partition, its high-water mark less the group's
// committed offset, or, where the group has committed nothing, less the
// partition's log-start offset (what retention has deleted is not lag),
// summed.
func ConsumerLag(ctx context.Context, client *kafka.Client, group string, topics []string) (int64, error) {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return 0, fmt.Errorf("consumer lag: metadata: %w", err)
	}
	offReq := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	fetchReq := &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{}}
	for _, t := range md.Topics {
		if t.Error != nil {
			return 0, fmt.Errorf("consumer lag: topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			offReq.Topics[t.Name] = append(offReq.Topics[t.Name], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
			fetchReq.Topics[t.Name] = append(fetchReq.Topics[t.Name], p.ID)
		}
	}
	if len(offReq.Topics) == 0 {
		return 0, nil
	}
	offs, err := client.ListOffsets(ctx, offReq)
	if err != nil {
		return 0, fmt.Errorf("consumer lag: high-water marks: %w", err)
	}
	committed, err := client.OffsetFetch(ctx, fetchReq)
	if err != nil {
		return 0, fmt.Errorf("consumer lag: committed offsets of %s: %w", group, err)
	}
	if errors.Is(committed.Error, kafka.GroupIdNotFound) {
		committed.Topics, committed.Error = nil, nil // the group has committed nothing yet
	}
	if committed.Error != nil {
		return 0, fmt.Errorf("consumer lag: committed offsets of %s: %w", group, committed.Error)
	}
	done := map[string]map[int]int64{}
	for topic, ps := range committed.Topics {
		done[topic] = map[int]int64{}
		for _, p := range ps {
			if p.Error == nil {
				done[topic][p.Partition] = p.CommittedOffset
			}
		}
	}
	var lag int64
	for topic, ps := range offs.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return 0, fmt.Errorf("consumer lag: %s/%d: %w", topic, p.Partition, p.Error)
			}
			from := max(p.FirstOffset, 0) // nothing committed: everything retained is lag
			if c, ok := done[topic][p.Partition]; ok && c > from {
				from = c
			}
			if p.LastOffset > from {
				lag += p.LastOffset - from
			}
		}
	}
	return lag, nil
}

// watchLag sets the consumer-lag gauge every interval until ctx ends. A
// failed sample is logged at debug level and leaves the gauge as it was.
func (s *Server) watchLag(ctx context.Context, every time.Duration) {
	tc := s.cfg.Transform
	if tc.Kafka == nil {
		return
	}
	brokers := tc.Brokers
	if len(brokers) == 0 {
		brokers = tc.Kafka.Brokers
	}
	tr, err := tc.Kafka.Transport()
	if err != nil || len(brokers) == 0 {
		s.log.Warn("consumer lag: not measured", "err", err)
		return
	}
	group := tc.GroupID
	if group == "" {
		group = "evalpipe-transform" // transform.Config's default
	}
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: 10 * time.Second}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		lag, err := ConsumerLag(ctx, client, group, tc.Kafka.Topics())
		if err == nil {
			s.m.consumerLag.Set(float64(lag))
		} else if ctx.Err() == nil {
			s.log.Debug("consumer lag: sample failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
