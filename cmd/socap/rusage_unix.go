//go:build unix

package main

import (
	"fmt"
	"runtime"
	"syscall"
)

// rusage is the process's CPU time in seconds (user + system, every thread,
// DuckDB's included) and its peak resident set size in MiB (getrusage).
func rusage() (cpu, peakMiB float64, err error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, fmt.Errorf("getrusage: %w", err)
	}
	peak := float64(ru.Maxrss) / 1024 // kilobytes on Linux
	if runtime.GOOS == "darwin" {
		peak /= 1024 // bytes on macOS
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9, peak, nil
}
