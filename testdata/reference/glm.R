# Reference values for survey-weighted regression and calibration in indicators/survey,
# from R's survey package.
#
#   Rscript testdata/reference/glm.R        (from the repository root)
#
# Reads the api and ESS9 Norway data from ../shared/datasets (never copied here) and
# writes, next to this script:
#   glm.csv        case, kind, term, by, estimate, se, t, p, ci_low, ci_high, df
#                  kind coef:  svyglm coefficients (t, p, confint on df.residual)
#                  kind deviance: deviance(fit) (the weights scaled to mean 1)
#                  kind vcov:  vcov(fit)[a, b] with term "a|b"
#                  kind test:  regTermTest(fit, terms) (method = "Wald"): term is the
#                              tested terms joined by "+", estimate the F statistic,
#                              t the numerator df, df the denominator df
#                  kind ame:   average marginal effects, overall and by group, computed
#                              by hand from the svyglm fit (see ame() below)
#   calibrate.csv  case, statistic, variable, estimate, se, sum_weights: svymean,
#                  svytotal and svyglm coefficients after postStratify, rake and
#                  calibrate (linear, bounded linear, logit) of apiclus1, linearised and
#                  JK1, to apipop margins
#   calibrate_margins.csv   the margins (variable, level, total), socap's margins format
#   calibrate_weights.csv   case, row, weight: every calibrated weight
#
# Every fit uses glm.control(epsilon = 1e-14, maxit = 100) so that the coefficients are
# the maximum-likelihood values to full precision, whatever the starting point.
suppressMessages(library(survey))
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- dirname(normalizePath(script))
data_dir <- normalizePath(file.path(here, "..", "..", "..", "shared", "datasets"))

api <- function(name) read.csv(file.path(data_dir, "api", paste0(name, ".csv")))
g <- function(x) if (length(x) == 0 || is.null(x) || is.na(x)) "NA" else sprintf("%.17g", x)
ctl <- glm.control(epsilon = 1e-14, maxit = 100)

rows <- list()
emit <- function(case, kind, term, by = "", est = NA, se = NA, t = NA, p = NA, lo = NA, hi = NA, df = NA) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, kind = kind, term = term, by = by, estimate = g(est), se = g(se), t = g(t),
    p = g(p), ci_low = g(lo), ci_high = g(hi), df = g(df), stringsAsFactors = FALSE)
}

isrep <- function(design) inherits(design, "svyrep.design")

# one svyglm fit: coefficients, covariance, Wald tests, marginal effects
fit_case <- function(case, formula, design, family, tests = list(), ames = list()) {
  # Refit from the converged coefficients: glm's cov.unscaled comes from the working
  # weights of the last iteration's start, which are then those at the estimate itself.
  fit0 <- svyglm(formula, design, family = family, control = ctl)
  # (do.call puts the values in the call that svyglm evaluates in its own frame)
  args <- list(formula, design, family = family, control = ctl, start = unname(coef(fit0)))
  if (isrep(design)) args$return.replicates <- TRUE
  fit <- do.call(svyglm, args)
  s <- summary(fit)$coefficients
  ci <- confint(fit)
  for (j in rownames(s)) {
    emit(case, "coef", j, "", s[j, 1], s[j, 2], s[j, 3], s[j, 4], ci[j, 1], ci[j, 2], fit$df.residual)
  }
  emit(case, "deviance", "", est = deviance(fit))
  v <- vcov(fit)
  for (a in rownames(v)) for (b in colnames(v)) emit(case, "vcov", paste0(a, "|", b), est = v[a, b])
  for (tt in tests) {
    r <- regTermTest(fit, tt)
    emit(case, "test", paste(attr(terms(tt), "term.labels"), collapse = "+"),
         est = r$Ftest, t = r$df, p = r$p, df = r$ddf)
  }
  for (a in ames) ame(case, fit, design, family, a)
  invisible(fit)
}

# d mu / d eta and d2 mu / d eta2 of the family's link
mu_eta <- function(family, eta) family$mu.eta(eta)
mu_eta2 <- function(family, eta) {
  switch(family$link,
    identity = 0 * eta,
    logit = { m <- plogis(eta); m * (1 - m) * (1 - 2 * m) },
    log = exp(eta))
}

