# Reference values for indicators/scale and `socap scale` from R's psych, lavaan and
# survey packages.
#
#   Rscript testdata/reference/scale.R        (from the repository root)
#
# Reads ESS9 Norway from ../shared/datasets (never copied here) and scale_synth.csv,
# a column extract of the synthetic survey made by socap itself:
#   socap synth --respondents 6000 --seed 7 --waves 1 --blank-missing --out s
#   (wave1.csv: stratum, psu renumbered 1.., weight to 6 digits, gender, country_group,
#   the relational and cognitive items)
# and writes scale.csv next to this script: case, by, statistic, item, value — one
# reference number a row, "by" as COL=VALUE ("" for everyone).
#
# Conventions the Go side follows:
#   alpha      psych::alpha on the respondents answering at least one item (pairwise
#              covariances); reverse-coded items are reversed (max + min - x) before.
#   omega/cfa  lavaan::cfa(std.lv = TRUE), listwise complete cases, ML, N divisor.
#   invariance cfa(group = , group.equal = ...), groups in sorted order (group.label).
#   weighted   alpha of the complete cases with survey weights; its SE by Taylor
#              linearisation (svyvar and the delta method) and by JKn replicates
#              (withReplicates on as.svrepdesign).
# lavaan's optimiser is polished with BFGS (cfa_tight) so that both sides report the
# converged solution.
suppressMessages({library(psych); library(lavaan); library(survey)})
options(survey.lonely.psu = "fail")

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- dirname(normalizePath(script))
data_dir <- normalizePath(file.path(here, "..", "..", "..", "shared", "datasets"))

g <- function(x) if (length(x) == 0 || is.null(x) || is.na(x)) "NA" else sprintf("%.17g", x)
rows <- list()
emit <- function(case, by, statistic, item, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, by = by, statistic = statistic,
                                          item = item, value = g(value), stringsAsFactors = FALSE)
}
# lavaan's cfa run to convergence: its default nlminb fit, then BFGS from there to a
# relative tolerance of 1e-20, keeping the converged fit with the smaller gradient
# (about 1e-8 against nlminb's 1e-6, so that parameters agree with socap's to ~1e-7)
cfa_tight <- function(...) {
  best <- NULL
  gradient <- function(f) max(abs(lavInspect(f, "optim.gradient")))
  fit <- suppressWarnings(cfa(...))
  if (lavInspect(fit, "converged")) best <- fit
  polished <- suppressWarnings(cfa(..., start = fit, optim.method = "BFGS",
                                   control = list(reltol = 1e-20, maxit = 20000)))
  if (lavInspect(polished, "converged") && (is.null(best) || gradient(polished) < gradient(best))) best <- polished
  if (is.null(best)) stop("lavaan did not converge")
  best
}

alpha_ref <- function(case, by, x) {
  x <- x[rowSums(!is.na(x)) > 0, , drop = FALSE]
  capture.output(a <- suppressMessages(psych::alpha(x, warnings = FALSE)))
  t <- a$total
  emit(case, by, "alpha.n", "", nrow(x))
  emit(case, by, "alpha.raw", "", t$raw_alpha)
  emit(case, by, "alpha.std", "", t$std.alpha)
  emit(case, by, "alpha.g6", "", t$`G6(smc)`)
  emit(case, by, "alpha.average_r", "", t$average_r)
  emit(case, by, "alpha.median_r", "", t$median_r)
  emit(case, by, "alpha.s_n", "", t$`S/N`)
  emit(case, by, "alpha.ase", "", t$ase)
  emit(case, by, "alpha.mean", "", t$mean)
  emit(case, by, "alpha.sd", "", t$sd)
  for (j in colnames(x)) {
    emit(case, by, "item.alpha_if_deleted", j, a$alpha.drop[j, "raw_alpha"])
    emit(case, by, "item.std_alpha_if_deleted", j, a$alpha.drop[j, "std.alpha"])
    emit(case, by, "item.average_r_if_deleted", j, a$alpha.drop[j, "average_r"])
    emit(case, by, "item.r_drop", j, a$item.stats[j, "r.drop"])
    emit(case, by, "item.std_r", j, a$item.stats[j, "std.r"])
    emit(case, by, "item.mean", j, a$item.stats[j, "mean"])
    emit(case, by, "item.sd", j, a$item.stats[j, "sd"])
    emit(case, by, "item.n", j, a$item.stats[j, "n"])
  }
}

