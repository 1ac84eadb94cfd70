# Reference values for indicators/survey's EstimateDomains and Contrast (contrast.go)
# from R's survey package.
#
#   Rscript testdata/reference/contrast.R      (from the repository root)
#
# Reads the api data from ../shared/datasets (never copied here) and writes contrast.csv
# next to this script, one row per number:
#   by         the by-variable whose groups are the domains
#   kind est   a domain's estimate and SE from svyby(~y, ~g, design, FUN, covmat = TRUE)
#   kind cov   the covariance of domains a and b from that svyby (its attr "var")
#   kind diff  the contrast a − b (b = "all": the whole sample) with SE and the CI of
#              confint(..., df = degf(design)); method "svyby" is svycontrast on the
#              svyby, method "quote" is svycontrast(svytotal(...), quote(ya/na − yb/nb))
#              (the delta method, or the replicates' nonlinear contrasts for a
#              replicate design), which also gives domain − whole sample.
# Missing values of the analysis variables are out of every domain (na.rm = TRUE).
suppressMessages(library(survey))
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- dirname(normalizePath(script))
data_dir <- normalizePath(file.path(here, "..", "..", "..", "shared", "datasets"))

api <- function(name) read.csv(file.path(data_dir, "api", paste0(name, ".csv")))
g <- function(x) if (length(x) == 0 || is.null(x) || is.na(x)) "NA" else sprintf("%.17g", x)

rows <- list()
emit <- function(case, spec, by, kind, method, a, b, est, se = NA, ci = c(NA, NA), df = NA) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, by = by, variable = spec$name, statistic = spec$stat, level = spec$level,
    kind = kind, method = method, a = a, b = b, estimate = g(est), se = g(se),
    ci_low = g(ci[1]), ci_high = g(ci[2]), df = g(df), stringsAsFactors = FALSE)
}

S <- function(stat, var, den = NULL, level = "") {
  list(stat = stat, var = var, den = den, level = level,
       name = if (is.null(den)) var else paste0(var, "/", den))
}

# One statistic by the domains of column by, both ways.
run <- function(case, design, data, spec, by) {
  y <- data[[spec$var]]
  if (spec$level != "") y <- as.numeric(as.character(y) == spec$level)
  x <- if (is.null(spec$den)) rep(1, nrow(data)) else data[[spec$den]]
  ok <- !is.na(y) & !is.na(x)
  # rows without a value leave the by-variable too: svyby's covmat puts each group's
  # influence functions on its rows, which svymean(na.rm = TRUE) would have dropped
  design <- update(design, .y = y, .x = x, .g = ifelse(ok, as.character(data[[by]]), NA))
  df <- degf(design)
  levs <- sort(unique(as.character(data[[by]][ok])))
  # svyratio returns no influence functions on some designs (apiclus1) and svyby's
  # covmat fails on a calibrated design (it keeps every row in a group), so svyby is
  # asked for means and proportions of uncalibrated designs; svytotal below does all
  if (spec$stat != "ratio" && !survey:::is.calibrated(design)) {
    b <- svyby(~.y, ~.g, design, svymean, covmat = TRUE, na.rm = TRUE)
    stopifnot(identical(as.character(b$.g), levs))
    V <- vcov(b)
    est <- coef(b)
    for (i in seq_along(levs)) {
      emit(case, spec, by, "est", "svyby", levs[i], "", est[i], sqrt(V[i, i]))
      for (j in seq_along(levs)) if (j <= i) emit(case, spec, by, "cov", "svyby", levs[i], levs[j], V[i, j])
    }
    for (i in seq_along(levs)) for (j in seq_along(levs)) if (i != j) {
      cc <- rep(0, length(levs)); cc[i] <- 1; cc[j] <- -1
      k <- svycontrast(b, cc)
      emit(case, spec, by, "diff", "svyby", levs[i], levs[j], coef(k), SE(k), confint(k, df = df), df)
    }
  }
  # totals of y and of the denominator (1 or x) in each domain and in the whole sample
  y0 <- ifelse(ok, y, 0); x0 <- ifelse(ok, x, 0)
  cols <- list(yall = y0, nall = x0)
  for (i in seq_along(levs)) {
    m <- !is.na(data[[by]]) & as.character(data[[by]]) == levs[i]
    cols[[paste0("y", i)]] <- y0 * m
    cols[[paste0("n", i)]] <- x0 * m
  }
  design <- do.call(update, c(list(design), cols))
  f <- as.formula(paste("~", paste(names(cols), collapse = "+")))
  tot <- if (inherits(design, "svyrep.design")) svytotal(f, design, return.replicates = TRUE) else svytotal(f, design)
  ratio <- function(k) if (k == 0) quote(yall / nall) else parse(text = sprintf("y%d / n%d", k, k))[[1]]
  doms <- c("all", levs)
  # every domain's estimate (the whole sample first) with their covariance
  k <- svycontrast(tot, setNames(lapply(seq_along(doms) - 1, ratio), doms))
  V <- vcov(k)
  for (i in seq_along(doms)) {
    emit(case, spec, by, "est", "quote", doms[i], "", coef(k)[i], sqrt(V[i, i]))
    for (j in seq_along(doms)) if (j <= i) emit(case, spec, by, "cov", "quote", doms[i], doms[j], V[i, j])
  }
  for (i in seq_along(levs)) for (j in c(0, seq_along(levs))) if (i != j) {
    k <- svycontrast(tot, list(d = bquote(.(ratio(i)) - .(ratio(j)))))
    emit(case, spec, by, "diff", "quote", levs[i], doms[j + 1], coef(k), SE(k), confint(k, df = df), df)
  }
}

