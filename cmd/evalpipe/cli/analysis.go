package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/evalpipe/evalpipe/scales"
	"github.com/evalpipe/evalpipe/spc"
	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"
)

// stdin is where `spc` reads its series; a variable so tests can set it.
var stdin io.Reader = nil

func scoreCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	valueSet := fs.String("value-set", scales.ValueSets()[0], "EQ-5D-5L value set: "+strings.Join(scales.ValueSets(), " | "))
	return &ffcli.Command{
		Name: "score", ShortUsage: "evalpipe score MEASURE [--value-set NAME] ITEM...",
		FlagSet: fs, Options: opts, ShortHelp: "score one questionnaire by its published scoring",
		LongHelp: `Prints the score of one set of item responses, e.g.
  evalpipe score phq9 3 3 2 2 1 1 0 0 1
  evalpipe score eq5d5l --value-set uk-crosswalk 1 1 2 2 1
  evalpipe score swemwbs 3 3 3 4 4 3 3
MEASURE is one of the measures of the event contract (phq9, gad7, wemwbs,
swemwbs (metric score), eq5d5l (index), ascot_sct4, ...).`,
		Exec: func(ctx context.Context, args []string) error {
			args, err := interspersed(fs, args)
			if err != nil {
				return err
			}
			if len(args) < 2 {
				return usagef("score: give a measure and its items, e.g. evalpipe score gad7 1 2 1 0 3 2 1")
			}
			items := make([]int, len(args)-1)
			for i, a := range args[1:] {
				if items[i], err = strconv.Atoi(a); err != nil {
					return usagef("score: item %d is %q: want a whole number", i+1, a)
				}
			}
			v, err := scales.Score(args[0], *valueSet, items)
			if err != nil {
				return &UsageError{Msg: "score: " + err.Error()}
			}
			_, err = fmt.Fprintln(e.stdout, strconv.FormatFloat(v, 'f', -1, 64))
			return err
		},
	}
}

func spcCommand(e *env, fs *flag.FlagSet, opts []ff.Option) *ffcli.Command {
	improvement := fs.String("improvement", "neutral", "which way is better: up | down | neutral")
	target := fs.String("target", "", "target value, for the assurance icon")
	screen := fs.Bool("screen-outliers", false, "screen moving-range outliers before computing limits")
	return &ffcli.Command{
		Name: "spc", ShortUsage: "evalpipe spc [--improvement up|down|neutral] [--target X] [--screen-outliers] < values",
		FlagSet: fs, Options: opts, ShortHelp: "an XmR chart (Making Data Count) of numbers read from stdin",
		LongHelp: `Reads one number a line on standard input and prints the XmR chart as
JSON: mean, process limits, each point's type and rule, the variation icon
and, with --target, the assurance icon. Rules and their priority follow the
NHS-R community's NHSRplotthedots.`,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("spc reads its values from stdin, one a line; got argument %q", args[0])
			}
			o := spc.Options{Improvement: *improvement, ScreenOutliers: *screen}
			if *target != "" {
				t, err := strconv.ParseFloat(*target, 64)
				if err != nil {
					return usagef("--target %q: want a number", *target)
				}
				o.Target = &t
			}
			if stdin == nil {
				return usagef("spc: no standard input")
			}
			var values []float64
			sc := bufio.NewScanner(stdin)
			for n := 1; sc.Scan(); n++ {
				line := strings.TrimSpace(sc.Text())
				if line == "" {
					continue
				}
				v, err := strconv.ParseFloat(line, 64)
				if err != nil {
					return usagef("spc: line %d is %q: want one number a line", n, line)
				}
				values = append(values, v)
			}
			if err := sc.Err(); err != nil {
				return err
			}
			chart, err := spc.XmR(values, o)
			if err != nil {
				return &UsageError{Msg: "spc: " + err.Error()}
			}
			enc := json.NewEncoder(e.stdout)
			return enc.Encode(chart)
		},
	}
}
