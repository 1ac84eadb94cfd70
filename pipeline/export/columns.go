package export

import "socap/pipeline/codebook"

// columnText is how a known column is headed and explained in the report
// language.
type columnText struct {
	head, about codebook.Text
}

// knownColumns head and explain the columns socap's stages write; a column
// not listed is headed by its name.
var knownColumns = map[string]columnText{
	"indicator": {codebook.Text{NB: "Indikator", EN: "Indicator"},
		codebook.Text{NB: "Indikatorens id (arket heter det samme).", EN: "The indicator's id (the sheet has the same name)."}},
	"wave": {codebook.Text{NB: "Runde", EN: "Wave"},
		codebook.Text{NB: "Undersøkelsens runde.", EN: "The survey wave."}},
	"group_set": {codebook.Text{NB: "Gruppering", EN: "Grouping"},
		codebook.Text{NB: "Variablene cellen er gruppert etter, skilt med «+»; «all» er hele utvalget.", EN: "The variables the cell is grouped by, joined by \"+\"; \"all\" is the whole sample."}},
	"statistic": {codebook.Text{NB: "Mål", EN: "Statistic"},
		codebook.Text{NB: "mean: gjennomsnitt, prop: andel, ratio: forholdstall.", EN: "mean, prop (proportion) or ratio."}},
	"estimate": {codebook.Text{NB: "Estimat", EN: "Estimate"},
		codebook.Text{NB: "Det designbaserte estimatet.", EN: "The design-based estimate."}},
	"se": {codebook.Text{NB: "Standardfeil", EN: "Standard error"},
		codebook.Text{NB: "Standardfeilen (Taylor-linearisering over strata og primære utvalgsenheter).", EN: "The standard error (Taylor linearisation over strata and primary sampling units)."}},
	"ci_low": {codebook.Text{NB: "Nedre grense (95 %)", EN: "Lower limit (95%)"},
		codebook.Text{NB: "Nedre grense for 95 % konfidensintervall.", EN: "Lower limit of the 95% confidence interval."}},
	"ci_high": {codebook.Text{NB: "Øvre grense (95 %)", EN: "Upper limit (95%)"},
		codebook.Text{NB: "Øvre grense for 95 % konfidensintervall.", EN: "Upper limit of the 95% confidence interval."}},
	"df": {codebook.Text{NB: "Frihetsgrader", EN: "Degrees of freedom"},
		codebook.Text{NB: "Frihetsgrader for intervallet (primære utvalgsenheter minus strata).", EN: "Degrees of freedom of the interval (primary sampling units minus strata)."}},
	"deff": {codebook.Text{NB: "Designeffekt", EN: "Design effect"},
		codebook.Text{NB: "Variansen under designet delt på variansen under et enkelt tilfeldig utvalg.", EN: "The variance under the design divided by the variance under simple random sampling."}},
	"cv": {codebook.Text{NB: "Variasjonskoeffisient", EN: "Coefficient of variation"},
		codebook.Text{NB: "Standardfeilen delt på estimatet.", EN: "The standard error divided by the estimate."}},
	"n": {codebook.Text{NB: "Antall svar", EN: "Respondents"},
		codebook.Text{NB: "Antall respondenter i cellen.", EN: "The number of respondents in the cell."}},
	"n_shown": {codebook.Text{NB: "Antall (vist)", EN: "Respondents (shown)"},
		codebook.Text{NB: "Antall respondenter slik det kan publiseres.", EN: "The number of respondents as it may be published."}},
	"sum_weights": {codebook.Text{NB: "Sum vekter", EN: "Sum of weights"},
		codebook.Text{NB: "Summen av vektene: populasjonen cellen representerer.", EN: "The sum of the weights: the population the cell represents."}},
	"flags": {codebook.Text{NB: "Merknader", EN: "Flags"},
		codebook.Text{NB: "Merknader om estimatets pålitelighet (small_n, low_df, high_cv …).", EN: "Notes on the estimate's reliability (small_n, low_df, high_cv …)."}},
	"suppressed": {codebook.Text{NB: "Prikket", EN: "Suppressed"},
		codebook.Text{NB: "Hvorfor tallene er skjult; tom når cellen er publisert.", EN: "Why the numbers are withheld; empty when the cell is published."}},
	"status": {codebook.Text{NB: "Status", EN: "Status"},
		codebook.Text{NB: "published: publisert; primary eller secondary: prikket.", EN: "published; primary or secondary: suppressed."}},
	"reason": {codebook.Text{NB: "Grunn", EN: "Reason"},
		codebook.Text{NB: "Hvorfor cellen er prikket.", EN: "Why the cell is suppressed."}},
	"run_id": {codebook.Text{NB: "Kjøring", EN: "Run"},
		codebook.Text{NB: "Kjøringen som skrev raden (tabellen runs i databasen).", EN: "The run that wrote the row (the store's runs table)."}},
	"difference": {codebook.Text{NB: "Differanse", EN: "Difference"},
		codebook.Text{NB: "Forskjellen mellom gruppen og sammenligningsgrunnlaget.", EN: "The difference between the group and what it is compared with."}},
	"verdict": {codebook.Text{NB: "Vurdering", EN: "Verdict"},
		codebook.Text{NB: "higher, similar eller lower: om konfidensintervallet for differansen ligger over, rundt eller under null.", EN: "higher, similar or lower: whether the difference's confidence interval lies above, around or below zero."}},
	"p": {codebook.Text{NB: "p-verdi", EN: "p-value"},
		codebook.Text{NB: "p-verdien for testen.", EN: "The test's p-value."}},
	"term": {codebook.Text{NB: "Ledd", EN: "Term"},
		codebook.Text{NB: "Leddet i modellen, navngitt som i R.", EN: "The model's term, named as R names it."}},
	"model": {codebook.Text{NB: "Modell", EN: "Model"},
		codebook.Text{NB: "Modellens id.", EN: "The model's id."}},
	"outcome": {codebook.Text{NB: "Utfall", EN: "Outcome"},
		codebook.Text{NB: "Variabelen modellen forklarer.", EN: "The variable the model explains."}},
	"formula": {codebook.Text{NB: "Formel", EN: "Formula"},
		codebook.Text{NB: "Modellformelen i R-syntaks.", EN: "The model formula in R's syntax."}},
	"exposure": {codebook.Text{NB: "Eksponering", EN: "Exposure"},
		codebook.Text{NB: "Variabelen effekten gjelder.", EN: "The variable the effect is of."}},
	"ame": {codebook.Text{NB: "Gjennomsnittlig marginal effekt", EN: "Average marginal effect"},
		codebook.Text{NB: "Gjennomsnittlig marginal effekt i prosentpoeng.", EN: "The average marginal effect in percentage points."}},
	"baseline": {codebook.Text{NB: "Før", EN: "Baseline"},
		codebook.Text{NB: "Verdien ved første måling.", EN: "The value at baseline."}},
	"follow_up": {codebook.Text{NB: "Etter", EN: "Follow-up"},
		codebook.Text{NB: "Verdien ved oppfølgingen.", EN: "The value at follow-up."}},
}

