# Reference values for indicators/survey from R's survey package.
#
#   Rscript testdata/reference/survey.R        (from the repository root)
#
# Reads the api and ESS9 Norway data from ../shared/datasets (never copied here) and
# writes, next to this script:
#   survey.csv          one row per estimate: case, method, variable, statistic, level,
#                       p, by, estimate, se, ci_low, ci_high, df, deff, n, sum_weights
#   reps_*.csv          replicate multipliers per PSU written out by as.svrepdesign, so
#                       that Go can rebuild the same replicate designs (bootstrap uses R's
#                       RNG, BRR/Fay R's Hadamard matrices).
#
# Every domain estimate is computed on subset(design, domain & !is.na(y)), which is what
# svyby does, so that df = degf(subset) and the CIs are confint(..., df = degf(subset)).
suppressMessages(library(survey))
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- dirname(normalizePath(script))
data_dir <- normalizePath(file.path(here, "..", "..", "..", "shared", "datasets"))

api <- function(name) read.csv(file.path(data_dir, "api", paste0(name, ".csv")))
g <- function(x) if (length(x) == 0 || is.null(x) || is.na(x)) "NA" else sprintf("%.17g", x)

rows <- list()
emit <- function(case, method, variable, statistic, level, p, by, est, se, ci, df, deff, n, sw) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, method = method, variable = variable, statistic = statistic,
    level = level, p = if (is.na(p)) "" else g(p), by = by,
    estimate = g(est), se = g(se), ci_low = g(ci[1]), ci_high = g(ci[2]), df = g(df),
    deff = g(deff), n = n, sum_weights = g(sw), stringsAsFactors = FALSE)
}

# domains: every combination of the by-variables present in the data (svyby).
domains <- function(data, by) {
  if (length(by) == 0) return(list(list(mask = rep(TRUE, nrow(data)), label = "")))
  keys <- unique(data[complete.cases(data[, by, drop = FALSE]), by, drop = FALSE])
  lapply(seq_len(nrow(keys)), function(i) {
    mask <- rep(TRUE, nrow(data))
    for (b in by) mask <- mask & !is.na(data[[b]]) & data[[b]] == keys[i, b]
    list(mask = mask, label = paste0(by, "=", sapply(by, function(b) as.character(keys[i, b])), collapse = ";"))
  })
}

isrep <- function(design) inherits(design, "svyrep.design")
sw <- function(ds) sum(weights(ds, "sampling"))

# one linear statistic (mean, total, ratio, prop) in one domain
linear <- function(case, method, design, data, spec, dom, level = "") {
  y <- data[[spec$var]]
  keep <- dom$mask & !is.na(y)
  if (!is.null(spec$den)) keep <- keep & !is.na(data[[spec$den]])
  if (!any(keep)) return(invisible())
  ds <- subset(design, keep)
  df <- degf(ds)
  n <- sum(keep)
  if (spec$stat %in% c("mean", "total")) {
    f <- as.formula(paste0("~`", spec$var, "`"))
    m <- if (spec$stat == "mean") svymean(f, ds, deff = TRUE) else svytotal(f, ds, deff = TRUE)
    emit(case, method, spec$var, spec$stat, "", NA, dom$label, coef(m), SE(m),
         confint(m, df = df), df, deff(m), n, sw(ds))
  } else if (spec$stat == "ratio") {
    r <- svyratio(as.formula(paste0("~", spec$var)), as.formula(paste0("~", spec$den)), ds,
                  deff = !isrep(ds))
    est <- coef(r); se <- sqrt(as.vector(r$var))
    ci <- est + se * qt(c(0.025, 0.975), df)
    emit(case, method, paste0(spec$var, "/", spec$den), "ratio", "", NA, dom$label, est, se, ci, df,
         if (isrep(ds)) NA else attr(r, "deff"), n, sw(ds))
  } else if (spec$stat == "prop") {
    v <- data[[spec$var]]
    ind <- if (level == "") v else as.numeric(as.character(v) == level)
    ds <- subset(update(design, .ind = ind), keep)
    m <- svymean(~.ind, ds, deff = TRUE)
    # svyciprop's glm cannot profile a proportion of 0 or 1: no interval then
    ci <- tryCatch(attr(svyciprop(~.ind, ds, method = method, df = df), "ci"), error = function(e) c(NA, NA))
    emit(case, method, spec$var, "prop", level, NA, dom$label, coef(m), SE(m), ci, df, deff(m), n, sw(ds))
  }
}

# method is the quantile rule, optionally "+" the Woodruff interval type (default mean)
quantiles <- function(case, method, design, data, spec, dom) {
  keep <- dom$mask & !is.na(data[[spec$var]])
  if (!any(keep)) return(invisible())
  ds <- subset(design, keep)
  parts <- strsplit(method, "+", fixed = TRUE)[[1]]
  itype <- if (length(parts) > 1) parts[2] else "mean"
  q <- svyquantile(as.formula(paste0("~", spec$var)), ds, quantiles = spec$probs, qrule = parts[1],
                   interval.type = itype, ci = TRUE)
  tab <- q[[1]]
  for (i in seq_along(spec$probs)) {
    emit(case, method, spec$var, "quantile", "", spec$probs[i], dom$label, tab[i, 1], tab[i, 4],
         tab[i, 2:3], degf(ds), NA, sum(keep), sw(ds))
  }
}

