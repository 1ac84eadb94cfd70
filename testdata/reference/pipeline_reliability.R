# Reference values for the reliability stage (pipeline/reliability), from R's psych and
# lavaan.
#
#   go test ./pipeline/reliability -run TestReliabilityStage/R -update
#                                                 (writes pipeline_reliability_data.csv)
#   Rscript testdata/reference/pipeline_reliability.R        (from the repository root)
#
# Reads pipeline_reliability_data.csv: wave 1 of the built-in example after harmonise,
# each dimension's items as the score enters them (Scale.ItemColumns: clamped, reverse
# coded, NA outside the score's population), background and the design weight; writes
# pipeline_reliability.csv: dimension, by ("" the whole sample, background=VALUE a
# group), statistic, item, value — one number a row, "NA" for none:
#   alpha.n, alpha.raw, alpha.std   psych::alpha on the respondents answering at least
#                                   one item (pairwise covariances)
#   walpha.raw                      alpha of the weighted covariance of the complete
#                                   cases (cov.wt, the divisor cancels)
#   omega.n, omega.total, cfa.cfi, cfa.rmsea, omega.min_residual
#                                   cfa(f =~ …, std.lv = TRUE), ML, complete cases;
#                                   omega = (Σλ)² / ((Σλ)² + Σθ); min_residual is the
#                                   smallest residual variance (< 0: a Heywood case,
#                                   which socap refuses)
#   configural|metric|scalar.chisq, df, pvalue, cfi, tli, rmsea, srmr, and for
#   metric and scalar .delta_chisq, .delta_df, .delta_pvalue (lavTestLRT), .delta_cfi,
#   .delta_rmsea, .delta_srmr, .holds (Chen 2007: ΔCFI ≥ −0.010, ΔRMSEA ≤ 0.015, ΔSRMR
#   ≤ 0.030 metric, ≤ 0.015 scalar; 1 or 0); configural.min_residual
#                                   cfa(…, group = "background", group.label = sorted
#                                   groups, group.equal = …, std.lv = TRUE)
#   partial.score, partial.* (item: the freed item)
#                                   when scalar invariance fails: the score test
#                                   (lavTestScore) of releasing the intercepts of the item
#                                   with the largest one, and the partial scalar model
#                                   with that item's intercepts free (group.partial),
#                                   compared with the metric model
# lavaan's fit is polished with BFGS (cfa_tight, as scale.R's), then with three Newton
# steps on lavaan's own gradient and Hessian (newton): lavaan's optimisers stop some 1e-8
# from the optimum in the parameters (omega of the seven-item structural model), Newton
# from there reaches it, so that both sides report the converged solution.
suppressMessages({library(psych); library(lavaan)})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- dirname(normalizePath(script))
dat <- read.csv(file.path(here, "pipeline_reliability_data.csv"))
dims <- list(structural = c("friends", "friends_nor", "meet_friends", "meet_neighbours", "org_member", "volunteered", "mentor"),
             relational = c("trust_people", "trust_municipality", "help_neighbours", "local_activities", "belonging"),
             cognitive = c("confide", "crisis_help", "safe", "lonely"))

g <- function(x) if (length(x) == 0 || is.null(x) || is.na(x)) "NA" else sprintf("%.17g", x)
rows <- list()
emit <- function(dim, by, statistic, item, value) {
  rows[[length(rows) + 1]] <<- data.frame(dimension = dim, by = by, statistic = statistic, item = item,
                                          value = g(value), stringsAsFactors = FALSE)
}
cfa_tight <- function(...) {
  best <- NULL
  gradient <- function(f) max(abs(lavInspect(f, "optim.gradient")))
  fit <- suppressWarnings(cfa(...))
  if (lavInspect(fit, "converged")) best <- fit
  polished <- suppressWarnings(cfa(..., start = fit, optim.method = "BFGS",
                                   control = list(reltol = 1e-20, maxit = 20000)))
  if (lavInspect(polished, "converged") && (is.null(best) || gradient(polished) < gradient(best))) best <- polished
  if (is.null(best)) stop("lavaan did not converge")
  newton(best, ...)
}
# three Newton steps on lavaan's own objective from a converged fit: its gradient and
# Hessian in the free parameters, with the equality constraints of group.equal as a KKT
# system [H A'; A 0], A = con.jac; evaluated by cfa(start = , optim.method = "none")
newton <- function(fit, ...) {
  for (i in 1:3) {
    pt <- parTable(fit)
    free <- which(pt$free > 0)
    x <- numeric(max(pt$free))
    x[pt$free[free]] <- pt$est[free]
    g <- lavInspect(fit, "gradient")
    H <- lavInspect(fit, "hessian")
    A <- fit@Model@con.jac
    r <- nrow(A)
    K <- if (r > 0) rbind(cbind(H, t(A)), cbind(A, matrix(0, r, r))) else H
    x <- x - solve(K, c(g, rep(0, r)))[seq_along(x)]
    pt$est[free] <- x[pt$free[free]]
    pt$start <- pt$est
    fit <- suppressWarnings(cfa(..., start = pt, optim.method = "none"))
  }
  fit
}
model_of <- function(items) paste("f =~", paste(items, collapse = " + "))
fits <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")
min_residual <- function(fit) {
  pe <- parameterEstimates(fit)
  min(pe$est[pe$op == "~~" & pe$lhs != "f" & pe$lhs == pe$rhs])
}