# Average marginal effect of spec$var (numeric: derivative; factor: spec$level against the
# reference, with spec$term the coefficient name) over the complete rows, overall and in
# each group of spec$by, with its design-based variance:
#   AME = sum w m_i / sum w,  m_i = dmu_i/dx (numeric) or mu_i(level) - mu_i(reference)
#   linearisation: z_i = w_i (m_i - AME)/W + infl_i . dAME/dbeta, infl = estfun %*% A^-1,
#                  variance svyrecvar(z) on the design after na.omit
#   replicates:    AME_r from the replicate coefficients and weights, svrVar
# Numeric derivatives of the model matrix use central differences, exact for the
# polynomial terms used here.
ame <- function(case, fit, design, family, spec) {
  tt <- delete.response(terms(fit))
  mf <- model.frame(fit)
  data <- fit$data[rownames(mf), , drop = FALSE]
  X <- model.matrix(fit)
  beta <- coef(fit)
  mm <- function(newdata) model.matrix(tt, model.frame(tt, newdata, xlev = fit$xlevels))
  if (spec$type == "num") {
    h <- 1e-4 * pmax(1, abs(data[[spec$var]]))
    up <- data; up[[spec$var]] <- up[[spec$var]] + h
    dn <- data; dn[[spec$var]] <- dn[[spec$var]] - h
    D <- (mm(up) - mm(dn)) / (2 * h)
    mfun <- function(b) {
      eta <- drop(X %*% b)
      mu_eta(family, eta) * drop(D %*% b)
    }
    grad_i <- function(b) {
      eta <- drop(X %*% b)
      mu_eta2(family, eta) * drop(D %*% b) * X + mu_eta(family, eta) * D
    }
    name <- spec$var
  } else {
    d1 <- data; d1[[spec$var]] <- spec$level
    d0 <- data; d0[[spec$var]] <- spec$ref
    X1 <- mm(d1); X0 <- mm(d0)
    mfun <- function(b) family$linkinv(drop(X1 %*% b)) - family$linkinv(drop(X0 %*% b))
    grad_i <- function(b) mu_eta(family, drop(X1 %*% b)) * X1 - mu_eta(family, drop(X0 %*% b)) * X0
    name <- spec$term
  }
  m <- mfun(beta)
  G <- grad_i(beta)
  groups <- list(list(label = "", mask = rep(TRUE, nrow(data))))
  if (!is.null(spec$by)) {
    for (lev in sort(unique(data[[spec$by]]))) {
      groups[[length(groups) + 1]] <- list(label = paste0(spec$by, "=", lev), mask = data[[spec$by]] == lev)
    }
  }
  ds <- fit$survey.design
  for (gr in groups) {
    if (isrep(design)) {
      w <- weights(ds, "sampling")
      W <- sum(w[gr$mask])
      est <- sum((w * m)[gr$mask]) / W
      wr <- weights(ds, "analysis")
      reps <- sapply(seq_len(ncol(wr)), function(r) {
        mr <- mfun(fit$replicates[r, ])
        sum((wr[, r] * mr)[gr$mask]) / sum(wr[gr$mask, r])
      })
      v <- svrVar(reps, ds$scale, ds$rscales, mse = ds$mse, coef = est)
      df <- degf(design)
    } else {
      w <- weights(ds)
      W <- sum(w[gr$mask])
      est <- sum((w * m)[gr$mask]) / W
      dAME <- colSums((w * G)[gr$mask, , drop = FALSE]) / W
      estfun <- X * resid(fit, "working") * fit$weights
      infl <- estfun %*% fit$naive.cov
      z <- ifelse(gr$mask, w * (m - est) / W, 0) + drop(infl %*% dAME)
      v <- survey:::svyrecvar(z, ds$cluster, ds$strata, ds$fpc, postStrata = ds$postStrata)
      df <- degf(ds)
    }
    se <- sqrt(as.vector(v))
    dfr <- fit$df.residual
    emit(case, "ame", name, gr$label, est, se, est / se, 2 * pt(-abs(est / se), dfr),
         est + qt(0.025, dfr) * se, est + qt(0.975, dfr) * se, dfr)
  }
}

