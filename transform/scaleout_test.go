package transform_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalpipe/evalpipe/broker"
	"github.com/evalpipe/evalpipe/demo"
	"github.com/evalpipe/evalpipe/events"
	"github.com/evalpipe/evalpipe/ingest"
	"github.com/evalpipe/evalpipe/internal/testca"
	"github.com/evalpipe/evalpipe/kafkaconf"
	"github.com/evalpipe/evalpipe/lake"
	"github.com/evalpipe/evalpipe/transform"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// TestScaleOut is the pipeline against a cluster rather than the embedded
// broker: three kfake brokers on loopback speaking TLS (a CA made here, a
// certificate for 127.0.0.1) with SASL/SCRAM-SHA-256, reached only through
// kafkaconf.Config as a user's config file would. Ingest publishes demo
// exports through it, three transform Runs share the 21 partitions in one
// consumer group (each writes its share), and every ingested event is in the lake exactly once. A
// wrong password fails with an error that says it is authentication.
func TestScaleOut(t *testing.T) {
	dir := t.TempDir()
	addrs, caFile := testca.Cluster(t, dir, kfake.DefaultNumPartitions(3))
	k := &kafkaconf.Config{Brokers: addrs, TLS: true, CAFile: caFile,
		SASLMechanism: "scram-sha-256", SASLUser: testca.User, SASLPassword: testca.Password}
	if err := k.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tr, err := k.Transport()
	if err != nil {
		t.Fatal(err)
	}
	if err := broker.EnsureTopics(ctx, addrs, tr, k.Topics(), 3); err != nil {
		t.Fatal(err)
	}

	t.Run("wrong password", func(t *testing.T) {
		bad := *k
		bad.SASLPassword = "wrong"
		// What every command does first (broker.Resolve).
		_, _, err := broker.Resolve(ctx, filepath.Join(dir, "unused"), &bad)
		if err == nil || !strings.Contains(err.Error(), "SASL Authentication Failed") {
			t.Errorf("broker.Resolve with a wrong password: %v; want SASL Authentication Failed", err)
		}
		runCtx, runCancel := context.WithTimeout(ctx, 40*time.Second)
		defer runCancel()
		_, err = transform.Run(runCtx, transform.Config{Kafka: &bad, Lake: filepath.Join(dir, "nolake"), UntilCaughtUp: true, Logger: quiet()})
		t.Logf("transform.Run: %v", err)
		if err == nil || !strings.Contains(err.Error(), "SASL Authentication Failed") {
			t.Errorf("transform.Run with a wrong password: %v; want a SASL authentication error", err)
		}
	})

	// Three continuous transformers join one group first, so the group
	// splits the 21 partitions between them; then ingest publishes demo
	// exports, and the test waits until the lake holds every event.
	root := filepath.Join(dir, "lake")
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	stats := make([]transform.Stats, 3)
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			stats[i], errs[i] = transform.Run(runCtx, transform.Config{Kafka: k, Lake: root,
				MaxFileRows: 300, IdleFlush: 500 * time.Millisecond, Logger: quiet()})
		})
	}

	// Produce only once the group is stable with all three members holding
	// partitions: otherwise the first to join can drain every partition
	// before the others are assigned any, and the test proves nothing about
	// sharing.
	waitForGroup(t, k, addrs, "evalpipe-transform", 3)

	input := filepath.Join(dir, "input")
	if _, err := demo.Generate(ctx, demo.Config{Referrals: 150, Seed: 1, Start: day0, Months: 12}, input); err != nil {
		t.Fatal(err)
	}
	ps, err := events.NewPseudonymiser([]byte("scale-out-test-key-of-32-bytes!!"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Ingest(ctx, ingest.Config{Kafka: k, Brokers: addrs, Pseudonymiser: ps,
		StateDir: filepath.Join(dir, "state"), Logger: quiet()}, input)
	if err != nil {
		t.Fatalf("ingest through TLS+SCRAM: %v", err)
	}
	if sum.Ingested < 1000 {
		t.Fatalf("ingested %d events, want the demo's thousands", sum.Ingested)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		files, _ := lake.Files(root)
		var n int64
		for _, f := range files {
			n += f.Rows
		}
		if n >= sum.Ingested {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute the lake holds %d of %d events", n, sum.Ingested)
		}
	}
	stop()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("transform: %v", err)
	}
	var rows int64
	working := 0
	for _, s := range stats {
		rows += s.TotalRows()
		if s.TotalRows() > 0 {
			working++
		}
	}
	t.Logf("rows per transformer: %d, %d, %d", stats[0].TotalRows(), stats[1].TotalRows(), stats[2].TotalRows())
	if working < 3 {
		t.Errorf("only %d of 3 transformers wrote rows: the partitions were not shared", working)
	}
	if rows != sum.Ingested {
		t.Errorf("transformers wrote %d rows, ingest produced %d", rows, sum.Ingested)
	}
	ids := lakeIDs(t, root)
	twice := 0
	for _, n := range ids {
		if n != 1 {
			twice++
		}
	}
	if int64(len(ids)) != sum.Ingested || twice > 0 {
		t.Errorf("lake: %d distinct events (%d not exactly once), want each of %d once", len(ids), twice, sum.Ingested)
	}
}

// waitForGroup waits until the consumer group is Stable with n members that
// each hold at least one partition, asking the broker (DescribeGroups) over
// the same TLS and SASL settings as the stages.
func waitForGroup(t *testing.T, k *kafkaconf.Config, addrs []string, group string, n int) {
	t.Helper()
	tr, err := k.Transport()
	if err != nil {
		t.Fatal(err)
	}
	client := &kafka.Client{Addr: kafka.TCP(addrs...), Transport: tr, Timeout: 10 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := client.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err == nil && len(res.Groups) == 1 && res.Groups[0].GroupState == "Stable" && len(res.Groups[0].Members) == n {
			holding := 0
			for _, m := range res.Groups[0].Members {
				for _, topic := range m.MemberAssignments.Topics {
					if len(topic.Partitions) > 0 {
						holding++
						break
					}
				}
			}
			if holding == n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer group %s not stable with %d members holding partitions after 90s (last: %+v, %v)", group, n, res, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