group_ref <- function(dim, by, x, w) {
  items <- colnames(x)
  answered <- rowSums(!is.na(x)) > 0
  capture.output(a <- suppressMessages(psych::alpha(x[answered, ], warnings = FALSE)))
  emit(dim, by, "alpha.n", "", sum(answered))
  emit(dim, by, "alpha.raw", "", a$total$raw_alpha)
  emit(dim, by, "alpha.std", "", a$total$std.alpha)
  cc <- complete.cases(x)
  C <- cov.wt(x[cc, ], wt = w[cc], method = "ML")$cov
  k <- length(items)
  emit(dim, by, "walpha.raw", "", k / (k - 1) * (1 - sum(diag(C)) / sum(C)))
  fit <- cfa_tight(model_of(items), data = x[cc, ], std.lv = TRUE)
  pe <- parameterEstimates(fit)
  lam <- sapply(items, function(j) pe$est[pe$op == "=~" & pe$rhs == j])
  th <- sapply(items, function(j) pe$est[pe$op == "~~" & pe$lhs == j & pe$rhs == j])
  emit(dim, by, "omega.n", "", sum(cc))
  emit(dim, by, "omega.total", "", sum(lam)^2 / (sum(lam)^2 + sum(th)))
  emit(dim, by, "omega.min_residual", "", min(th))
  fm <- fitMeasures(fit, c("cfi", "rmsea"))
  emit(dim, by, "cfa.cfi", "", fm[["cfi"]])
  emit(dim, by, "cfa.rmsea", "", fm[["rmsea"]])
}

emit_model <- function(dim, prefix, item, fit, prev = NULL, srmr_cut = NA) {
  fm <- fitMeasures(fit, fits)
  for (s in fits) emit(dim, "", paste0(prefix, ".", s), item, fm[[s]])
  if (is.null(prev)) return(invisible(NULL))
  pm <- fitMeasures(prev, fits)
  lrt <- lavTestLRT(prev, fit)
  emit(dim, "", paste0(prefix, ".delta_chisq"), item, lrt$`Chisq diff`[2])
  emit(dim, "", paste0(prefix, ".delta_df"), item, lrt$`Df diff`[2])
  emit(dim, "", paste0(prefix, ".delta_pvalue"), item, lrt$`Pr(>Chisq)`[2])
  d <- fm - pm
  emit(dim, "", paste0(prefix, ".delta_cfi"), item, d[["cfi"]])
  emit(dim, "", paste0(prefix, ".delta_rmsea"), item, d[["rmsea"]])
  emit(dim, "", paste0(prefix, ".delta_srmr"), item, d[["srmr"]])
  holds <- d[["cfi"]] >= -0.010 && d[["rmsea"]] <= 0.015 && d[["srmr"]] <= srmr_cut
  emit(dim, "", paste0(prefix, ".holds"), item, as.numeric(holds))
  holds
}

invariance_ref <- function(dim, data, items) {
  data <- data[complete.cases(data[, c(items, "background")]), c(items, "background")]
  labels <- as.character(sort(unique(data$background)))
  data$background <- as.character(data$background)
  fit <- function(eq, partial = "") {
    cfa_tight(model_of(items), data = data, group = "background", group.label = labels, std.lv = TRUE,
              group.equal = eq, group.partial = partial)
  }
  conf <- fit("")
  emit(dim, "", "configural.min_residual", "", min_residual(conf))
  if (min_residual(conf) < 0) return(invisible(NULL))   # socap refuses a Heywood case
  metric <- fit("loadings"); scalar <- fit(c("loadings", "intercepts"))
  emit_model(dim, "configural", "", conf)
  metric_holds <- emit_model(dim, "metric", "", metric, conf, 0.030)
  scalar_holds <- emit_model(dim, "scalar", "", scalar, metric, 0.015)
  if (scalar_holds || !metric_holds) return(invisible(NULL))
  pt <- parTable(scalar)
  eqs <- which(pt$op == "==")
  score <- sapply(items, function(j) {
    pl <- pt$plabel[pt$op == "~1" & pt$lhs == j]
    idx <- which(pt$lhs[eqs] %in% pl | pt$rhs[eqs] %in% pl)
    lavTestScore(scalar, release = idx, univariate = FALSE, cumulative = FALSE)$test$X2
  })
  top <- items[which.max(score)]
  emit(dim, "", "partial.score", top, max(score))
  emit_model(dim, "partial", top, fit(c("loadings", "intercepts"), paste0(top, "~1")), metric, 0.015)
}

for (dim in names(dims)) {
  items <- dims[[dim]]
  x <- dat[, items]
  group_ref(dim, "", x, dat$weight)
  for (b in sort(unique(dat$background[!is.na(dat$background)]))) {
    keep <- !is.na(dat$background) & dat$background == b
    group_ref(dim, paste0("background=", b), x[keep, ], dat$weight[keep])
  }
  invariance_ref(dim, dat, items)
}

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "pipeline_reliability.csv"), row.names = FALSE)
cat(sprintf("%d reference numbers\n", nrow(out)))
