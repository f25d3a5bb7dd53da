package warehouse

import (
	"context"
	"fmt"
	"os"
)

func ExampleWarehouse_TalkingTherapies() {
	ctx := context.Background()
	root, _ := os.MkdirTemp("", "example-lake-")
	defer os.RemoveAll(root)
	b, _ := os.ReadFile(fixturePath)
	writeLake(&testingTB{}, root, b) // the lake the transformer would write

	w, err := Open(ctx, Config{Lake: root, Population: 200000})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	p, _ := ParsePeriod("2024-04", "2024-06")
	res, err := w.TalkingTherapies(ctx, p, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := res.Metrics["recovery_rate"]
	fmt.Printf("recovery %g/%g = %.1f%% (95%% CI %.1f-%.1f%%)\n", *rec.Numerator, *rec.Denominator, *rec.Value*100, rec.CI95[0]*100, rec.CI95[1]*100)
	// Output: recovery 5/8 = 62.5% (95% CI 30.6-86.3%)
}
