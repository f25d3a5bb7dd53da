package scales_test

import (
	"fmt"

	"github.com/evalpipe/evalpipe/scales"
)

func ExampleEQ5DIndex() {
	for _, vs := range scales.ValueSets() {
		v, _ := scales.EQ5DIndex([5]int{1, 1, 2, 2, 1}, vs)
		fmt.Printf("%s %.3f\n", vs, v)
	}
	// Output:
	// uk-crosswalk 0.795
	// england-5l 0.887
}

func ExampleScore() {
	v, err := scales.Score("swemwbs", "", []int{3, 3, 3, 3, 3, 3, 3})
	fmt.Println(v, err)
	_, err = scales.Score("wemwbs", "", []int{3, 3})
	fmt.Println(err)
	// Output:
	// 19.25 <nil>
	// WEMWBS has 14 items, got 2: wrong number of items
}
