package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/evalpipe/evalpipe/kafkaconf"
	"github.com/evalpipe/evalpipe/warehouse"
	"gopkg.in/yaml.v3"
)

// Config is the optional YAML file given by --config / EVALPIPE_CONFIG.
// Every field has a default that suits the embedded single-machine setup.
type Config struct {
	// Kafka: bootstrap servers, TLS, SASL, topic prefix, partitions.
	// Default: the embedded broker, prefix "evalpipe", 3 partitions.
	Kafka kafkaconf.Config `yaml:"kafka"`
	// TimeZone in which dates are compared. Default Europe/London.
	TimeZone string `yaml:"time_zone"`
	// Population is the adult population served, for access_rate_per_100k.
	// Default 0: that metric is omitted.
	Population int `yaml:"population"`
	// PseudonymKeyFile holds the hex HMAC key. Default DATA/keys/pseudonym.key,
	// generated on first use (the environment variable EVALPIPE_PSEUDONYM_KEY
	// takes precedence).
	PseudonymKeyFile string `yaml:"pseudonym_key_file"`
	// Disclosure is the default disclosure policy of reports: nhs | none. Default nhs.
	Disclosure string `yaml:"disclosure"`
	// StaffNames are the service's staff, redacted from published quotes
	// (with NHS numbers, phone numbers, e-mails, postcodes and dates, which
	// are always redacted). Default none.
	StaffNames []string `yaml:"staff_names"`
	// Evaluation holds the facts the programme, crisis and qualitative
	// metrics need: population shares, unit costs with their sources,
	// anxiety-measure thresholds, the crisis launch date. Default: none, and
	// metrics that need a missing setting say so instead of guessing.
	Evaluation warehouse.Evaluation `yaml:"evaluation"`
	// Transform tunes the Kafka-to-lake stage.
	Transform struct {
		// MaxFileRows rotates a lake file after this many rows. Default 200000.
		MaxFileRows int `yaml:"max_file_rows"`
		// IdleFlush commits an idle partition's open file after this long. Default 5s.
		IdleFlush time.Duration `yaml:"idle_flush"`
	} `yaml:"transform"`
	// Warehouse bounds the DuckDB warehouse that report, run, query and
	// export build from the lake (serve has its own serve.memory_limit).
	Warehouse WarehouseConfig `yaml:"warehouse"`
	// Serve configures `evalpipe serve`: listen address, sources, limits
	// and report schedules. Default: the serve command's flag defaults.
	Serve ServeConfig `yaml:"serve"`
}

// WarehouseConfig is the config file's warehouse section.
type WarehouseConfig struct {
	// MemoryLimit is DuckDB's memory_limit, e.g. 512MB or 2GB; past it
	// DuckDB spills to a temporary folder. Default 512MB
	// (warehouse.DefaultMemoryLimit).
	MemoryLimit string `yaml:"memory_limit"`
	// Threads is DuckDB's worker threads. Default 2
	// (warehouse.DefaultThreads); raise it together with memory_limit.
	Threads int `yaml:"threads"`
	// Save says whether `evalpipe run` and `evalpipe warehouse` (and
	// `evalpipe serve`, at most every serve.save_every) save the warehouse
	// they build in DATA/warehouse, for the reports, queries and
	// exports of the same lake that follow (they reuse it instead of
	// building again, or update it when the lake has new files). Default
	// true; false saves, reuses and updates nothing.
	Save *bool `yaml:"save"`
}

// saving is WarehouseConfig.Save with its default.
func (c WarehouseConfig) saving() bool { return c.Save == nil || *c.Save }

// LoadConfig reads a config file (none when path is empty) and validates it.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w (check --config or EVALPIPE_CONFIG)", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: %s", path, explainYAML(err))
		}
	}
	if err := c.Validate(); err != nil {
		if path != "" {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		return nil, err
	}
	return c, nil
}

func explainYAML(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "not found in type") {
		msg += "; known settings: kafka, time_zone, population, pseudonym_key_file, disclosure, staff_names, evaluation, transform, warehouse, serve (see README, Configuration)"
	}
	return msg
}

// Validate applies defaults and names the field to fix when one is wrong.
func (c *Config) Validate() error {
	if c.TimeZone == "" {
		c.TimeZone = "Europe/London"
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return fmt.Errorf("time_zone = %q: %v; use an IANA name such as Europe/London", c.TimeZone, err)
	}
	if c.Population < 0 {
		return fmt.Errorf("population = %d: want the adult population served, a positive number", c.Population)
	}
	switch c.Disclosure {
	case "":
		c.Disclosure = "nhs"
	case "nhs", "none":
	default:
		return fmt.Errorf("disclosure = %q: want nhs or none", c.Disclosure)
	}
	if c.Transform.MaxFileRows < 0 || c.Transform.IdleFlush < 0 {
		return errors.New("transform: max_file_rows and idle_flush must not be negative")
	}
	for i, u := range c.Evaluation.UnitCosts {
		if u.Kind == "" || u.CostGBP < 0 || u.Source == "" || u.PriceYear == "" {
			return fmt.Errorf("evaluation.unit_costs[%d]: each cost needs kind, cost_gbp >= 0, source and price_year (no unit cost is assumed)", i)
		}
		if u.Unit != "contact" && u.Unit != "bed_day" {
			return fmt.Errorf("evaluation.unit_costs[%d].unit = %q: want contact or bed_day", i, u.Unit)
		}
	}
	for dim, shares := range c.Evaluation.PopulationShares {
		for g, v := range shares {
			if v <= 0 || v > 1 {
				return fmt.Errorf("evaluation.population_shares.%s.%s = %g: want a share in (0, 1]", dim, g, v)
			}
		}
	}
	for i, th := range c.Evaluation.Thresholds {
		if th.Measure == "" || th.Caseness <= 0 || th.ReliableChange <= 0 || th.Source == "" {
			return fmt.Errorf("evaluation.thresholds[%d]: each needs measure, caseness > 0, reliable_change > 0 and source", i)
		}
	}
	if c.Warehouse.MemoryLimit != "" && !memoryLimitRE.MatchString(c.Warehouse.MemoryLimit) {
		return fmt.Errorf("warehouse.memory_limit = %q: want a size such as 512MB or 2GB", c.Warehouse.MemoryLimit)
	}
	if c.Warehouse.Threads < 0 {
		return fmt.Errorf("warehouse.threads = %d: want 1 or more (leave it out for the default, %d)", c.Warehouse.Threads, warehouse.DefaultThreads)
	}
	if err := c.Serve.validate(); err != nil {
		return err
	}
	return c.Kafka.Validate()
}
