package ingest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/compress/snappy"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
)

// kafka-go compresses Snappy with klauspost's "better" encoder by default,
// which cost ingest a tenth of its CPU. The fast encoder is 3-4 times
// faster on event JSON for about 5% more bytes (the fixture: 8.5:1 rather
// than 8.9:1). The codec is kafka-go's one global: this sets it for every
// Snappy writer in the process; ingest's is the only one.
func init() { compress.SnappyCodec.Compression = snappy.FasterCompression }

// maxBatchBytes is the producer's batch limit, Kafka's default
// message.max.bytes: an uncompressed batch this size always fits.
const maxBatchBytes = 1 << 20

// maxPartitionBatch bounds the messages of one produce request to one
// partition. kafka-go allocates each partition batch's message slice at the
// writer's BatchSize (152 bytes a message, zeroed), which at 5,000 was 5 MB
// for every WriteMessages, most of it unused: a batch's records are spread
// over the partitions. A fuller partition is sent in more requests, in order.
const maxPartitionBatch = 1000

// maxMessageBytes is the largest key+value produced; a valid event larger
// than this is dead-lettered rather than failing the whole run.
const maxMessageBytes = maxBatchBytes - 1024

// newWriter returns the producer, after checking that every topic exists:
// ingest never creates topics, and a missing one is a deployment error
// better reported at once than after ten retries.
func newWriter(ctx context.Context, cfg *Config) (*kafka.Writer, error) {
	tr, err := cfg.Kafka.Transport()
	if err != nil {
		return nil, fmt.Errorf("ingest: kafka transport: %w", err)
	}
	topics := cfg.Kafka.Topics()
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: tr, Timeout: 15 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("ingest: reach Kafka at %s: %w", strings.Join(cfg.Brokers, ","), err)
	}
	have := map[string]bool{}
	for _, t := range md.Topics {
		if t.Error == nil && len(t.Partitions) > 0 {
			have[t.Name] = true
		}
	}
	var missing []string
	for _, t := range topics {
		if !have[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("ingest: Kafka at %s has no topic %s; create the topics first (the embedded broker creates them on start)", strings.Join(cfg.Brokers, ","), strings.Join(missing, ", "))
	}
	return &kafka.Writer{
		Addr:      kafka.TCP(cfg.Brokers...),
		Transport: &partitionCounts{RoundTripper: tr, counts: map[string]cachedMetadata{}},
		// The Java client's partitioner, so that Java producers of the same
		// keys agree on partitions; Consistent keeps nil keys stable too.
		Balancer:     &kafka.Murmur2Balancer{Consistent: true},
		Compression:  kafka.Snappy,
		RequiredAcks: kafka.RequireAll,
		BatchSize:    min(cfg.BatchSize, maxPartitionBatch),
		BatchBytes:   maxBatchBytes,
		// WriteMessages is given a whole batch at once, and each
		// partition's share of it is added to that partition's batch under
		// the partition's lock, which the timer must take before it can
		// send the batch: so the batch always holds the whole share, and
		// waiting longer gains nothing. (2 ms was a sixth of a 5,000-event
		// WriteMessages on the in-process broker.)
		BatchTimeout:           time.Microsecond,
		WriteTimeout:           30 * time.Second,
		MaxAttempts:            10,
		AllowAutoTopicCreation: false,
	}, nil
}

// partitionCounts answers the writer's metadata requests for one topic from
// the last answer, when it is under a second old. kafka-go's Writer asks
// for its topic's partition count once for every message, and its
// Transport, though it caches the metadata, filtered and copied it for
// each: 4% of ingest's CPU and 6% of its allocations, all of it on the
// producer's path before the batch is sent. The Transport's own cache
// (kafkaconf: 2 s) already lets an answer be that old; errors, and answers
// that carry one, are not kept.
type partitionCounts struct {
	kafka.RoundTripper
	mu     sync.Mutex
	counts map[string]cachedMetadata
}

type cachedMetadata struct {
	resp *metadataAPI.Response
	at   time.Time
}

const partitionCountsTTL = time.Second

func (p *partitionCounts) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	m, ok := req.(*metadataAPI.Request)
	if !ok || len(m.TopicNames) != 1 || m.AllowAutoTopicCreation {
		return p.RoundTripper.RoundTrip(ctx, addr, req)
	}
	if err := ctx.Err(); err != nil {
		// As the Transport answers: WriteMessages then stops before
		// handing any more messages to the partitions' batches.
		return nil, err
	}
	topic := m.TopicNames[0]
	now := time.Now()
	p.mu.Lock()
	c, hit := p.counts[topic]
	p.mu.Unlock()
	if hit && now.Sub(c.at) < partitionCountsTTL {
		return c.resp, nil
	}
	resp, err := p.RoundTripper.RoundTrip(ctx, addr, req)
	if r, isMeta := resp.(*metadataAPI.Response); err == nil && isMeta && len(r.Topics) == 1 && r.Topics[0].Name == topic && r.Topics[0].ErrorCode == 0 {
		p.mu.Lock()
		p.counts[topic] = cachedMetadata{resp: r, at: now}
		p.mu.Unlock()
	}
	return resp, err
}
