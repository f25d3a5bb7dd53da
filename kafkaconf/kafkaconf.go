// Package kafkaconf is how every stage reaches Kafka: bootstrap servers, TLS,
// SASL and topic names, turned into segmentio/kafka-go dialers and transports.
// One place, so that ingest, transform and the broker agree on topics.
package kafkaconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/events"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Config says where Kafka is and how to talk to it.
type Config struct {
	// Brokers are the bootstrap servers, host:port. Empty means the embedded
	// broker of the data directory (see package broker).
	Brokers []string `yaml:"brokers"`
	// TopicPrefix prefixes every topic name. Default "evalpipe".
	TopicPrefix string `yaml:"topic_prefix"`
	// Partitions is the partition count used when creating topics. Default 3.
	Partitions int `yaml:"partitions"`
	// TLS enables TLS. CAFile, when set, is a PEM bundle of trusted roots
	// (default: the system roots).
	TLS    bool   `yaml:"tls"`
	CAFile string `yaml:"ca_file"`
	// SASL mechanism: "" (none), "plain", "scram-sha-256" or "scram-sha-512".
	SASLMechanism string `yaml:"sasl_mechanism"`
	SASLUser      string `yaml:"sasl_user"`
	// SASLPassword is the password; prefer the EVALPIPE_SASL_PASSWORD
	// environment variable to keep it out of config files.
	SASLPassword string `yaml:"sasl_password"`
}

// Validate applies defaults and checks the settings, naming the field to fix.
func (c *Config) Validate() error {
	if c.TopicPrefix == "" {
		c.TopicPrefix = "evalpipe"
	}
	if c.Partitions == 0 {
		c.Partitions = 3
	}
	if c.Partitions < 1 || c.Partitions > 1000 {
		return fmt.Errorf("kafka.partitions = %d: want 1-1000", c.Partitions)
	}
	if strings.ContainsAny(c.TopicPrefix, " /\\") {
		return fmt.Errorf("kafka.topic_prefix = %q: use letters, digits, '.', '_' or '-'", c.TopicPrefix)
	}
	for _, b := range c.Brokers {
		if !strings.Contains(b, ":") {
			return fmt.Errorf("brokers: %q has no port; write host:port, e.g. %s:9092", b, b)
		}
	}
	if p := os.Getenv("EVALPIPE_SASL_PASSWORD"); p != "" && c.SASLPassword == "" {
		c.SASLPassword = p
	}
	switch c.SASLMechanism {
	case "", "plain", "scram-sha-256", "scram-sha-512":
	default:
		return fmt.Errorf("kafka.sasl_mechanism = %q: want plain, scram-sha-256 or scram-sha-512", c.SASLMechanism)
	}
	if c.SASLMechanism != "" && c.SASLUser == "" {
		return errors.New("kafka.sasl_user: required when sasl_mechanism is set")
	}
	return nil
}

// Topic is the topic of a family, e.g. "evalpipe.referrals".
func (c *Config) Topic(f events.Family) string {
	p := c.TopicPrefix
	if p == "" {
		p = "evalpipe"
	}
	return p + "." + string(f)
}

// Topics lists every topic: the valid families and the dead-letter topic.
func (c *Config) Topics() []string {
	out := make([]string, 0, len(events.Families)+1)
	for _, f := range events.Families {
		out = append(out, c.Topic(f))
	}
	return append(out, c.Topic(events.DeadLetter))
}

// FamilyOf returns the family of a topic name, or false.
func (c *Config) FamilyOf(topic string) (events.Family, bool) {
	for _, f := range append(append([]events.Family{}, events.Families...), events.DeadLetter) {
		if c.Topic(f) == topic {
			return f, true
		}
	}
	return "", false
}

func (c *Config) tlsConfig() (*tls.Config, error) {
	if !c.TLS {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka.ca_file %s: no PEM certificates found", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func (c *Config) mechanism() (sasl.Mechanism, error) {
	switch c.SASLMechanism {
	case "":
		return nil, nil
	case "plain":
		return plain.Mechanism{Username: c.SASLUser, Password: c.SASLPassword}, nil
	case "scram-sha-256":
		return scram.Mechanism(scram.SHA256, c.SASLUser, c.SASLPassword)
	case "scram-sha-512":
		return scram.Mechanism(scram.SHA512, c.SASLUser, c.SASLPassword)
	}
	return nil, fmt.Errorf("kafka.sasl_mechanism %q unknown", c.SASLMechanism)
}

// Dialer returns a kafka-go dialer for connections, readers and consumer groups.
func (c *Config) Dialer() (*kafka.Dialer, error) {
	t, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	m, err := c.mechanism()
	if err != nil {
		return nil, err
	}
	return &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: t, SASLMechanism: m}, nil
}

// Transport returns a kafka-go transport for writers and the admin client.
func (c *Config) Transport() (*kafka.Transport, error) {
	t, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	m, err := c.mechanism()
	if err != nil {
		return nil, err
	}
	return &kafka.Transport{TLS: t, SASL: m, DialTimeout: 10 * time.Second, MetadataTTL: 2 * time.Second}, nil
}
