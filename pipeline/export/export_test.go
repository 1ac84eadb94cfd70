package export

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"socap/indicators"
	"socap/pipeline"
	"socap/pipeline/codebook"
	"socap/pipeline/estimate"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/ingest/spss"
	"socap/pipeline/score"
	"socap/pipeline/store"
)

// fixtures stand in for the stages not yet written: comparisons with a
// disclosure status (one row withheld), and models with a fit status.
const fixtures = `
CREATE TABLE comparisons (indicator VARCHAR, wave INTEGER, municipality VARCHAR, difference DOUBLE, ci_low DOUBLE,
	ci_high DOUBLE, n BIGINT, verdict VARCHAR, status VARCHAR, reason VARCHAR);
INSERT INTO comparisons VALUES
	('relational', 1, '5014', -1.25, -3.5, 1.0, 40, 'similar', 'published', NULL),
	('structural', 2, '1515', 2.5, 0.5, 4.5, 12, 'higher', 'published', NULL),
	('structural', 1, '1515', 0.1, -0.2, 0.4, 8, 'similar', 'primary', 'primary: n < 10');
CREATE TABLE models (model VARCHAR, outcome VARCHAR, n BIGINT, aic DOUBLE, converged BOOLEAN, status VARCHAR);
INSERT INTO models VALUES ('network', 'employed', 812, 1034.5, true, 'ok');
`

// exported is the example pipeline run through the export stage once, in
// both languages.
type exported struct {
	env    *pipeline.Env
	stage  *Stage
	dir    string // nb
	dirEN  string // en
	filesN []string
}