# run every spec in every domain of every by-set
run <- function(case, design, data, specs, bys = list(character(0)),
                propci = c("logit", "likelihood", "asin", "beta", "mean", "xlogit"),
                rules = c("math", "hf7")) {
  for (by in bys) for (dom in domains(data, by)) for (spec in specs) {
    if (spec$stat == "prop") {
      levels <- if (is.null(spec$levels)) "" else spec$levels
      for (m in propci) for (lev in levels) linear(case, m, design, data, spec, dom, lev)
    } else if (spec$stat == "quantile") {
      for (m in rules) quantiles(case, m, design, data, spec, dom)
    } else {
      linear(case, "", design, data, spec, dom)
    }
  }
}

S <- function(stat, var, ...) list(stat = stat, var = var, ...)

# replicate multipliers per PSU (compressed repweights) for Go to rebuild the design
write_reps <- function(name, rep, psu) {
  w <- rep$repweights
  unit <- psu[!duplicated(w$index)][order(unique(w$index))]
  out <- data.frame(unit = unit, w$weights)
  names(out) <- c("unit", paste0("r", seq_len(ncol(w$weights))))
  write.csv(out, file.path(here, paste0("reps_", name, ".csv")), row.names = FALSE)
  cat(sprintf("%s: %d replicates, scale %.17g\n", name, ncol(w$weights), rep$scale))
}
supplied <- function(rep, data) {
  # the same replicates as full combined-weight columns, built from the written file
  w <- rep$repweights
  full <- w$weights[w$index, , drop = FALSE] * rep$pweights
  colnames(full) <- paste0("rw", seq_len(ncol(full)))
  list(data = cbind(data, full), cols = colnames(full))
}

## api: stratified with fpc ------------------------------------------------------------
apistrat <- api("apistrat")
strat <- svydesign(ids = ~1, strata = ~stype, fpc = ~fpc, weights = ~pw, data = apistrat)
run("strat", strat, apistrat,
    list(S("mean", "api00"), S("total", "enroll"), S("ratio", "api00", den = "api99"),
         S("prop", "sch.wide", levels = c("No", "Yes")), S("quantile", "api00", probs = c(0.25, 0.5, 0.9))),
    bys = list(character(0), "stype", c("stype", "awards")))
run("strat", strat, apistrat, list(S("quantile", "api00", probs = c(0.1, 0.5))),
    bys = list(character(0), "stype"), rules = c("math+beta", "math+xlogit", "hf7+asin"))

## api: one-stage cluster with fpc -----------------------------------------------------
apiclus1 <- api("apiclus1")
clus1 <- svydesign(ids = ~dnum, fpc = ~fpc, weights = ~pw, data = apiclus1)
run("clus1", clus1, apiclus1,
    list(S("mean", "api00"), S("total", "enroll"), S("ratio", "api00", den = "api99"),
         S("prop", "sch.wide", levels = c("Yes")), S("quantile", "api00", probs = c(0.5))),
    bys = list(character(0), "stype"))

## api: two-stage with fpc at both stages ---------------------------------------------
apiclus2 <- api("apiclus2")
clus2 <- svydesign(ids = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = apiclus2)
run("clus2", clus2, apiclus2,
    list(S("mean", "api00"), S("mean", "enroll"), S("total", "enroll"), S("ratio", "api00", den = "api99")),
    bys = list(character(0), "stype"), rules = "math")

