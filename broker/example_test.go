package broker_test

import (
	"context"
	"fmt"
	"log"

	"github.com/evalpipe/evalpipe/broker"
	"github.com/evalpipe/evalpipe/kafkaconf"
)

// What `evalpipe broker` does: serve the data directory's log until stopped.
func ExampleStart() {
	k := &kafkaconf.Config{}
	if err := k.Validate(); err != nil {
		log.Fatal(err)
	}
	b, err := broker.Start(context.Background(), broker.Config{DataDir: "data/broker", Listen: "127.0.0.1:9092", Topics: k.Topics()})
	if err != nil {
		log.Fatal(err) // e.g. ErrInUse: another broker owns data/broker
	}
	defer b.Close()
	fmt.Println("listening on", b.Addrs()[0])
}
