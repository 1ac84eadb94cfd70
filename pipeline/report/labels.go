package report

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"socap/pipeline/compare"
)

// text is a label in both report languages.
type text struct{ nb, en string }

// columnLabels name the columns of the store's result tables in the
// report languages (the researcher report's table heads). A column missing
// here is shown by its name and fails TestColumnLabels.
var columnLabels = map[string]text{
	"indicator":            {"Indikator", "Indicator"},
	"wave":                 {"Runde", "Wave"},
	"reference_wave":       {"Mot runde", "Against wave"},
	"group_set":            {"Gruppesett", "Group set"},
	"statistic":            {"Statistikk", "Statistic"},
	"estimate":             {"Estimat", "Estimate"},
	"se":                   {"SE", "SE"},
	"ci":                   {"KI", "CI"},
	"ci_low":               {"KI nedre", "CI lower"},
	"ci_high":              {"KI øvre", "CI upper"},
	"df":                   {"df", "df"},
	"deff":                 {"deff", "deff"},
	"cv":                   {"KV", "CV"},
	"n":                    {"n", "n"},
	"n_shown":              {"n", "n"},
	"n_complete":           {"n komplette", "n complete"},
	"sum_weights":          {"Sum vekter", "Sum of weights"},
	"flags":                {"Merknader", "Flags"},
	"status":               {"Status", "Status"},
	"reason":               {"Grunn", "Reason"},
	"kind":                 {"Type", "Kind"},
	"variable":             {"Variabel", "Variable"},
	"group":                {"Gruppe", "Group"},
	"reference":            {"Referanse", "Reference"},
	"reference_estimate":   {"Referanseestimat", "Reference estimate"},
	"difference":           {"Forskjell", "Difference"},
	"verdict":              {"Vurdering", "Verdict"},
	"model":                {"Modell", "Model"},
	"formula":              {"Formel", "Formula"},
	"family":               {"Familie", "Family"},
	"population":           {"Populasjon", "Population"},
	"df_residual":          {"df (residual)", "df (residual)"},
	"iterations":           {"Iterasjoner", "Iterations"},
	"deviance":             {"Devians", "Deviance"},
	"converged":            {"Konvergert", "Converged"},
	"test_term":            {"Testet ledd", "Tested term"},
	"test_statistic":       {"F", "F"},
	"test_df":              {"df (teller)", "df (numerator)"},
	"test_ddf":             {"df (nevner)", "df (denominator)"},
	"test_p":               {"p", "p"},
	"term":                 {"Ledd", "Term"},
	"t":                    {"t", "t"},
	"p":                    {"p", "p"},
	"level":                {"Nivå", "Level"},
	"unit":                 {"Enhet", "Unit"},
	"by_variable":          {"Etter variabel", "By variable"},
	"by_group":             {"Gruppe", "Group"},
	"baseline":             {"Før (runde)", "Baseline (wave)"},
	"follow_up":            {"Etter (runde)", "Follow-up (wave)"},
	"programme_baseline":   {"Program, før", "Programme, baseline"},
	"programme_follow_up":  {"Program, etter", "Programme, follow-up"},
	"comparison_baseline":  {"Sammenligning, før", "Comparison, baseline"},
	"comparison_follow_up": {"Sammenligning, etter", "Comparison, follow-up"},
	"change_programme":     {"Endring, program", "Change, programme"},
	"change_comparison":    {"Endring, sammenligning", "Change, comparison"},
	"did":                  {"Forskjell i forskjeller", "Difference in differences"},
	"mentor":               {"Mentor", "Mentor"},
	"dimension":            {"Dimensjon", "Dimension"},
	"items":                {"Spørsmål", "Items"},
	"alpha":                {"α", "α"},
	"alpha_std":            {"α standardisert", "α standardised"},
	"alpha_weighted":       {"α vektet", "α weighted"},
	"omega":                {"ω", "ω"},
	"cfi":                  {"CFI", "CFI"},
	"tli":                  {"TLI", "TLI"},
	"rmsea":                {"RMSEA", "RMSEA"},
	"srmr":                 {"SRMR", "SRMR"},
	"groups":               {"Grupper", "Groups"},
	"step":                 {"Trinn", "Step"},
	"freed":                {"Frigjort", "Freed"},
	"score_chisq":          {"Score-χ²", "Score χ²"},
	"free":                 {"Frie parametre", "Free parameters"},
	"chisq":                {"χ²", "χ²"},
	"pvalue":               {"p", "p"},
	"delta_chisq":          {"Δχ²", "Δχ²"},
	"delta_df":             {"Δdf", "Δdf"},
	"delta_pvalue":         {"p (Δχ²)", "p (Δχ²)"},
	"delta_cfi":            {"ΔCFI", "ΔCFI"},
	"delta_rmsea":          {"ΔRMSEA", "ΔRMSEA"},
	"delta_srmr":           {"ΔSRMR", "ΔSRMR"},
	"holds":                {"Holder", "Holds"},
	"weight":               {"Vekt", "Weight"},
	"strata":               {"Strata", "Strata"},
	"psu":                  {"PSU", "PSU"},
	"fpc":                  {"fpc", "fpc"},
	"lonely_psu":           {"Ensom PSU", "Lonely PSU"},
	"rows":                 {"Rader", "Rows"},
	"strata_count":         {"Antall strata", "Strata"},
	"psu_count":            {"Antall PSU", "PSUs"},
	"replicates":           {"Replikater", "Replicates"},
	"calibration":          {"Kalibrering", "Calibration"},
	"g_min":                {"g min", "g min"},
	"g_max":                {"g maks", "g max"},
	"stage":                {"Steg", "Stage"},
	"version":              {"Versjon", "Version"},
	"config_hash":          {"Konfigurasjonens hash", "Configuration hash"},
	"started_at":           {"Startet", "Started"},
	"finished_at":          {"Ferdig", "Finished"},
	"rows_in":              {"Rader inn", "Rows in"},
	"rows_out":             {"Rader ut", "Rows out"},
}