num <- function(var, by = NULL) list(type = "num", var = var, by = by)
fac <- function(var, level, ref, term, by = NULL) list(type = "fac", var = var, level = level, ref = ref, term = term, by = by)

## api designs -------------------------------------------------------------------------
apistrat <- api("apistrat")
apistrat$sch.wide <- factor(apistrat$sch.wide)
strat <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
fit_case("strat_gaussian", api00 ~ ell + meals + stype + I(ell^2), strat, gaussian(),
         tests = list(~stype, ~ell + I(ell^2)),
         ames = list(num("ell", by = "stype"), fac("stype", "H", "E", "stypeH")))
fit_case("strat_quasibinomial", sch.wide ~ ell + meals + stype, strat, quasibinomial(),
         tests = list(~stype),
         ames = list(num("meals", by = "stype"), fac("stype", "M", "E", "stypeM", by = "stype")))

# lonely PSUs (as survey.R builds them): one high school left, a stratum with one PSU
lonely <- apistrat[apistrat$stype != "H" | apistrat$snum == min(apistrat$snum[apistrat$stype == "H"]), ]
for (rule in c("adjust", "average", "remove", "certainty")) {
  options(survey.lonely.psu = rule)
  ld <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = lonely)
  fit_case(paste0("lonely_", rule, "_gaussian"), api00 ~ ell + meals, ld, gaussian(),
           tests = list(~ell + meals), ames = list(num("ell")))
}
options(survey.lonely.psu = "fail")

apiclus1 <- api("apiclus1")
clus1 <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
jk1 <- as.svrepdesign(clus1, type = "JK1")
for (d in list(list("clus1", clus1), list("clus1_jk1", jk1))) {
  fit_case(paste0(d[[1]], "_gaussian"), api00 ~ ell * meals + mobility, d[[2]], gaussian(),
           tests = list(~ell:meals, ~ell + meals + ell:meals),
           ames = list(num("ell"), num("meals")))
  fit_case(paste0(d[[1]], "_quasipoisson"), enroll ~ meals + stype + log(api99), d[[2]], quasipoisson(),
           tests = list(~stype),
           ames = list(num("api99"), fac("stype", "H", "E", "stypeH", by = "stype")))
  # a subpopulation: subset() keeps the other rows with weight zero (linearisation) or
  # drops them (replicates); either way the variance is the domain's
  fit_case(paste0(d[[1]], "_subset_gaussian"), api00 ~ ell + meals, subset(d[[2]], stype == "E"), gaussian(),
           tests = list(~ell + meals))
}
fit_case("strat_subset_quasibinomial", sch.wide ~ ell + meals, subset(strat, stype != "E"), quasibinomial(),
         ames = list(num("meals")))

apiclus2 <- api("apiclus2")
apiclus2$sch.wide <- factor(apiclus2$sch.wide)
clus2 <- svydesign(ids = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = apiclus2)
fit_case("clus2_gaussian", api00 ~ ell + meals + log(enroll) - 1, clus2, gaussian(),
         tests = list(~log(enroll)))
fit_case("clus2_quasibinomial", sch.wide ~ ell + meals, clus2, quasibinomial(),
         ames = list(num("ell")))

## ESS9 Norway -------------------------------------------------------------------------
ess <- read.csv(file.path(data_dir, "ess9no", "ESS9NO.csv"))
essd <- svydesign(ids = ~psu, strata = ~stratum, weights = ~anweight, nest = TRUE, data = ess)
fit_case("ess_quasibinomial",
         pdwrk ~ ppltrst + sclmeet + agea + I(agea^2) + factor(gndr) + factor(brncntr), essd, quasibinomial(),
         tests = list(~factor(gndr) + factor(brncntr), ~agea + I(agea^2)),
         ames = list(num("agea", by = "gndr"), num("ppltrst", by = "brncntr"),
                     fac("brncntr", 2, 1, "factor(brncntr)2", by = "gndr")))

