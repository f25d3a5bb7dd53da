package reports

import (
	"bytes"
	"context"
	"testing"
)

// TestGathererSharesResults: the reports gathered through one Gatherer get
// the same warehouse results, and a report rendered from them after the
// others is byte for byte the one rendered from inputs of its own, so no
// report changes what it is given.
func TestGathererSharesResults(t *testing.T) {
	ctx := context.Background()
	w, p := smallWarehouse(t)
	cat := w.Catalogue()
	shared := &Gatherer{Warehouse: w, Period: p}
	render := func(name string, in Inputs) []byte {
		var b bytes.Buffer
		if err := Report(name, in, cat, Options{Format: FormatJSON, Disclosure: "nhs"}, &b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	gather := func(g *Gatherer, name, worker string) Inputs {
		in, err := g.Gather(ctx, name, "peer_coaching", worker)
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	interim := gather(shared, ReportInterim, "")
	for _, name := range []string{ReportInterim, ReportPeerImpact, ReportCrisis, ReportPoster} {
		render(name, gather(shared, name, ""))
	}
	pack := gather(shared, ReportConsultation, "c01")
	render(ReportConsultation, pack)
	peer := gather(shared, ReportPeerImpact, "")
	if interim.Programme == nil || interim.Programme != pack.Programme || interim.Programme != peer.Programme {
		t.Errorf("Programme computed again: %p %p %p", interim.Programme, pack.Programme, peer.Programme)
	}
	if interim.Qualitative == nil || interim.Qualitative != peer.Qualitative {
		t.Errorf("Qualitative computed again: %p %p", interim.Qualitative, peer.Qualitative)
	}
	for _, name := range []string{ReportInterim, ReportPeerImpact} {
		again := render(name, gather(shared, name, ""))
		alone := render(name, gather(&Gatherer{Warehouse: w, Period: p}, name, ""))
		if !bytes.Equal(again, alone) {
			t.Errorf("%s from the shared results differs from one gathered alone", name)
		}
	}
}
