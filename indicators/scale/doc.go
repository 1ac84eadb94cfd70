// Package scale is socap's engine for composite scores and their reliability: POMP
// scoring of respondents, Cronbach's alpha as psych::alpha computes it (and a
// survey-weighted alpha whose design-based standard error the caller gets from
// indicators/survey), McDonald's omega and the fit of a one-factor model as lavaan's
// cfa(…, std.lv = TRUE) gives them, and measurement invariance across groups as
// lavaan's cfa(…, group = , group.equal = …). Like indicators/survey it knows nothing
// of files, DuckDB or YAML: it takes columns ([]float64, NaN missing) and returns values.
//
// # Use
//
// Items are columns: items[j][i] is item j of respondent i, NaN when not answered.
// Groups are codes: group[i] in 0..G-1, or −1 for a respondent in no group.
//
//	scores, err := scale.Score(items, scale.ScoreSpec{Items: []scale.Item{
//		{Name: "trust_people", Min: 0, Max: 10},
//		{Name: "lonely", Min: 1, Max: 4, Reverse: true},
//	}})                                                   // POMP 0–100, NaN when too few answered
//
//	ms, err := scale.Accumulate(items, weights, group, G) // one pass: moments per group
//	                                                      // (or NewAccumulator + Add per batch)
//	a, err := scale.AlphaOf(ms[g])                        // psych::alpha(x) of group g
//	o, err := scale.OmegaOf(ms[g])                        // lavaan cfa(std.lv=TRUE): omega, loadings, fit
//	inv, err := scale.Invariance(ms, scale.InvarianceOptions{})  // configural, metric, scalar
//
// Alpha, Omega, CFA and WeightedAlpha are the same on plain slices for a single group.
// Weights are optional everywhere (nil means every weight 1); they enter only the
// weighted alpha: alpha, omega and the CFAs are the unweighted statistics of psych
// and lavaan, as their reference values are.
//
// # Scoring
//
// Each answered item is reverse coded when asked (x ↦ Max + Min − x), then put on the
// POMP scale (percent of maximum possible, Cohen, Cohen, Aiken & West 1999):
// 100·(x − Min)/(Max − Min), and the score is the mean of the answered items when at
// least MinItems are answered (default ⌈k/2⌉ of k items), otherwise missing (NaN) —
// never zero. With Weights v the score is Σ_j v_j·p_j / Σ_j v_j over the answered items
// j, p_j the POMP value; FactorScoreWeights gives the v of Bartlett's factor score from
// the one-factor CFA, v_j = (λ_j/θ_j)·(Max_j − Min_j).
//
// Binary items (0/1, Min 0, Max 1) enter as 0 or 100: the POMP of a yes is 100. Count
// items (number of friends, memberships) enter top-coded at Max: a count above Max is
// Max before scaling (Item.Kind Count says so; for other kinds a value outside
// Min..Max is an error, since harmonisation has already refused such values).
//
// # Alpha (psych::alpha, Revelle; Cronbach 1951)
//
// From the pairwise-complete covariance matrix C (R's cov(x, use = "pairwise"): each
// covariance over the respondents answering both items, each variance over those
// answering the item, divisor n − 1) and R = cov2cor(C), for k items:
//
//	raw alpha       α = k/(k−1) · (1 − tr C / ΣC)
//	std. alpha      α_s = k/(k−1) · (1 − k / ΣR)
//	average r       r̄ = (ΣR − k) / (k(k−1)),   S/N = k r̄/(1 − r̄)
//	G6(smc)         1 − (k − Σ smc_j)/ΣR, smc_j = 1 − 1/(R⁻¹)_jj
//	ase             √(Q/n), Q = 2k²/((k−1)²(ΣC)³)·(ΣC·(tr C² + (tr C)²) − 2 tr C·Σ(C²))
//	                (Duhachek & Iacobucci 2004, as psych reports it)
//	alpha if item j is deleted: the same on C and R without row and column j
//	r.drop_j        (Σ_l C_lj − C_jj) / √(C_jj · ΣC₋ⱼ)   (item–rest correlation)
//	std.r_j         Σ_l R_lj / √ΣR
//
// and item means and SDs over the respondents answering each item.
//
// # Weighted alpha and its design-based standard error
//
// With survey weights w, the weighted covariance of the complete cases,
// C_w = Σ w_i (x_i − x̄_w)(x_i − x̄_w)ᵀ / Σ w_i, gives α_w = k/(k−1)(1 − A/B) with
// A = tr C_w = Σ_j V_w(x_j) and B = 1ᵀC_w1 = V_w(y), y = Σ_j x_j (the divisor of C_w
// cancels). Alpha is a smooth function of weighted totals, so its linearisation
// (Binder 1983; Woodruff 1971) is
//
//	z_i = k/(k−1) · ( A·u_i(y)/B² − Σ_j u_i(x_j)/B ),   u_i(v) = ((v_i − v̄_w)² − V_w(v)) / Σw
//
// and Var(α_w) is the design variance of the total Σ w_i z_i: WeightedAlphaOf returns
// z, and the caller passes it to survey.Design.TotalCov (Taylor linearisation with the
// design's strata, PSUs, fpc and calibration). For a replicate design the exact
// replicate estimates α_r (AlphaReplicates, one per replicate weight) go into
// ReplicateVariance, survey's svrVar — what R's withReplicates(design, alpha) computes.
//
// # One-factor CFA and omega (lavaan)
//
// The model Σ = ψλλᵀ + Θ (Θ diagonal), μ = ν + κλ, is fitted by maximum likelihood
// to the listwise-complete sample moments (covariance S with divisor N, means m):
//
//	F_ML = Σ_g (N_g/N) [ log|Σ_g| + tr(S_g Σ_g⁻¹) − log|S_g| − p + (m_g − μ_g)ᵀΣ_g⁻¹(m_g − μ_g) ]
//
// (the mean term only in multi-group models, which have a mean structure as lavaan's do),
// by Fisher scoring with the expected information, to a Newton decrement below 1e-22,
// tighter than lavaan's nlminb defaults. With std.lv = TRUE the factor variance is 1
// and the factor mean 0 (in the first group, once loadings resp. intercepts are equal
// across groups, as lavaan frees them in the others). The fit, as lavaan's fitMeasures:
//
//	χ² = N·F_ML, df = G·(p(p+1)/2 [+ p]) − free parameters, p-value from χ²(df)
//	baseline χ²_b = Σ_g N_g (Σ_j log s_jj − log|S_g|), df_b = G·p(p−1)/2
//	CFI  = 1 − max(χ² − df, 0) / max(χ² − df, χ²_b − df_b, 0)
//	TLI  = (χ²_b/df_b − χ²/df) / (χ²_b/df_b − 1)
//	RMSEA = √(max(χ²/(N·df) − 1/N, 0)) · √G
//	SRMR = Σ_g (N_g/N) · √(mean of the squared residuals (s_ij − σ_ij)/√(s_ii s_jj),
//	       i ≤ j, and with a mean structure (m_i − μ_i)/√s_ii)   (lavaan's srmr_bentler)
//
// Omega total (McDonald 1999) is ω = (Σλ)² / ((Σλ)² + Σθ) of the single-group fit. A
// negative residual variance (a Heywood case) or a fit that does not converge is an
// error naming the item and the group.
//
// # Measurement invariance
//
// Invariance fits three nested models: configural (every parameter free per group),
// metric (equal loadings; factor variances free after the first group) and scalar
// (equal loadings and intercepts; factor means free after the first group), with
// χ², df, p, CFI, TLI, RMSEA and SRMR each; between successive models the likelihood-
// ratio test Δχ² on Δdf (lavaan's lavTestLRT for ML) and ΔCFI, ΔRMSEA, ΔSRMR; and
// whether invariance holds by Chen (2007): ΔCFI ≥ −0.010 and ΔRMSEA ≤ 0.015, and
// ΔSRMR ≤ 0.030 for metric, ≤ 0.015 for scalar invariance.
//
// When scalar invariance fails, the score (Lagrange multiplier) test of releasing the
// equality of each item's intercept across the groups (df G − 1) ranks the items:
// LM = (N/2)·gᵀ I⁻¹ g, g the gradient of F_ML and I its expected information at the
// scalar solution in the model with that item's intercepts free — lavaan's
// lavTestScore(fit, release = …) with its default expected information. The items
// are freed one at a time, largest LM first, refitting the partial scalar model
// (lavaan's group.partial), until it holds against the metric model by Chen's
// criteria or only two equal intercepts are left; the same for loadings when metric
// invariance fails.
package scale
