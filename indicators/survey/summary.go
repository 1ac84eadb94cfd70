package survey

import (
	"encoding/json"
	"math"
)

// Summary describes a design for reports and the "design" object of `socap estimate
// --format json`.
type Summary struct {
	Kind      string   `json:"kind"` // "linearisation" or "replicate"
	Weights   string   `json:"weights,omitempty"`
	Strata    string   `json:"strata,omitempty"`
	Clusters  []string `json:"clusters,omitempty"`
	FPC       []string `json:"fpc,omitempty"`
	Nest      bool     `json:"nest,omitempty"`
	LonelyPSU string   `json:"lonely_psu,omitempty"`
	Rows      int      `json:"rows"`
	// Subset says which rows form the subpopulation (R's subset) and SubsetRows how
	// many of them have a non-zero weight; the other rows count for variances with
	// weight zero.
	Subset     string   `json:"subset,omitempty"`
	SubsetRows int      `json:"subset_rows,omitempty"`
	NumStrata  int      `json:"strata_count,omitempty"`
	NumPSU     int      `json:"psu_count,omitempty"`
	DF         float64  `json:"df"`
	Replicates *RepInfo `json:"replicates,omitempty"`
}

// RepInfo describes the replicate weights of a replicate design.
type RepInfo struct {
	Type    RepType   `json:"type"`
	Count   int       `json:"count"`
	Columns []string  `json:"columns,omitempty"` // supplied columns; empty when converted
	Scale   float64   `json:"scale"`
	RScales []float64 `json:"rscales"`
	Rho     float64   `json:"rho,omitempty"`
	MSE     bool      `json:"mse"`
}

// Summary returns the design's description.
func (d *Design) Summary() Summary {
	sp := d.spec
	s := Summary{Kind: "linearisation", Weights: sp.Weights, Strata: sp.Strata, Clusters: sp.Clusters,
		FPC: sp.FPC, Nest: sp.Nest, Rows: d.n, DF: d.DF()}
	if d.subset != "" {
		s.Subset, s.SubsetRows = d.subset, d.WeightedRows()
	}
	if d.unit != nil {
		s.LonelyPSU = string(sp.LonelyPSU)
		s.NumStrata = d.nParents[0]
		s.NumPSU = d.nUnits[0]
	}
	if rp := d.rep; rp != nil {
		s.Kind = "replicate"
		s.Replicates = &RepInfo{Type: rp.typ, Count: rp.r, Columns: rp.names, Scale: rp.scale,
			RScales: rp.rscales, MSE: rp.mse}
		if sp.Replicates != nil {
			s.Replicates.Rho = sp.Replicates.Rho
		}
	}
	return s
}

// WeightedRows counts the rows with a non-zero weight: the sample, or in a subset
// the subpopulation.
func (d *Design) WeightedRows() int {
	n := 0
	for _, w := range d.w {
		if w != 0 {
			n++
		}
	}
	return n
}

// MarshalJSON writes the summary with an infinite df (normal intervals) as null, as
// records write non-finite numbers.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	out := struct {
		plain
		DF *float64 `json:"df"`
	}{plain: plain(s)}
	if !math.IsInf(s.DF, 0) && !math.IsNaN(s.DF) {
		out.DF = &s.DF
	}
	return json.Marshal(out)
}
