package survey

// calStep is one calibration applied to a design; residuals replaces the influence
// matrix x (n×p, row major, weights included) by its residuals on the calibration.
type calStep interface {
	residuals(x []float64, p int)
}

// calResiduals applies the design's calibrations in order to a copy of x (x itself
// when there are none), as svyrecvar does with design$postStrata.
func (d *Design) calResiduals(x []float64, p int) []float64 {
	if len(d.cal) == 0 {
		return x
	}
	x = append([]float64(nil), x...)
	for _, c := range d.cal {
		c.residuals(x, p)
	}
	return x
}