# the same design without weights: svydesign derives them from the fpc of each stage
clus2nw <- svydesign(ids = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
run("clus2_noweights", clus2nw, apiclus2, list(S("mean", "api00"), S("total", "enroll")),
    bys = list(character(0), "stype"))

## JK1 from the one-stage design, written out ------------------------------------------
jk1 <- as.svrepdesign(clus1, type = "JK1")
write_reps("clus1_jk1", jk1, apiclus1$dnum)
run("clus1_jk1", jk1, apiclus1,
    list(S("mean", "api00"), S("total", "enroll"), S("ratio", "api00", den = "api99"),
         S("prop", "sch.wide", levels = c("Yes"))),
    bys = list(character(0), "stype"), propci = c("logit", "beta", "likelihood"))

## a calibrated design: post-stratified on awards with apipop's counts ----------------
# (a calibrated design keeps every row in a domain: nrow(design) is the whole sample)
apipop <- api("apipop")
ps <- postStratify(strat, ~awards, data.frame(awards = c("No", "Yes"), Freq = as.vector(table(apipop$awards))))
run("strat_ps", ps, apistrat,
    list(S("mean", "api00"), S("total", "enroll"), S("ratio", "api00", den = "api99"),
         S("prop", "sch.wide", levels = "Yes"), S("quantile", "api00", probs = 0.5)),
    bys = list(character(0), "stype"), propci = c("logit", "beta", "likelihood"), rules = "math")

## JKn from the stratified design (deterministic: Go converts itself) -------------------
jkn <- as.svrepdesign(strat, type = "JKn")
run("strat_jkn", jkn, apistrat, list(S("mean", "api00"), S("total", "enroll")),
    bys = list(character(0), "awards"))

## bootstrap replicate weights with a fixed seed, written out --------------------------
set.seed(20260101)
boot <- as.svrepdesign(strat, type = "bootstrap", replicates = 50)
write_reps("strat_boot", boot, apistrat$snum)
bs <- supplied(boot, apistrat)
boot_sup <- svrepdesign(data = bs$data, repweights = "^rw[0-9]+$", weights = ~pw, type = "bootstrap",
                        combined.weights = TRUE)
run("strat_boot", boot_sup, bs$data,
    list(S("mean", "api00"), S("total", "enroll"), S("ratio", "api00", den = "api99"),
         S("quantile", "api00", probs = c(0.5))),
    bys = list(character(0), "stype"), rules = "math")

## Fay BRR on a paired design ------------------------------------------------------------
# Within each school type, schools in snum order form strata of ten, alternately split
# into two PSUs of five: 20 strata with exactly two PSUs each.
paired <- apistrat[order(apistrat$stype, apistrat$snum), ]
k <- ave(seq_len(nrow(paired)), paired$stype, FUN = seq_along) - 1
paired$pstr <- paste0(paired$stype, k %/% 10)
paired$ppsu <- paste0(paired$pstr, "-", k %% 2)
pd <- svydesign(ids = ~ppsu, strata = ~pstr, weights = ~pw, data = paired)
fay <- as.svrepdesign(pd, type = "Fay", fay.rho = 0.3)
write_reps("paired_fay", fay, paired$ppsu)
fs <- supplied(fay, paired)
fay_sup <- svrepdesign(data = fs$data, repweights = "^rw[0-9]+$", weights = ~pw, type = "Fay", rho = 0.3,
                       combined.weights = TRUE)
run("paired_fay", fay_sup, fs$data,
    list(S("mean", "api00"), S("total", "enroll"), S("ratio", "api00", den = "api99"),
         S("prop", "sch.wide", levels = "Yes")),
    bys = list(character(0), "stype"), propci = c("logit", "mean"))
fay_mse <- svrepdesign(data = fs$data, repweights = "^rw[0-9]+$", weights = ~pw, type = "Fay", rho = 0.3,
                       combined.weights = TRUE, mse = TRUE)
run("paired_fay_mse", fay_mse, fs$data, list(S("mean", "api00")), bys = list("stype"))
# the paired design by linearisation: with-replacement variance of ultimate clusters
run("paired", pd, paired, list(S("mean", "api00"), S("total", "enroll")), bys = list(character(0), "stype"))

## lonely PSUs built by dropping PSUs ----------------------------------------------------
# Stratum H keeps one school; domain "a" holds all of E and a single school of M.
lonely <- apistrat[apistrat$stype != "H" | apistrat$snum == min(apistrat$snum[apistrat$stype == "H"]), ]
firstM <- min(lonely$snum[lonely$stype == "M"])
lonely$dom <- ifelse(lonely$stype == "E" | lonely$snum == firstM, "a", "b")
for (rule in c("remove", "adjust", "certainty", "average")) {
  for (adom in c(FALSE, TRUE)) {
    options(survey.lonely.psu = rule, survey.adjust.domain.lonely = adom)
    ld <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = lonely)
    run(paste0("lonely_", rule, if (adom) "_domain" else ""), ld, lonely,
        list(S("mean", "api00"), S("total", "enroll")), bys = list(character(0), "dom"))
  }
  # the same design as JKn replicates: jknweights' own lonely-PSU rules
  options(survey.adjust.domain.lonely = FALSE)
  ld <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = lonely)
  run(paste0("lonely_", rule, "_jkn"), as.svrepdesign(ld, type = "JKn"), lonely,
      list(S("mean", "api00"), S("total", "enroll")), bys = list(character(0), "dom"))
}
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

## ESS9 Norway -------------------------------------------------------------------------
ess <- read.csv(file.path(data_dir, "ess9no", "ESS9NO.csv"))
essd <- svydesign(ids = ~psu, strata = ~stratum, weights = ~anweight, nest = TRUE, data = ess)
trust <- c("ppltrst", "pplfair", "pplhlp", "trstprl", "trstlgl", "trstplc", "trstplt")
run("ess", essd, ess, lapply(trust, function(v) S("mean", v)), bys = list(character(0), "brncntr"))
run("ess", essd, ess, list(S("prop", "pdwrk")), bys = list(character(0), "brncntr", c("brncntr", "gndr")))
run("ess", essd, ess, list(S("quantile", "ppltrst", probs = c(0.5, 0.75))), bys = list("gndr"))

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "survey.csv"), row.names = FALSE)
cat(sprintf("%d rows, %d reference numbers\n", nrow(out),
            sum(sapply(out[, c("estimate", "se", "ci_low", "ci_high")], function(x) sum(x != "NA")))))
