package transform_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/evalpipe/evalpipe/broker"
	"github.com/evalpipe/evalpipe/kafkaconf"
	"github.com/evalpipe/evalpipe/transform"
)

// Catch up once: what `evalpipe transform --until-caught-up` does.
func ExampleRun() {
	ctx := context.Background()
	data := "data"
	k := &kafkaconf.Config{}
	if err := k.Validate(); err != nil {
		log.Fatal(err)
	}
	brokers, stop, err := broker.Resolve(ctx, filepath.Join(data, "broker"), k)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	stats, err := transform.Run(ctx, transform.Config{Kafka: k, Brokers: brokers, Lake: filepath.Join(data, "lake"), UntilCaughtUp: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d messages, %d rows in %d files, %d dead letters\n", stats.Messages, stats.TotalRows(), stats.Files, stats.DeadLetters)
}