func run(t *testing.T) *exported {
	t.Helper()
	ctx := context.Background()
	env := exampletest.Env(t)
	if err := pipeline.Run(ctx, env, &score.Stage{}, &estimate.Stage{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.DB().ExecContext(ctx, fixtures); err != nil {
		t.Fatal(err)
	}
	e := &exported{env: env, stage: &Stage{}, dir: filepath.Join(t.TempDir(), "out")}
	env.Config.Output, env.Config.Language = e.dir, "nb"
	if err := pipeline.Run(ctx, env, e.stage); err != nil {
		t.Fatal(err)
	}
	e.filesN = e.stage.Files()
	e.dirEN = filepath.Join(t.TempDir(), "out-en")
	env.Config.Output, env.Config.Language = e.dirEN, "en"
	if err := pipeline.Run(ctx, env, &Stage{}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestExport(t *testing.T) {
	e := run(t)
	db := e.env.Store.DB()
	t.Run("files", func(t *testing.T) {
		var want []string
		for _, name := range []string{"estimates", "comparisons", "models"} {
			for _, ext := range []string{".csv", ".parquet", ".xlsx"} {
				want = append(want, filepath.Join(e.dir, name+ext))
			}
		}
		want = append(want, filepath.Join(e.dir, "scores.parquet"), filepath.Join(e.dir, "scores.sav"))
		if !slices.Equal(e.filesN, want) {
			t.Errorf("files\n got %v\nwant %v", e.filesN, want)
		}
		entries, err := os.ReadDir(e.dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(want) {
			t.Errorf("%d entries in %s, want %d (no temporary files left)", len(entries), e.dir, len(want))
		}
		log := fmt.Sprint(e.env.Log)
		for _, name := range []string{"coefficients", "marginal_effects", "programme_effects"} {
			if !strings.Contains(log, "export: no "+name+" table; skipped") {
				t.Errorf("log does not say %s was skipped:\n%s", name, log)
			}
		}
	})
	t.Run("estimates.csv", func(t *testing.T) { checkEstimatesCSV(t, db, filepath.Join(e.dir, "estimates.csv")) })
	t.Run("estimates.parquet", func(t *testing.T) { checkEstimatesParquet(t, db, filepath.Join(e.dir, "estimates.parquet")) })
	t.Run("estimates.xlsx nb", func(t *testing.T) {
		checkEstimatesXLSX(t, db, filepath.Join(e.dir, "estimates.xlsx"), "Om tabellene",
			[]string{"Estimat", "Standardfeil", "Nedre grense (95 %)", "Øvre grense (95 %)", "Prikket", "Kjønn (kode)", "Kjønn"})
	})
	t.Run("estimates.xlsx en", func(t *testing.T) {
		checkEstimatesXLSX(t, db, filepath.Join(e.dirEN, "estimates.xlsx"), "About",
			[]string{"Estimate", "Standard error", "Lower limit (95%)", "Upper limit (95%)", "Suppressed", "Gender (code)", "Gender"})
	})
	t.Run("labels en", func(t *testing.T) {
		recs := readCSV(t, filepath.Join(e.dirEN, "estimates.csv"))
		col := slices.Index(recs[0], "gender_label")
		code := slices.Index(recs[0], "gender")
		for _, r := range recs[1:] {
			if r[code] == "2" && r[col] != "Female" {
				t.Fatalf("gender 2 labelled %q in en, want Female", r[col])
			}
		}
	})
	t.Run("comparisons", func(t *testing.T) { checkComparisons(t, e.dir) })
	t.Run("models", func(t *testing.T) {
		recs := readCSV(t, filepath.Join(e.dir, "models.csv"))
		// a model's status (ok, failed) is no disclosure status: its numbers stay
		want := [][]string{{"model", "outcome", "n", "aic", "converged", "status"}, {"network", "employed", "812", "1034.5", "true", "ok"}}
		if fmt.Sprint(recs) != fmt.Sprint(want) {
			t.Errorf("models.csv = %v, want %v", recs, want)
		}
		f := openXLSX(t, filepath.Join(e.dir, "models.xlsx"))
		if got := f.GetSheetList(); !slices.Equal(got, []string{"Om tabellene", "models"}) {
			t.Errorf("models.xlsx sheets %v", got)
		}
	})
	t.Run("scores.parquet", func(t *testing.T) { checkScoresParquet(t, db, filepath.Join(e.dir, "scores.parquet")) })
	t.Run("scores.sav", func(t *testing.T) { checkSAV(t, e.env, filepath.Join(e.dir, "scores.sav")) })
	t.Run("readstat", func(t *testing.T) { checkReadStat(t, filepath.Join(e.dir, "scores.sav")) })
	t.Run("haven", func(t *testing.T) { checkHaven(t, db, filepath.Join(e.dir, "scores.sav")) })
	t.Run("rerun", func(t *testing.T) {
		// The same store exports the same bytes (the clock is fixed).
		before := map[string][]byte{}
		for _, f := range e.filesN {
			before[f] = readFile(t, f)
		}
		e.env.Config.Output, e.env.Config.Language = e.dir, "nb"
		if err := pipeline.Run(context.Background(), e.env, &Stage{}); err != nil {
			t.Fatal(err)
		}
		for _, f := range e.filesN {
			if !bytes.Equal(readFile(t, f), before[f]) {
				t.Errorf("%s differs on a rerun", filepath.Base(f))
			}
		}
	})
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(readFile(t, path))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// numberColumns are the estimate columns a suppressed row leaves empty.
var numberColumns = []string{"estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n", "sum_weights"}

// groupColumns are the grouping columns of the store's estimates: those
// between group_set and statistic.
func groupColumns(t *testing.T, db *sql.DB) []string {
	t.Helper()
	cols := tableColumns(t, db, "estimates")
	return cols[slices.Index(cols, "group_set")+1 : slices.Index(cols, "statistic")]
}

func checkEstimatesCSV(t *testing.T, db *sql.DB, path string) {
	recs := readCSV(t, path)
	groups := groupColumns(t, db)
	want := []string{"indicator", "wave", "group_set"}
	for _, g := range groups {
		want = append(want, g, g+"_label")
	}
	want = append(want, "statistic", "estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n", "sum_weights", "flags", "suppressed")
	if !slices.Equal(recs[0], want) || !slices.Contains(groups, "gender") || !slices.Contains(groups, "municipality") {
		t.Fatalf("header\n got %v\nwant %v, with gender and municipality", recs[0], want)
	}
	if n := count(t, db, "SELECT count(*) FROM estimates"); len(recs)-1 != n {
		t.Errorf("%d rows, the table has %d", len(recs)-1, n)
	}
	col := func(name string) int { return slices.Index(want, name) }
	// Every estimate as the store holds it, by cell.
	stored := map[string]string{}
	keyExpr := "indicator || '|' || wave || '|' || group_set"
	for _, g := range groups {
		keyExpr += " || '|' || coalesce(" + store.QuoteIdent(g) + ", '')"
	}
	rows, err := db.Query("SELECT " + keyExpr + ", estimate, status FROM estimates")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, status string
		var est sql.NullFloat64
		if err := rows.Scan(&key, &est, &status); err != nil {
			t.Fatal(err)
		}
		stored[key] = status
		if status == "published" && est.Valid {
			stored[key] = strconv.FormatFloat(est.Float64, 'g', -1, 64)
		}
	}
	suppressed, published := 0, 0
	for _, r := range recs[1:] {
		key := r[col("indicator")] + "|" + r[col("wave")] + "|" + r[col("group_set")]
		for _, g := range groups {
			key += "|" + r[col(g)]
		}
		if r[col("suppressed")] != "" {
			suppressed++
			for _, c := range numberColumns {
				if r[col(c)] != "" {
					t.Fatalf("suppressed row %v has %s %q", r, c, r[col(c)])
				}
			}
			if stored[key] == "published" {
				t.Errorf("row %v is suppressed, the store publishes it", r)
			}
			continue
		}
		published++
		x, err := strconv.ParseFloat(r[col("estimate")], 64)
		if err != nil {
			t.Fatalf("published row %v: estimate: %v", r, err)
		}
		if stored[key] != strconv.FormatFloat(x, 'g', -1, 64) {
			t.Errorf("row %v: estimate %s, the store has %s", r, r[col("estimate")], stored[key])
		}
		if r[col("n")] == "" {
			t.Errorf("published row %v has no n", r)
		}
	}
	if suppressed == 0 || published == 0 {
		t.Errorf("%d suppressed and %d published rows: the example has both", suppressed, published)
	}
	// Labels and order.
	for _, r := range recs[1:] {
		if r[col("gender")] == "2" && r[col("gender_label")] != "Kvinne" {
			t.Fatalf("gender 2 labelled %q, want Kvinne", r[col("gender_label")])
		}
		if r[col("group_set")] == "all" && (r[col("gender")] != "" || r[col("municipality")] != "") {
			t.Fatalf("whole-sample row %v has group values", r)
		}
	}
	var order []string
	for _, r := range recs[1:] {
		if len(order) == 0 || order[len(order)-1] != r[0] {
			order = append(order, r[0])
		}
	}
	if want := indicatorIDs(t); !slices.Equal(order, want) {
		t.Errorf("indicators in the order %v, want report order %v", order, want)
	}
	var munis []float64
	for _, r := range recs[1:] {
		if r[0] == "structural" && r[col("wave")] == "1" && r[col("group_set")] == "municipality" {
			x, _ := strconv.ParseFloat(r[col("municipality")], 64)
			munis = append(munis, x)
		}
	}
	if len(munis) < 2 || !slices.IsSorted(munis) {
		t.Errorf("municipalities in the order %v, want numeric order", munis)
	}
}

// indicatorIDs are the example's indicators in report order.
func indicatorIDs(t *testing.T) []string {
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	mods, _, err := score.Build(cb, indicators.Modules, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range mods {
		for _, o := range m.Outputs() {
			ids = append(ids, o.ID)
		}
	}
	return ids
}

func checkEstimatesParquet(t *testing.T, db *sql.DB, path string) {
	p := "read_parquet(" + store.QuoteString(path) + ")"
	if n, want := count(t, db, "SELECT count(*) FROM "+p), count(t, db, "SELECT count(*) FROM estimates"); n != want {
		t.Errorf("%d rows, want %d", n, want)
	}
	// Published cells have the store's numbers exactly; suppressed ones none.
	join := ` FROM ` + p + ` x JOIN estimates e ON x.indicator = e.indicator AND x.wave = e.wave AND x.group_set = e.group_set`
	for _, g := range groupColumns(t, db) {
		join += fmt.Sprintf(" AND x.%s IS NOT DISTINCT FROM e.%[1]s", store.QuoteIdent(g))
	}
	if n := count(t, db, "SELECT count(*)"+join); n != count(t, db, "SELECT count(*) FROM estimates") {
		t.Errorf("%d rows join the store's cells", n)
	}
	var differ []string
	for _, c := range numberColumns {
		differ = append(differ, fmt.Sprintf("x.%s IS DISTINCT FROM e.%[1]s", c))
	}
	q := "SELECT count(*)" + join + " WHERE e.status = 'published' AND (" + strings.Join(differ, " OR ") + " OR x.suppressed <> '')"
	if n := count(t, db, q); n != 0 {
		t.Errorf("%d published cells differ from the store", n)
	}
	var some []string
	for _, c := range numberColumns {
		some = append(some, "x."+c+" IS NOT NULL")
	}
	q = "SELECT count(*)" + join + " WHERE e.status <> 'published' AND (" + strings.Join(some, " OR ") + " OR x.suppressed <> e.reason)"
	if n := count(t, db, q); n != 0 {
		t.Errorf("%d suppressed cells carry a number or lack their reason", n)
	}
	var typ string
	if err := db.QueryRow("SELECT typeof(estimate) || typeof(n) FROM " + p + " LIMIT 1").Scan(&typ); err != nil || typ != "DOUBLEBIGINT" {
		t.Errorf("estimate and n are %s (%v), want DOUBLE and BIGINT", typ, err)
	}
}

func openXLSX(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func checkEstimatesXLSX(t *testing.T, db *sql.DB, path, about string, heads []string) {
	f := openXLSX(t, path)
	if got, want := f.GetSheetList(), append([]string{about}, indicatorIDs(t)...); !slices.Equal(got, want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	aboutRows, err := f.GetRows(about)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(aboutRows, func(r []string) bool { return len(r) == 3 && r[0] == ":" && r[2] != "" }) {
		t.Errorf("the %s sheet does not explain the symbol \":\"", about)
	}
	total := 0
	for _, sh := range f.GetSheetList()[1:] {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		header := rows[0]
		for _, h := range heads {
			if !slices.Contains(header, h) {
				t.Fatalf("sheet %s: header %v lacks %q", sh, header, h)
			}
		}
		est, reason := slices.Index(header, heads[0]), slices.Index(header, heads[4])
		if n := count(t, db, "SELECT count(*) FROM estimates WHERE indicator = "+store.QuoteString(sh)); len(rows)-1 != n {
			t.Errorf("sheet %s: %d rows, want %d", sh, len(rows)-1, n)
		}
		total += len(rows) - 1
		for i, r := range rows[1:] {
			cell := cellName(est+1, i+2)
			typ := excelize.CellTypeUnset
			if i < 40 { // GetCellType parses the sheet anew: a sample
				if typ, err = f.GetCellType(sh, cell); err != nil {
					t.Fatal(err)
				}
			}
			switch {
			case len(r) > reason && r[reason] != "":
				if r[est] != ":" {
					t.Fatalf("sheet %s row %d: suppressed (%s) but the estimate is %q", sh, i+2, r[reason], r[est])
				}
			case typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString:
				t.Fatalf("sheet %s: published estimate %s is text %q", sh, cell, r[est])
			default:
				if _, err := strconv.ParseFloat(r[est], 64); err != nil {
					t.Fatalf("sheet %s: published estimate %s = %q: %v", sh, cell, r[est], err)
				}
			}
		}
	}
	if n := count(t, db, "SELECT count(*) FROM estimates"); total != n {
		t.Errorf("%d rows over the sheets, want %d", total, n)
	}
}

func checkComparisons(t *testing.T, dir string) {
	recs := readCSV(t, filepath.Join(dir, "comparisons.csv"))
	want := [][]string{
		{"indicator", "wave", "municipality", "municipality_label", "difference", "ci_low", "ci_high", "n", "verdict", "status", "reason"},
		{"structural", "1", "1515", "Herøy", "", "", "", "", "similar", "primary", "primary: n < 10"},
		{"structural", "2", "1515", "Herøy", "2.5", "0.5", "4.5", "12", "higher", "published", ""},
		{"relational", "1", "5014", "Frøya", "-1.25", "-3.5", "1", "40", "similar", "published", ""},
	}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Errorf("comparisons.csv\n got %v\nwant %v", recs, want)
	}
	f := openXLSX(t, filepath.Join(dir, "comparisons.xlsx"))
	rows, err := f.GetRows("structural")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rows[1]); got != "[structural 1 1515 Herøy : : : : similar primary primary: n < 10]" {
		t.Errorf("withheld comparison in the workbook: %s", got)
	}
	if rows[0][4] != "Differanse" {
		t.Errorf("header %v: want Differanse for difference", rows[0])
	}
}

func checkScoresParquet(t *testing.T, db *sql.DB, path string) {
	p := "read_parquet(" + store.QuoteString(path) + ")"
	if n, want := count(t, db, "SELECT count(*) FROM "+p), count(t, db, "SELECT count(*) FROM scores"); n != want {
		t.Errorf("%d rows, scores has %d", n, want)
	}
	// Every row is the store's join, value for value.
	names := tableColumns(t, db, p)
	scores := tableColumns(t, db, "scores")
	sel := make([]string, len(names))
	for j, n := range names {
		switch {
		case n == "wave" || n == "id":
			sel[j] = n
		case slices.Contains(scores, n):
			sel[j] = "s." + store.QuoteIdent(n)
		default:
			sel[j] = "r." + store.QuoteIdent(n)
		}
	}
	q := "SELECT count(*) FROM (SELECT " + strings.Join(sel, ", ") + " FROM scores s JOIN respondents r USING (wave, id) EXCEPT ALL SELECT * FROM " + p + ")"
	if n := count(t, db, q); n != 0 {
		t.Errorf("%d rows of the join are not in the file", n)
	}
	for _, n := range []string{"stratum", "psu", "weight", "municipality", "gender", "background", "structural", "qol"} {
		if !slices.Contains(names, n) {
			t.Errorf("no column %s in %v", n, names)
		}
	}
	var cols string
	if err := db.QueryRow(`SELECT string_agg(name, ',') FROM parquet_schema(` + store.QuoteString(path) + `) WHERE name IN ('wave', 'id', 'weight', 'structural')`).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if cols != "wave,id,weight,structural" {
		t.Errorf("columns %s, want wave, id, …, weight, …, structural in that order", cols)
	}
}

// checkSAV reads the .sav back with socap's reader and compares every
// value with the store's join, and the labels with the codebook's.
func checkSAV(t *testing.T, env *pipeline.Env, path string) {
	r, err := spss.Open(path, spss.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	vars := map[string]spss.Variable{}
	var names []string
	for _, v := range r.Variables {
		vars[v.Name] = v
		names = append(names, v.Name)
	}
	if r.File.Weight != "weight" {
		t.Errorf("weighted by %q, want weight", r.File.Weight)
	}
	if v := vars["gender"]; v.Label != "Kjønn" || v.Measure != spss.MeasureNominal || fmt.Sprint(v.ValueLabels) != "[{1  0 Mann} {2  0 Kvinne}]" {
		t.Errorf("gender: label %q, measure %v, value labels %v", v.Label, v.Measure, v.ValueLabels)
	}
	if v := vars["education"]; v.Measure != spss.MeasureOrdinal || len(v.ValueLabels) != 3 {
		t.Errorf("education: measure %v, %d value labels", v.Measure, len(v.ValueLabels))
	}
	if v := vars["structural"]; !strings.HasPrefix(v.Label, "Strukturell") || !strings.HasSuffix(v.Label, "(poeng 0–100)") || v.Measure != spss.MeasureScale {
		t.Errorf("structural: label %q, measure %v", v.Label, v.Measure)
	}
	if v := vars["id"]; v.Label != "Respondent-ID" || v.Width == 0 {
		t.Errorf("id: label %q, width %d", v.Label, v.Width)
	}
	for _, n := range []string{"stratum", "psu", "weight", "municipality", "background"} {
		if _, ok := vars[n]; !ok {
			t.Errorf("no variable %s", n)
		}
	}
	// Every value, against the store in the file's order.
	scores := tableColumns(t, env.Store.DB(), "scores")
	sel := make([]string, len(names))
	for j, n := range names {
		switch {
		case vars[n].Width > 0:
			sel[j] = store.QuoteIdent(n)
		case n == "wave" || slices.Contains(scores, n):
			sel[j] = fmt.Sprintf("CAST(s.%s AS DOUBLE)", store.QuoteIdent(n))
		default:
			sel[j] = fmt.Sprintf("CAST(r.%s AS DOUBLE)", store.QuoteIdent(n))
		}
	}
	sel[0] = "CAST(wave AS DOUBLE)"
	rows, err := env.Store.DB().Query("SELECT " + strings.Join(sel, ", ") +
		" FROM scores s JOIN respondents r USING (wave, id) ORDER BY wave, TRY_CAST(id AS DOUBLE) NULLS FIRST, id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	b := r.NewBatch(1000)
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for {
		got, err := r.Next(b)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if !rows.Next() {
				t.Fatalf("the file has more than the store's %d rows", n)
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for j, v := range vals {
				c := b.Columns[j]
				var ok bool
				switch v := v.(type) {
				case nil:
					ok = !c.Valid[i]
				case string:
					ok = c.Valid[i] && c.Strings[i] == v
				case float64:
					ok = c.Valid[i] && c.Floats[i] == v
				}
				if !ok {
					t.Fatalf("case %d, %s: file %v %q %v, store %v", n+i+1, names[j], c.Valid[i], strings.Join(c.Strings[i:i+min(len(c.Strings), 1)], ""), c.Floats[i:i+min(len(c.Floats), 1)], v)
				}
			}
		}
		n += got
	}
	if rows.Next() {
		t.Fatalf("the store has more than the file's %d rows", n)
	}
	if want := count(t, env.Store.DB(), "SELECT count(*) FROM scores"); n != want {
		t.Errorf("%d cases, want %d", n, want)
	}
}

// tableColumns are the columns of a table or table function, in order.
func tableColumns(t *testing.T, db *sql.DB, from string) []string {
	t.Helper()
	rows, err := db.Query("SELECT column_name FROM (DESCRIBE SELECT * FROM " + from + ")")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkReadStat converts the .sav with ReadStat, an independent reader,
// when it is installed.
func checkReadStat(t *testing.T, path string) {
	if _, err := exec.LookPath("readstat"); err != nil {
		t.Skip("readstat is not installed")
	}
	out := filepath.Join(t.TempDir(), "scores.csv")
	if b, err := exec.Command("readstat", path, out).CombinedOutput(); err != nil {
		t.Fatalf("readstat: %v\n%s", err, b)
	}
	recs := readCSV(t, out)
	if len(recs) != 6125 || recs[0][0] != "wave" || recs[0][1] != "id" {
		t.Errorf("readstat reads %d lines, header %v", len(recs), recs[0][:2])
	}
}

// checkHaven runs testdata/check_sav.R, which reads the .sav with R's
// haven and estimates from it with R's survey, when R has them; the
// estimate and SE equal the store's within 1e-8 relative.
func checkHaven(t *testing.T, db *sql.DB, path string) {
	if testing.Short() {
		t.Skip("R takes seconds to start; not with -short")
	}
	if _, err := exec.LookPath("Rscript"); err != nil {
		t.Skip("Rscript is not installed")
	}
	if err := exec.Command("Rscript", "-e", "library(haven); library(survey)").Run(); err != nil {
		t.Skip("R's haven or survey is not installed")
	}
	b, err := exec.Command("Rscript", "testdata/check_sav.R", path).CombinedOutput()
	if err != nil {
		t.Fatalf("check_sav.R: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "ok 6124 respondents") {
		t.Errorf("check_sav.R says:\n%s", b)
	}
	var est, se, want, wantSE float64
	line := string(b)[strings.Index(string(b), "structural wave 1:"):]
	if _, err := fmt.Sscanf(line, "structural wave 1: %g %g", &est, &se); err != nil {
		t.Fatalf("check_sav.R: %v\n%s", err, b)
	}
	q := "SELECT estimate, se FROM estimates WHERE indicator = 'structural' AND wave = '1' AND group_set = 'all'"
	if err := db.QueryRow(q).Scan(&want, &wantSE); err != nil {
		t.Fatal(err)
	}
	if math.Abs(est-want) > 1e-8*math.Abs(want) || math.Abs(se-wantSE) > 1e-8*wantSE {
		t.Errorf("R from scores.sav: %v (SE %v); socap: %v (SE %v)", est, se, want, wantSE)
	}
}

func TestNoEstimates(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "", store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := &pipeline.Env{Store: st, Codebook: cb, Config: &pipeline.Config{Output: dir, Language: "nb"}, Log: io.Discard}
	s := &Stage{}
	err = s.Run(ctx, env)
	if err == nil || !strings.Contains(err.Error(), "no estimates table") {
		t.Errorf("Run without estimates: %v", err)
	}
	if len(s.Files()) != 0 {
		t.Errorf("files %v after a failed run", s.Files())
	}
}

func TestSheetName(t *testing.T) {
	taken := map[string]bool{"om tabellene": true}
	for _, c := range []struct{ in, want string }{
		{"structural", "structural"},
		{"Structural", "Structural~2"},
		{"a/b:c?d", "a_b_c_d"},
		{"'quoted'", "quoted"},
		{"", "_"},
		{"Om tabellene", "Om tabellene~2"},
		{strings.Repeat("x", 40), strings.Repeat("x", 31)},
		{strings.Repeat("x", 35), strings.Repeat("x", 29) + "~2"},
		{strings.Repeat("ø", 33), strings.Repeat("ø", 31)},
	} {
		if got := sheetName(c.in, taken); got != c.want {
			t.Errorf("sheetName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFormatFloat(t *testing.T) {
	for _, x := range []float64{0.1, 1.0 / 3, 45.22799186716572, 1e21, 5e-324, -2.5, 329806.0694151732} {
		s := formatFloat(x)
		if y, err := strconv.ParseFloat(s, 64); err != nil || y != x {
			t.Errorf("formatFloat(%v) = %q reads back as %v (%v)", x, s, y, err)
		}
	}
	for x, want := range map[float64]string{math.Inf(1): "Inf", math.Inf(-1): "-Inf", math.NaN(): "", 2: "2"} {
		if got := formatFloat(x); got != want {
			t.Errorf("formatFloat(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestLabels(t *testing.T) {
	v := &codebook.Variable{Values: []codebook.Value{{Code: "1", NB: "Mann", EN: "Male"}, {Code: "x", NB: "", EN: "Ex"}}}
	nb := valueLabels(v, "nb")
	for value, want := range map[any]string{"1": "Mann", "1.0": "Mann", 1.0: "Mann", int64(1): "Mann", "x": "Ex", "2": "", nil: ""} {
		if got := nb.of(value); got != want {
			t.Errorf("label of %#v = %q, want %q", value, got, want)
		}
	}
}