specs <- list(S("mean", "api00"), S("prop", "sch.wide", level = "Yes"), S("ratio", "api00", "api99"))

strat <- svydesign(ids = ~1, strata = ~stype, fpc = ~fpc, weights = ~pw, data = api("apistrat"))
for (s in specs) run("strat", strat, api("apistrat"), s, "stype")
for (s in specs) run("strat", strat, api("apistrat"), s, "awards")

clus1 <- svydesign(ids = ~dnum, fpc = ~fpc, weights = ~pw, data = api("apiclus1"))
for (s in specs) run("clus1", clus1, api("apiclus1"), s, "stype")

clus2data <- api("apiclus2")
clus2 <- svydesign(ids = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = clus2data)
for (s in c(specs, list(S("mean", "enroll")))) run("clus2", clus2, clus2data, s, "stype")

jk1 <- as.svrepdesign(clus1, type = "JK1")
for (s in specs) run("clus1_jk1", jk1, api("apiclus1"), s, "stype")

# post-stratified on awards (population counts from apipop)
pop <- api("apipop")
ps <- postStratify(strat, ~awards, data.frame(awards = c("No", "Yes"), Freq = as.vector(table(pop$awards))))
for (s in specs) run("strat_ps", ps, api("apistrat"), s, "stype")

# lonely PSUs as in survey.R: stratum H keeps one school; domain "a" holds all of E and
# a single school of M
lonely <- api("apistrat")
lonely <- lonely[lonely$stype != "H" | lonely$snum == min(lonely$snum[lonely$stype == "H"]), ]
firstM <- min(lonely$snum[lonely$stype == "M"])
lonely$dom <- ifelse(lonely$stype == "E" | lonely$snum == firstM, "a", "b")
for (rule in c("adjust", "average")) {
  for (adom in c(FALSE, TRUE)) {
    options(survey.lonely.psu = rule, survey.adjust.domain.lonely = adom)
    ld <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = lonely)
    suppressWarnings(run(paste0("lonely_", rule, if (adom) "_domain" else ""), ld, lonely, S("mean", "api00"), "dom"))
  }
}
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "contrast.csv"), row.names = FALSE)
