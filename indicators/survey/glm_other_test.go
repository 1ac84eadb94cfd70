//go:build !amd64

package survey

// withoutAVX runs f: there are no AVX2 kernels to switch off.
func withoutAVX(f func()) { f() }
