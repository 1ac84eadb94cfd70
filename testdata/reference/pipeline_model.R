# Reference values for the model stage (pipeline/model), from R's survey package.
#
#   go test ./pipeline/model -run TestModelStage/R -update   (writes pipeline_model_data.csv)
#   Rscript testdata/reference/pipeline_model.R              (from the repository root)
#
# Reads pipeline_model_data.csv, wave 1 of the built-in example after harmonise and
# score (every respondent: the design needs them all), and writes pipeline_model.csv:
#   key        model|kind|term|group, kind one of
#                coef  svyglm coefficient:           estimate, se, ci_low, ci_high, p
#                test  regTermTest(fit, ~term, method = "Wald"): F, df, ddf, p, n
#                n     the fit's rows and df.residual: n, df_residual
#                ame   average marginal effect (percentage points for the binomial
#                      models, per 10 points for the scores), group "all" or the
#                      country group:                estimate, se, ci_low, ci_high, df
#                rate  svyciprop(~employed, method = "logit") by the exposure's 0/1
#                      indicator, in percent:         estimate, se, ci_low, ci_high, df
#   v1 … v5    the numbers, "NA" for none
#
# The design is svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE)
# with options(survey.lonely.psu = "adjust"); the models' population is
# subset(background == 2) and each model's complete cases a further subset(), so that
# the other rows keep their PSUs with weight zero. Every fit uses
# glm.control(epsilon = 1e-14, maxit = 100).
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust", survey.adjust.domain.lonely = FALSE)

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- dirname(normalizePath(script))
dat <- read.csv(file.path(here, "pipeline_model_data.csv"), colClasses = c(stratum = "character", psu = "character"))
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
g <- function(x) if (length(x) == 0 || is.null(x) || is.na(x)) "NA" else sprintf("%.17g", x)

rows <- list()
emit <- function(key, ...) {
  v <- c(list(...), rep(list(NA), 5))[1:5]
  rows[[length(rows) + 1]] <<- data.frame(key = key, v1 = g(v[[1]]), v2 = g(v[[2]]), v3 = g(v[[3]]),
                                          v4 = g(v[[4]]), v5 = g(v[[5]]), stringsAsFactors = FALSE)
}

des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = dat)
pop <- subset(des, background == 2)

controls <- c("factor(education)", "years_norway", "age", "factor(gender)", "factor(country_group)")
scores <- c("structural", "relational", "cognitive")

# Average marginal effect of spec$var (numeric: the derivative, by central differences,
# exact for the linear terms here; binary: level 1 against 0), overall and per country
# group, with its unconditional design-based SE, as survey.GLM.Margins:
#   AME = sum w m_i / W,  z_i = w_i (m_i - AME)/W + infl_i . dAME/dbeta,
#   infl = estfun %*% A^-1 (fit$naive.cov), variance svyrecvar(z) on the fit's design;
# t interval on df.residual. per scales the effect (10 for a score), binomial models
# report percentage points.
ame <- function(model, fit, var, binary, per, by_group) {
  tt <- delete.response(terms(fit))
  mf <- model.frame(fit)
  data <- fit$data[rownames(mf), , drop = FALSE]
  X <- model.matrix(fit)
  beta <- coef(fit)
  fam <- fit$family
  mm <- function(newdata) model.matrix(tt, model.frame(tt, newdata, xlev = fit$xlevels))
  if (binary) {
    d1 <- data; d1[[var]] <- 1
    d0 <- data; d0[[var]] <- 0
    X1 <- mm(d1); X0 <- mm(d0)
    m <- fam$linkinv(drop(X1 %*% beta)) - fam$linkinv(drop(X0 %*% beta))
    G <- fam$mu.eta(drop(X1 %*% beta)) * X1 - fam$mu.eta(drop(X0 %*% beta)) * X0
    term <- paste0("factor(", var, ")1")
  } else {
    h <- 1e-4 * pmax(1, abs(data[[var]]))
    up <- data; up[[var]] <- up[[var]] + h
    dn <- data; dn[[var]] <- dn[[var]] - h
    D <- (mm(up) - mm(dn)) / (2 * h)
    eta <- drop(X %*% beta)
    d2 <- if (fam$link == "logit") { p <- plogis(eta); p * (1 - p) * (1 - 2 * p) } else 0 * eta
    m <- fam$mu.eta(eta) * drop(D %*% beta)
    G <- d2 * drop(D %*% beta) * X + fam$mu.eta(eta) * D
    term <- var
  }
  scale <- per * if (fam$family == "quasibinomial") 100 else 1
  ds <- fit$survey.design
  w <- weights(ds)
  estfun <- X * resid(fit, "working") * fit$weights
  infl <- estfun %*% fit$naive.cov
  groups <- list(all = rep(TRUE, nrow(data)))
  if (by_group) for (lev in sort(unique(data$country_group[w != 0]))) groups[[as.character(lev)]] <- data$country_group == lev
  dfr <- fit$df.residual
  for (grp in names(groups)) {
    mask <- groups[[grp]]
    W <- sum(w[mask])
    est <- sum((w * m)[mask]) / W
    dAME <- colSums((w * G)[mask, , drop = FALSE]) / W
    z <- ifelse(mask, w * (m - est) / W, 0) + drop(infl %*% dAME)
    se <- sqrt(as.vector(survey:::svyrecvar(z, ds$cluster, ds$strata, ds$fpc, postStrata = ds$postStrata)))
    emit(paste(model, "ame", term, grp, sep = "|"), scale * est, scale * se,
         scale * (est + qt(0.025, dfr) * se), scale * (est + qt(0.975, dfr) * se), dfr)
  }
}

