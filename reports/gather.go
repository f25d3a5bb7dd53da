package reports

import (
	"context"
	"errors"
	"fmt"

	"github.com/evalpipe/evalpipe/warehouse"
)

// ErrNeedWorker: the consultation pack is for one clinician; name them.
var ErrNeedWorker = errors.New("the consultation report needs a worker (clinician) id")

// A Gatherer computes what evaluation reports need (Needs) from the
// warehouse for one period and service: the one place the CLI and the
// server's scheduler both build a report's inputs. It computes each
// warehouse result once and hands the same one to every report that needs
// it (reports do not change their inputs: a disclosure policy works on a
// copy). `evalpipe run` writes the KPI report and at least five evaluation
// reports from one warehouse; on a national year of 40M events,
// warehouse.Programme took 7-13 s each time (run --verbose).
type Gatherer struct {
	Warehouse *warehouse.Warehouse
	Period    warehouse.Period
	Service   string
	// TalkingTherapies, when set, is warehouse.TalkingTherapies for Period
	// and Service already computed (the KPI report's); else it is computed
	// when first needed.
	TalkingTherapies *warehouse.Result

	programme, qualitative, crisis *warehouse.Result
	casework                       map[string]*warehouse.Result // by programme
}

// Gather gathers the inputs of the named report; programme names the
// evaluated programme (Inputs.ProgrammeName) and worker the clinician of a
// consultation pack.
func (g *Gatherer) Gather(ctx context.Context, name, programme, worker string) (Inputs, error) {
	in := Inputs{ProgrammeName: programme, Worker: worker}
	w, p, service := g.Warehouse, g.Period, g.Service
	once := func(kept **warehouse.Result, compute func() (*warehouse.Result, error)) (*warehouse.Result, error) {
		if *kept == nil {
			res, err := compute()
			if err != nil {
				return nil, err
			}
			*kept = res
		}
		return *kept, nil
	}
	var err error
	for _, n := range Needs(name) {
		switch n {
		case "Programme":
			in.Programme, err = once(&g.programme, func() (*warehouse.Result, error) { return w.Programme(ctx, p, service) })
		case "TalkingTherapies":
			in.TalkingTherapies, err = once(&g.TalkingTherapies, func() (*warehouse.Result, error) { return w.TalkingTherapies(ctx, p, service) })
		case "Qualitative":
			in.Qualitative, err = once(&g.qualitative, func() (*warehouse.Result, error) { return w.Qualitative(ctx, p, service) })
		case "Crisis":
			in.Crisis, err = once(&g.crisis, func() (*warehouse.Result, error) { return w.Crisis(ctx, p, service) })
		case "Pack":
			if worker == "" {
				return in, ErrNeedWorker
			}
			in.Pack, err = w.ConsultationPack(ctx, p, worker)
		case "Casework":
			if g.casework == nil {
				g.casework = map[string]*warehouse.Result{}
			}
			kept := g.casework[programme]
			in.Casework, err = once(&kept, func() (*warehouse.Result, error) { return w.Casework(ctx, p, service, programme) })
			g.casework[programme] = kept
		}
		if err != nil {
			return in, fmt.Errorf("report %s: %w", name, err)
		}
	}
	return in, nil
}
