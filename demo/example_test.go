package demo_test

import (
	"context"
	"fmt"
	"os"

	"github.com/evalpipe/evalpipe/demo"
)

func ExampleGenerate() {
	dir, err := os.MkdirTemp("", "demo-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	sum, err := demo.Generate(context.Background(), demo.Config{Referrals: 200, BadLines: 6}, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(sum.Files), "files,", sum.Events["referral.received"], "referrals received,", sum.BadLines, "bad lines")
	// Output: 8 files, 225 referrals received, 6 bad lines
}