model_of <- function(items) paste("f =~", paste(items, collapse = " + "))
fits <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "npar")
emit_fit <- function(case, by, prefix, fit) {
  fm <- fitMeasures(fit, fits)
  for (s in fits) emit(case, by, paste0(prefix, ".", s), "", fm[[s]])
}

omega_ref <- function(case, by, x) {
  items <- colnames(x)
  x <- x[complete.cases(x), , drop = FALSE]
  fit <- cfa_tight(model_of(items), data = x, std.lv = TRUE)
  pe <- parameterEstimates(fit)
  lam <- sapply(items, function(j) pe$est[pe$op == "=~" & pe$rhs == j])
  th <- sapply(items, function(j) pe$est[pe$op == "~~" & pe$lhs == j & pe$rhs == j])
  emit(case, by, "omega.n", "", nrow(x))
  emit(case, by, "omega.total", "", sum(lam)^2 / (sum(lam)^2 + sum(th)))
  for (j in items) {
    emit(case, by, "omega.loading", j, lam[[j]])
    emit(case, by, "omega.residual", j, th[[j]])
  }
  emit_fit(case, by, "cfa", fit)
}

# weighted alpha of the complete cases of a design, a function of the weighted covariance
walpha <- function(C) { k <- ncol(C); k / (k - 1) * (1 - sum(diag(C)) / sum(C)) }

weighted_ref <- function(case, by, design, data, items, keep, reps = NULL) {
  keep <- keep & complete.cases(data[, items])
  ds <- subset(design, keep)
  f <- as.formula(paste("~", paste(items, collapse = " + ")))
  v <- svyvar(f, ds)
  C <- matrix(coef(v), length(items))
  k <- length(items); A <- sum(diag(C)); B <- sum(C)
  grad <- k / (k - 1) * (A / B^2 - diag(k) / B)   # d alpha / d C
  se <- sqrt(drop(t(as.vector(grad)) %*% vcov(v) %*% as.vector(grad)))
  emit(case, by, "walpha.raw", "", walpha(C))
  emit(case, by, "walpha.n", "", sum(keep))
  emit(case, by, "walpha.se_taylor", "", se)
  if (!is.null(reps)) {
    rs <- subset(reps, keep)
    r <- withReplicates(rs, function(w, d) {
      m <- as.matrix(d[, items]); w <- w / sum(w)
      mu <- colSums(m * w); cm <- sweep(m, 2, mu)
      walpha(crossprod(cm * sqrt(w)))
    })
    emit(case, by, "walpha.raw_replicates", "", coef(r))
    emit(case, by, "walpha.se_jkn", "", SE(r))
  }
}

