//go:build !unix

package main

import "math"

// rusage reports CPU time and peak memory as NaN ("NA" in tables): getrusage is
// a Unix call.
func rusage() (cpu, peakMiB float64, err error) {
	return math.NaN(), math.NaN(), nil
}
