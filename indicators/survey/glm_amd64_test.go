package survey

import "testing"

// TestGLMAgainstRWithoutAVX repeats the comparison with R with the AVX2 kernels
// switched off, so that the Go loops that CPUs without AVX2 and FMA (and other
// architectures) run are checked against R as well.
func TestGLMAgainstRWithoutAVX(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2 and FMA on this CPU: TestGLMAgainstR already runs the Go loops")
	}
	withoutAVX(func() { TestGLMAgainstR(t) })
}

// withoutAVX runs f with the AVX2 kernels switched off.
func withoutAVX(f func()) {
	saved := haveAVX2FMA
	haveAVX2FMA = false
	defer func() { haveAVX2FMA = saved }()
	f()
}