# one model: fit on its complete cases, coefficients, tests, AMEs
fit_model <- function(model, y, terms, family, effects, binary, per, tests, by_group = TRUE) {
  f <- as.formula(paste(y, "~", paste(terms, collapse = " + ")))
  vars <- all.vars(f)
  d <- subset(pop, complete.cases(pop$variables[, vars]))
  fit0 <- svyglm(f, d, family = family, control = ctl)
  fit <- do.call(svyglm, list(f, d, family = family, control = ctl, start = unname(coef(fit0))))
  s <- summary(fit)$coefficients
  ci <- confint(fit)
  for (j in rownames(s)) emit(paste(model, "coef", j, "", sep = "|"), s[j, 1], s[j, 2], ci[j, 1], ci[j, 2], s[j, 4])
  n <- sum(weights(fit$survey.design) != 0)
  emit(paste(model, "n", "", "", sep = "|"), n, fit$df.residual)
  for (tt in tests) {
    r <- regTermTest(fit, as.formula(paste("~", tt)), method = "Wald")
    emit(paste(model, "test", tt, "", sep = "|"), r$Ftest, r$df, r$ddf, r$p, n)
  }
  for (k in seq_along(effects)) ame(model, fit, effects[k], binary[k], per, by_group)
}

exposures <- c("friends_nor", "factor(org_member)")
inter <- function(terms) paste0(terms, ":factor(country_group)")
fit_model("adjusted", "employed", c(exposures, controls), quasibinomial(),
          c("friends_nor", "org_member"), c(FALSE, TRUE), 1, character(), by_group = FALSE)
fit_model("heterogeneity", "employed", c(exposures, controls, inter(exposures)), quasibinomial(),
          c("friends_nor", "org_member"), c(FALSE, TRUE), 1, inter(exposures))
fit_model("dimensions_employed", "employed", c(scores, controls, inter(scores)), quasibinomial(),
          scores, rep(FALSE, 3), 10, inter(scores))
fit_model("dimensions_qol", "qol", c(scores, controls, inter(scores)), gaussian(),
          scores, rep(FALSE, 3), 10, inter(scores))

# unadjusted employment rates by network status: svyciprop per domain (svyby's
# computation: a subset of the population design per group), df degf of the domain
pv <- pop$variables
pv$`friends_nor>0` <- as.numeric(pv$friends_nor > 0)
pop$variables <- pv
for (x in c("friends_nor>0", "org_member")) {
  for (grp in c("all", "2", "3")) {
    for (lev in 0:1) {
      inx <- !is.na(pv[[x]]) & pv[[x]] == lev & !is.na(pv$employed) & (grp == "all" | as.character(pv$country_group) == grp)
      dd <- subset(pop, inx)
      p <- svyciprop(~employed, dd, method = "logit")
      ci <- attr(p, "ci")
      emit(paste("rate", "rate", paste0(x, "=", lev), grp, sep = "|"), 100 * coef(p), 100 * SE(p),
           100 * ci[[1]], 100 * ci[[2]], degf(dd))
    }
  }
}

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "pipeline_model.csv"), row.names = FALSE)