// head is the header of column name in lang: the known column's, else the
// name itself.
func head(name, lang string) string {
	if k, ok := knownColumns[name]; ok {
		return k.head.In(lang)
	}
	return name
}

// about explains column name in lang, or is empty.
func about(name, lang string) string {
	return knownColumns[name].about.In(lang)
}

// text is the fixed text of the workbooks in both languages.
var text = struct {
	aboutSheet, column, name, description, symbol, symbolText, indicators, unit, code, label, numerator, denominator codebook.Text
}{
	aboutSheet:  codebook.Text{NB: "Om tabellene", EN: "About"},
	column:      codebook.Text{NB: "Kolonne", EN: "Column"},
	name:        codebook.Text{NB: "Navn i CSV og Parquet", EN: "Name in CSV and Parquet"},
	description: codebook.Text{NB: "Forklaring", EN: "Description"},
	symbol:      codebook.Text{NB: "Symbol", EN: "Symbol"},
	symbolText: codebook.Text{
		NB: "Vises ikke av konfidensialitetshensyn (Statistisk sentralbyrås symbol). Cellen har for få svar, eller den er skjult for at en annen celle ikke skal kunne regnes ut; kolonnen «Prikket» sier hvorfor.",
		EN: "Not shown for reasons of confidentiality (Statistics Norway's symbol). The cell has too few respondents, or is withheld so that another cell cannot be worked out; the column \"Suppressed\" says why."},
	indicators:  codebook.Text{NB: "Indikatorer (ett ark hver)", EN: "Indicators (one sheet each)"},
	unit:        codebook.Text{NB: "Enhet", EN: "Unit"},
	code:        codebook.Text{NB: "kode", EN: "code"},
	label:       codebook.Text{NB: "tekst", EN: "label"},
	numerator:   codebook.Text{NB: "teller", EN: "numerator"},
	denominator: codebook.Text{NB: "nevner", EN: "denominator"},
}