// valueLabels name the codes the stages write in text columns (kind,
// verdict, status, statistic, …); a code missing here is shown as written.
var valueLabels = map[string]map[string]text{
	"kind": {
		"area": {"Område mot hele utvalget", "Area against the whole sample"}, "group": {"Gruppe mot referanse", "Group against reference"},
		"wave":  {"Runde mot første runde", "Wave against the first"},
		"share": {"Andel", "Share"}, "ame": {"Justert forskjell (AME)", "Adjusted difference (AME)"},
	},
	"verdict": {
		"higher": {"høyere", "higher"}, "lower": {"lavere", "lower"}, "similar": {"omtrent likt", "about the same"},
	},
	"status": {
		"published": {"publisert", "published"}, "ok": {"ok", "ok"}, "primary": {"prikket (primær)", "suppressed (primary)"},
		"secondary": {"prikket (sekundær)", "suppressed (secondary)"}, "failed": {"feilet", "failed"},
	},
	"statistic": {
		"mean": {"gjennomsnitt", "mean"}, "prop": {"andel", "proportion"}, "total": {"total", "total"},
		"ratio": {"forholdstall", "ratio"}, "quantile": {"kvantil", "quantile"},
	},
	"model": {
		"rate": {"andel sysselsatte", "employment rate"}, "adjusted": {"justert (AME)", "adjusted (AME)"},
		"heterogeneity":       {"heterogenitet etter opprinnelse", "heterogeneity by origin"},
		"dimensions_employed": {"dimensjonene og sysselsetting", "the dimensions and employment"},
		"dimensions_qol":      {"dimensjonene og livskvalitet", "the dimensions and quality of life"},
	},
	"holds": {"true": {"ja", "yes"}, "false": {"nei", "no"}},
	// reliability flags of an estimate (indicators/survey), with the default thresholds
	"flags": {
		"small_n": {"n under 30", "n under 30"}, "high_cv": {"KV over 0,3", "CV over 0.3"}, "low_df": {"df under 8", "df under 8"},
		"no_ci": {"uten KI", "no CI"}, "empty": {"tom", "empty"}, "weights_below_n": {"vektsum under n (deff mangler)", "weights sum below n (no deff)"},
	},
	"converged": {"true": {"ja", "yes"}, "false": {"nei", "no"}},
}

// colLabel is the head of a store column in the report language.
func (b *builder) colLabel(name string) string {
	if l, ok := columnLabels[name]; ok {
		return b.loc.t(l.nb, l.en)
	}
	return name
}

// valueLabel is a code of a text column in the report language.
func (b *builder) valueLabel(column, code string) string {
	if l, ok := valueLabels[column][code]; ok {
		return b.loc.t(l.nb, l.en)
	}
	return code
}

// groupSetLabel names a group set by its variables' codebook labels:
// "background+gender" is "Innvandringsbakgrunn × kjønn"; "all" is the
// whole sample.
func (b *builder) groupSetLabel(set string) string {
	if set == compare.All || set == "" {
		return b.loc.t("Hele utvalget", "Whole sample")
	}
	var parts []string
	for i, v := range strings.Split(set, "+") {
		l := b.varLabel(v)
		if i > 0 {
			l = lowerFirst(l)
		}
		parts = append(parts, l)
	}
	return strings.Join(parts, " × ")
}

// lowerFirst lower-cases the first letter of a label that reads as a word
// ("Kjønn" → "kjønn"), not of an abbreviation ("ISCED", "EU").
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	if r2, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r2) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// upperFirst capitalises the first letter, for a label that begins a title.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