fit_case("ess_subset_quasibinomial", pdwrk ~ ppltrst + agea + I(agea^2) + factor(brncntr),
         subset(essd, gndr == 2), quasibinomial(), tests = list(~agea + I(agea^2)))

write.csv(do.call(rbind, rows), file.path(here, "glm.csv"), row.names = FALSE)

## calibration of apiclus1 to apipop margins -------------------------------------------
apipop <- api("apipop")
tab <- function(v) { t <- table(apipop[[v]]); data.frame(variable = v, level = names(t), total = as.vector(t)) }
margins <- rbind(tab("stype"), tab("sch.wide"),
                 data.frame(variable = "enroll", level = "", total = sum(apipop$enroll, na.rm = TRUE)))
write.csv(margins, file.path(here, "calibrate_margins.csv"), row.names = FALSE)
freq <- function(v) { m <- margins[margins$variable == v, ]; d <- data.frame(m$level, m$total); names(d) <- c(v, "Freq"); d }
N <- sum(freq("stype")$Freq)
pop_cat <- c(N, freq("stype")$Freq[2:3], freq("sch.wide")$Freq[2])
pop_num <- c(pop_cat, margins$total[margins$variable == "enroll"])

crows <- list(); wrows <- list()
cemit <- function(case, statistic, variable, est, se, sw) {
  crows[[length(crows) + 1]] <<- data.frame(case = case, statistic = statistic, variable = variable,
    estimate = g(est), se = g(se), sum_weights = g(sw), stringsAsFactors = FALSE)
}
cal_case <- function(case, design) {
  w <- if (isrep(design)) weights(design, "sampling") else weights(design)
  wrows[[length(wrows) + 1]] <<- data.frame(case = case, row = seq_along(w), weight = sapply(w, g))
  sw <- sum(w)
  m <- svymean(~api00, design); cemit(case, "mean", "api00", coef(m), SE(m), sw)
  m <- svymean(~ell, design); cemit(case, "mean", "ell", coef(m), SE(m), sw)
  m <- svytotal(~enroll, design); cemit(case, "total", "enroll", coef(m), SE(m), sw)
  m <- svytotal(~api00, design); cemit(case, "total", "api00", coef(m), SE(m), sw)
  f <- svyglm(api00 ~ ell + meals, design, control = ctl)
  f <- do.call(svyglm, list(api00 ~ ell + meals, design, control = ctl, start = unname(coef(f))))
  s <- summary(f)$coefficients
  for (j in rownames(s)) cemit(case, "glm", j, s[j, 1], s[j, 2], sw)
}
# bounds every replicate of the jackknife can meet are wider
for (d in list(list("clus1", clus1, c(0.85, 1.6), c(0.5, 2.5)), list("clus1_jk1", jk1, c(0.3, 4), c(0.3, 4)))) {
  cal_case(paste0(d[[1]], "_poststratify"), postStratify(d[[2]], ~stype, freq("stype")))
  cal_case(paste0(d[[1]], "_rake"), rake(d[[2]], list(~stype, ~sch.wide), list(freq("stype"), freq("sch.wide")),
                                         control = list(maxit = 100, epsilon = 1e-12)))
  cal_case(paste0(d[[1]], "_linear"), calibrate(d[[2]], ~stype + sch.wide + enroll, pop_num))
  cal_case(paste0(d[[1]], "_linear_bounded"), calibrate(d[[2]], ~stype + sch.wide, pop_cat, calfun = "linear",
                                                        bounds = d[[3]], epsilon = 1e-12, maxit = 100))
  cal_case(paste0(d[[1]], "_logit"), calibrate(d[[2]], ~stype + sch.wide + enroll, pop_num, calfun = "logit",
                                               bounds = d[[4]], epsilon = 1e-12, maxit = 100))
}
write.csv(do.call(rbind, crows), file.path(here, "calibrate.csv"), row.names = FALSE)
write.csv(do.call(rbind, wrows), file.path(here, "calibrate_weights.csv"), row.names = FALSE)
print(warnings())
