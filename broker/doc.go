// Package broker is evalpipe's embedded Kafka: a single-node,
// Kafka-protocol broker (franz-go's kfake) whose log and consumer-group
// offsets live in a data directory, so that with no --brokers configured the
// pipeline still runs on a real, durable Kafka log that any client — kafka-go,
// franz-go, kcat — can read and write.
//
// Data flow: ingest produces canonical events to the evalpipe.* topics;
// transform consumes them in a consumer group and commits offsets; both reach
// the broker through Resolve, which returns the configured cluster, or the
// broker already running on the data directory, or one started in-process.
//
// On disk (DataDir, normally DATA/broker):
//
//	log/   kfake's segments, topic metadata and groups.log (committed offsets)
//	lock   flocked while a broker runs: one log, one owner
//	ADDR   the running broker's address, removed on Close
//
// The lock, not ADDR, is the truth: ADDR can survive a kill -9, the lock
// cannot, so Resolve trusts an ADDR only while the lock is held and the
// address answers.
//
// Durability: kfake appends every produced batch to its segment files as it
// arrives (without fsync unless asked; like Kafka's default it relies on the
// page cache), and Close flushes everything, offsets included. A process
// crash loses nothing the kernel accepted; a power cut can lose the last
// writes, as with a single Kafka broker without fsync. Exactly-once in the
// lake does not depend on the broker's offsets (see package transform).
package broker
