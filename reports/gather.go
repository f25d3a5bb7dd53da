package reports

import (
	"context"
	"errors"
	"fmt"

	"github.com/evalpipe/evalpipe/warehouse"
)

// ErrNeedWorker: the consultation pack is for one clinician; name them.
var ErrNeedWorker = errors.New("the consultation report needs a worker (clinician) id")

// Gather computes what the named evaluation report needs (Needs) from the
// warehouse for period p: the one place the CLI and the server's scheduler
// both build a report's inputs.
func Gather(ctx context.Context, w *warehouse.Warehouse, name string, p warehouse.Period, service, programme, worker string) (Inputs, error) {
	in := Inputs{ProgrammeName: programme, Worker: worker}
	var err error
	for _, n := range Needs(name) {
		switch n {
		case "Programme":
			in.Programme, err = w.Programme(ctx, p, service)
		case "TalkingTherapies":
			in.TalkingTherapies, err = w.TalkingTherapies(ctx, p, service)
		case "Qualitative":
			in.Qualitative, err = w.Qualitative(ctx, p, service)
		case "Crisis":
			in.Crisis, err = w.Crisis(ctx, p, service)
		case "Pack":
			if worker == "" {
				return in, ErrNeedWorker
			}
			in.Pack, err = w.ConsultationPack(ctx, p, worker)
		case "Casework":
			in.Casework, err = w.Casework(ctx, p, service, programme)
		}
		if err != nil {
			return in, fmt.Errorf("report %s: %w", name, err)
		}
	}
	return in, nil
}