invariance_ref <- function(case, data, items, group) {
  data <- data[complete.cases(data[, c(items, group)]), c(items, group)]
  labels <- as.character(sort(unique(data[[group]])))
  data[[group]] <- as.character(data[[group]])
  m <- model_of(items)
  fit <- function(eq, partial = NULL) {
    if (is.null(partial)) partial <- ""
    cfa_tight(m, data = data, group = group, group.label = labels, std.lv = TRUE,
              group.equal = eq, group.partial = partial)
  }
  conf <- fit(""); metric <- fit("loadings"); scalar <- fit(c("loadings", "intercepts"))
  emit_fit(case, "", "configural", conf)
  emit_fit(case, "", "metric", metric)
  emit_fit(case, "", "scalar", scalar)
  emit(case, "", "groups", "", length(labels))
  # per-group estimates of the scalar model
  pe <- parameterEstimates(scalar)
  for (gi in seq_along(labels)) {
    by <- paste0(group, "=", labels[gi])
    for (j in items) {
      emit(case, by, "scalar.loading", j, pe$est[pe$op == "=~" & pe$rhs == j & pe$group == gi])
      emit(case, by, "scalar.intercept", j, pe$est[pe$op == "~1" & pe$lhs == j & pe$group == gi])
      emit(case, by, "scalar.residual", j, pe$est[pe$op == "~~" & pe$lhs == j & pe$rhs == j & pe$group == gi])
    }
    emit(case, by, "scalar.factor_var", "", pe$est[pe$op == "~~" & pe$lhs == "f" & pe$rhs == "f" & pe$group == gi])
    emit(case, by, "scalar.factor_mean", "", pe$est[pe$op == "~1" & pe$lhs == "f" & pe$group == gi])
  }
  # score tests of releasing each item's equal intercepts (df G - 1), and loadings
  score <- function(fit, op, prefix) {
    pt <- parTable(fit)
    eqs <- which(pt$op == "==")
    for (j in items) {
      pl <- if (op == "~1") pt$plabel[pt$op == "~1" & pt$lhs == j] else pt$plabel[pt$op == "=~" & pt$rhs == j]
      idx <- which(pt$lhs[eqs] %in% pl | pt$rhs[eqs] %in% pl)
      st <- lavTestScore(fit, release = idx, univariate = FALSE, cumulative = FALSE)$test
      emit(case, "", paste0(prefix, ".score"), j, st$X2)
      emit(case, "", paste0(prefix, ".score_df"), j, st$df)
    }
  }
  score(scalar, "~1", "intercept")
  score(metric, "=~", "loading")
  # the partial scalar model with the largest intercept score freed
  sc <- rows[sapply(rows, function(r) r$case == case && r$statistic == "intercept.score")]
  top <- sc[[which.max(sapply(sc, function(r) as.numeric(r$value)))]]$item
  emit(case, "", "partial.freed", top, 1)
  emit_fit(case, "", "partial", fit(c("loadings", "intercepts"), paste0(top, "~1")))
}

## ESS9 Norway -------------------------------------------------------------------------
ess <- read.csv(file.path(data_dir, "ess9no", "ESS9NO.csv"))
essd <- svydesign(ids = ~psu, strata = ~stratum, weights = ~anweight, nest = TRUE, data = ess)
essr <- as.svrepdesign(essd, type = "JKn")
scales <- list(ess_social = c("ppltrst", "pplfair", "pplhlp"),
               ess_institutions = c("trstprl", "trstlgl", "trstplc", "trstplt", "trstprt"))
for (case in names(scales)) {
  items <- scales[[case]]
  all <- rep(TRUE, nrow(ess))
  alpha_ref(case, "", ess[, items])
  omega_ref(case, "", ess[, items])
  weighted_ref(case, "", essd, ess, items, all, essr)
  for (b in c("gndr", "brncntr")) for (v in sort(unique(ess[[b]]))) {
    keep <- !is.na(ess[[b]]) & ess[[b]] == v
    by <- paste0(b, "=", v)
    alpha_ref(case, by, ess[keep, items])
    omega_ref(case, by, ess[keep, items])
    weighted_ref(case, by, essd, ess, items, keep, essr)
  }
}
invariance_ref("ess_institutions_gndr", ess, scales$ess_institutions, "gndr")
invariance_ref("ess_institutions_brncntr", ess, scales$ess_institutions, "brncntr")

## the synthetic survey ------------------------------------------------------------------
syn <- read.csv(file.path(here, "scale_synth.csv"))
syn$safe <- 4 + 1 - syn$safe   # reverse coded in the ilag codebook (range 1..4)
syn$lonely <- 4 + 1 - syn$lonely
synd <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = syn)
relational <- c("trust_people", "trust_municipality", "help_neighbours", "local_activities", "belonging")
cognitive <- c("confide", "crisis_help", "safe", "lonely")
for (sc in list(list("synth_relational", relational), list("synth_cognitive", cognitive))) {
  case <- sc[[1]]; items <- sc[[2]]
  alpha_ref(case, "", syn[, items])
  omega_ref(case, "", syn[, items])
  weighted_ref(case, "", synd, syn, items, rep(TRUE, nrow(syn)))
  for (v in sort(unique(syn$country_group))) {
    keep <- syn$country_group == v
    by <- paste0("country_group=", v)
    alpha_ref(case, by, syn[keep, items])
    omega_ref(case, by, syn[keep, items])
    weighted_ref(case, by, synd, syn, items, keep)
  }
}
invariance_ref("synth_relational_country_group", syn, relational, "country_group")

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "scale.csv"), row.names = FALSE)
cat(sprintf("%d reference numbers\n", nrow(out)))
