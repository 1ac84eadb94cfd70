# Reference values for the whole pipeline (pipeline/crosscheck), from R's survey package.
#
#   go test ./pipeline/crosscheck -update      (copies the example's out/scores.sav here
#                                               as pipeline_scores.sav)
#   Rscript testdata/reference/pipeline.R      (from anywhere; writes pipeline.csv)
#
# Reads pipeline_scores.sav, the respondent-level scores `socap demo` exports (SPSS,
# labelled; read with haven::read_sav), and recomputes from it, with R's survey, numbers
# the pipeline publishes in out/*.csv. pipeline.csv has one number per row:
#   section  data | estimate | comparison | effect | ame
#   key      what the number belongs to, "|"-joined:
#     data        wave                                    (fingerprint of the scores file)
#     estimate    indicator|wave|group_set|group          group "var=code;var=code" in
#                                                           the set's order, "" for all
#     comparison  indicator|kind|wave|variable|group|reference  (kind wave: against wave 1)
#     effect      indicator                               (difference in differences)
#     ame         wave|model|variable|level|by_group      (marginal_effects.csv's rows)
#   field    the export's column name (data: rows, sum_weight, sum_<score>)
#   value    the number, "%.17g"
#
# The design of each wave (waves are independent samples, one design each) is
#   svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE)
# with options(survey.lonely.psu = "adjust"), as socap.yaml of the example says.
#
# estimate: each cell is the subset of its wave's design to the group and the rows with a
#   value (svyby's computation, na.rm = TRUE); means svymean, shares svyciprop(method =
#   "logit"), the children's participation svyratio(~num, ~den); t intervals on
#   degf() of that subset; deff from deff = TRUE.
# comparison: within a wave the two sides overlap or are domains of one design:
#   group (immigrants against the majority): svyby(~y, ~background, covmat = TRUE) then
#     svycontrast(c(-1, 1, 0));
#   area (municipality against the whole sample): the domain means as ratios of totals,
#     svycontrast(svytotal(~ yD + D + y + one), quote(yD/D - y/one)) (the delta method,
#     as svyby(covmat = TRUE) linearises a mean; svyby cannot hold overlapping domains);
#   t intervals on degf(wave design). wave (follow-up against baseline, per municipality
#   and for the whole sample): the estimates of two independent designs, variances added,
#   Welch–Satterthwaite df from each wave's degf.
# effect: per wave svyby(~y, ~programme, covmat = TRUE) + svycontrast(c(-1, 1)) (programme
#   − comparison); the changes and the difference in differences add the independent
#   waves' variances, Welch–Satterthwaite df, t interval.
# ame: the network–employment models as pipeline_model.R fits them (svyglm on the
#   immigrants' complete cases, quasibinomial or gaussian, glm.control(epsilon = 1e-14)),
#   for both waves; the AMEs with their unconditional design-based SEs, overall and per
#   country group, and the employment rates by network status (svyciprop, logit).
suppressMessages({
  library(survey)
  library(haven)
})
options(survey.lonely.psu = "adjust", survey.adjust.domain.lonely = FALSE)

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- dirname(normalizePath(script))
dat <- as.data.frame(zap_labels(read_sav(file.path(here, "pipeline_scores.sav"))))
g <- function(x) if (length(x) == 0 || is.null(x) || is.na(x)) "NA" else sprintf("%.17g", x)
code <- function(x) format(x, scientific = FALSE, trim = TRUE)

rows <- list()
emit <- function(.section, .key, ...) { # dotted names: no partial matching of se = to section
  v <- list(...)
  rows[[length(rows) + 1]] <<- data.frame(section = .section, key = .key, field = names(v),
                                          value = vapply(v, g, ""), stringsAsFactors = FALSE)
}
tq <- function(df) qt(0.975, df)

means <- c("structural", "relational", "cognitive", "qol")
props <- c("participation_youth", "participation_adults", "employment", "jobmatch")
ratio <- "participation_children"
indicators <- c("structural", "relational", "cognitive", "participation_children",
                "participation_youth", "participation_adults", "employment", "jobmatch", "qol")
num <- function(ind) if (ind == ratio) paste0(ind, "_num") else ind
den <- function(ind) paste0(ind, "_den")
has_value <- function(d, ind) if (ind == ratio) !is.na(d[[num(ind)]]) & !is.na(d[[den(ind)]]) else !is.na(d[[ind]])

waves <- sort(unique(dat$wave))
designs <- list()
for (w in waves) {
  d <- dat[dat$wave == w, ]
  designs[[w]] <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d)
  emit("data", as.character(w), rows = nrow(d), sum_weight = sum(d$weight),
       sum_structural = sum(d$structural, na.rm = TRUE), sum_qol = sum(d$qol, na.rm = TRUE),
       sum_employment = sum(d$employment, na.rm = TRUE))
}

# ---- estimates: every cell of these group sets
sets <- list(character(), "background", "municipality", c("municipality", "background", "gender"),
             c("country_group", "gender", "education"))
cell <- function(ind, des, inx) {
  dd <- subset(des, inx)
  df <- degf(dd)
  n <- sum(weights(dd) != 0)
  sw <- sum(weights(dd))
  if (ind == ratio) {
    r <- svyratio(as.formula(paste0("~", num(ind))), as.formula(paste0("~", den(ind))), dd, deff = TRUE)
    est <- as.vector(coef(r)); se <- as.vector(SE(r))
    lo <- est - tq(df) * se; hi <- est + tq(df) * se
    deff <- as.vector(deff(r))
  } else {
    m <- svymean(as.formula(paste0("~", ind)), dd, deff = TRUE)
    est <- as.vector(coef(m)); se <- as.vector(SE(m)); deff <- as.vector(deff(m))
    if (ind %in% props) {
      p <- svyciprop(as.formula(paste0("~", ind)), dd, method = "logit", df = df)
      ci <- attr(p, "ci"); lo <- ci[[1]]; hi <- ci[[2]]
    } else {
      lo <- est - tq(df) * se; hi <- est + tq(df) * se
    }
  }
  list(estimate = est, se = se, ci_low = lo, ci_high = hi, df = df, deff = deff, n = n, sum_weights = sw)
}
for (w in waves) {
  des <- designs[[w]]
  v <- des$variables
  for (set in sets) {
    combos <- if (length(set) == 0) data.frame(x = 1)[, 0, drop = FALSE] else unique(v[complete.cases(v[, set, drop = FALSE]), set, drop = FALSE])
    for (ind in indicators) {
      for (k in seq_len(max(1, nrow(combos)))) {
        inx <- has_value(v, ind)
        grp <- character()
        for (s in set) {
          inx <- inx & !is.na(v[[s]]) & v[[s]] == combos[k, s]
          grp <- c(grp, paste0(s, "=", code(combos[k, s])))
        }
        if (!any(inx & weights(des) != 0)) next
        r <- cell(ind, des, inx)
        key <- paste(ind, w, if (length(set) == 0) "all" else paste(set, collapse = "+"), paste(grp, collapse = ";"), sep = "|")
        do.call(emit, c(list("estimate", key), r))
      }
    }
  }
}

# ---- comparisons
# the analysis variable of ind as totals: y (0 when missing) and one (1 when y is there);
# for the ratio the numerator and the denominator
totals_of <- function(ind, v) {
  ok <- has_value(v, ind)
  if (ind == ratio) list(y = ifelse(ok, v[[num(ind)]], 0), one = ifelse(ok, v[[den(ind)]], 0))
  else list(y = ifelse(ok, v[[ind]], 0), one = as.numeric(ok))
}
byformula <- function(ind) {
  if (ind == ratio) list(formula = as.formula(paste0("~", num(ind))), denominator = as.formula(paste0("~", den(ind))), FUN = svyratio)
  else list(formula = as.formula(paste0("~", ind)), FUN = svymean)
}
# domain estimates of ind by a variable in des, with their covariance (svyby covmat = TRUE)
svyby_cov <- function(ind, by, des) {
  f <- byformula(ind)
  # the rows with a group and a value (svyby's na.rm = TRUE fails with covmat = TRUE);
  # the others keep their PSUs with weight zero
  dd <- subset(des, !is.na(des$variables[[by]]) & has_value(des$variables, ind))
  a <- c(list(f$formula, as.formula(paste0("~", by)), dd, f$FUN), if (!is.null(f$denominator)) list(denominator = f$denominator),
         list(covmat = TRUE))
  do.call(svyby, a)
}
contrast_row <- function(est, se, df) list(difference = est, se = se, ci_low = est - tq(df) * se, ci_high = est + tq(df) * se, df = df)
ws_df <- function(va, vb, dfa, dfb) (va + vb)^2 / (va^2 / dfa + vb^2 / dfb)

area_est <- list() # indicator|wave|municipality → c(estimate, variance)
for (ind in indicators) {
  for (w in waves) {
    des <- designs[[w]]
    v <- des$variables
    df <- degf(des)
    t <- totals_of(ind, v)
    munis <- sort(unique(v$municipality))
    vars <- list(y_ = t$y, one_ = t$one)
    for (m in munis) {
      inm <- !is.na(v$municipality) & v$municipality == m
      vars[[paste0("yD", m)]] <- t$y * inm
      vars[[paste0("D", m)]] <- t$one * inm
    }
    des2 <- des
    des2$variables <- cbind(des2$variables, as.data.frame(vars))
    tot <- svytotal(as.formula(paste("~", paste(names(vars), collapse = " + "))), des2)
    all <- svycontrast(tot, quote(y_ / one_))
    area_est[[paste(ind, w, "all", sep = "|")]] <- c(coef(all), vcov(all))
    for (m in munis) {
      ex <- list(diff = parse(text = sprintf("yD%s / D%s - y_ / one_", m, m))[[1]],
                 dom = parse(text = sprintf("yD%s / D%s", m, m))[[1]])
      sc <- svycontrast(tot, ex)
      est <- coef(sc); V <- vcov(sc)
      area_est[[paste(ind, w, code(m), sep = "|")]] <- c(est[["dom"]], V["dom", "dom"])
      r <- c(list(estimate = est[["dom"]], reference_estimate = coef(all)[[1]]),
             contrast_row(est[["diff"]], sqrt(V["diff", "diff"]), df))
      do.call(emit, c(list("comparison", paste(ind, "area", w, "municipality", code(m), "all", sep = "|")), r))
    }
    b <- svyby_cov(ind, "background", des)
    lev <- as.character(b[[1]])
    cc <- setNames(ifelse(lev == "2", 1, ifelse(lev == "1", -1, 0)), lev)
    sc <- svycontrast(b, unname(cc))
    r <- c(list(estimate = coef(b)[[which(lev == "2")]], reference_estimate = coef(b)[[which(lev == "1")]]),
           contrast_row(as.vector(coef(sc)), as.vector(SE(sc)), df))
    do.call(emit, c(list("comparison", paste(ind, "group", w, "background", "2", "1", sep = "|")), r))
  }
  for (w in waves[-1]) {
    w0 <- waves[1]
    for (grp in c("all", code(sort(unique(designs[[w]]$variables$municipality))))) {
      a <- area_est[[paste(ind, w, grp, sep = "|")]]
      b <- area_est[[paste(ind, w0, grp, sep = "|")]]
      if (is.null(a) || is.null(b)) next
      df <- ws_df(a[2], b[2], degf(designs[[w]]), degf(designs[[w0]]))
      r <- c(list(estimate = a[1], reference_estimate = b[1]), contrast_row(a[1] - b[1], sqrt(a[2] + b[2]), df))
      variable <- if (grp == "all") "" else "municipality"
      do.call(emit, c(list("comparison", paste(ind, "wave", w, variable, grp, grp, sep = "|")), r))
    }
  }
}

# ---- programme effects: difference in differences, baseline wave 1, follow-up wave 2
for (ind in indicators) {
  side <- list()
  for (w in 1:2) {
    b <- svyby_cov(ind, "programme", designs[[w]])
    lev <- as.character(b[[1]])
    i1 <- which(lev == "1"); i0 <- which(lev == "0")
    sc <- svycontrast(b, ifelse(lev == "1", 1, -1))
    side[[w]] <- list(p = coef(b)[[i1]], c = coef(b)[[i0]],
                      d = as.vector(coef(sc)), vd = as.vector(SE(sc))^2, df = degf(designs[[w]]))
  }
  s1 <- side[[1]]; s2 <- side[[2]]
  did <- s2$d - s1$d
  se <- sqrt(s2$vd + s1$vd)
  df <- ws_df(s2$vd, s1$vd, s2$df, s1$df)
  emit("effect", ind, programme_baseline = s1$p, programme_follow_up = s2$p,
       comparison_baseline = s1$c, comparison_follow_up = s2$c,
       change_programme = s2$p - s1$p, change_comparison = s2$c - s1$c,
       did = did, se = se, ci_low = did - tq(df) * se, ci_high = did + tq(df) * se, df = df)
}

# ---- AMEs (the models of pipeline_model.R, for every wave)
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
controls <- c("factor(education)", "years_norway", "age", "factor(gender)", "factor(country_group)")
scores <- c("structural", "relational", "cognitive")

# Average marginal effect of var (numeric: the derivative, by central differences, exact
# for the linear terms here; binary: level 1 against 0), overall and per country group,
# with its unconditional design-based SE, as survey.GLM.Margins:
#   AME = sum w m_i / W,  z_i = w_i (m_i - AME)/W + infl_i . dAME/dbeta,
#   infl = estfun %*% A^-1 (fit$naive.cov), variance svyrecvar(z) on the fit's design;
# t interval on df.residual; per scales the effect (10 for a score), quasibinomial
# models report percentage points.
ame <- function(w, model, fit, var, binary, per, by_group) {
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
    level <- "1"
  } else {
    h <- 1e-4 * pmax(1, abs(data[[var]]))
    up <- data; up[[var]] <- up[[var]] + h
    dn <- data; dn[[var]] <- dn[[var]] - h
    D <- (mm(up) - mm(dn)) / (2 * h)
    eta <- drop(X %*% beta)
    d2 <- if (fam$link == "logit") { p <- plogis(eta); p * (1 - p) * (1 - 2 * p) } else 0 * eta
    m <- fam$mu.eta(eta) * drop(D %*% beta)
    G <- d2 * drop(D %*% beta) * X + fam$mu.eta(eta) * D
    level <- ""
  }
  scale <- per * if (fam$family == "quasibinomial") 100 else 1
  ds <- fit$survey.design
  wt <- weights(ds)
  estfun <- X * resid(fit, "working") * fit$weights
  infl <- estfun %*% fit$naive.cov
  groups <- list(all = rep(TRUE, nrow(data)))
  if (by_group) for (lev in sort(unique(data$country_group[wt != 0]))) groups[[as.character(lev)]] <- data$country_group == lev
  dfr <- fit$df.residual
  for (grp in names(groups)) {
    mask <- groups[[grp]]
    W <- sum(wt[mask])
    est <- sum((wt * m)[mask]) / W
    dAME <- colSums((wt * G)[mask, , drop = FALSE]) / W
    z <- ifelse(mask, wt * (m - est) / W, 0) + drop(infl %*% dAME)
    se <- sqrt(as.vector(survey:::svyrecvar(z, ds$cluster, ds$strata, ds$fpc, postStrata = ds$postStrata)))
    emit("ame", paste(w, model, var, level, grp, sep = "|"), estimate = scale * est, se = scale * se,
         ci_low = scale * (est + qt(0.025, dfr) * se), ci_high = scale * (est + qt(0.975, dfr) * se),
         df = dfr, n = sum(wt[mask] != 0))
  }
}

fit_model <- function(w, pop, model, y, terms, family, effects, binary, per, by_group = TRUE) {
  f <- as.formula(paste(y, "~", paste(terms, collapse = " + ")))
  d <- subset(pop, complete.cases(pop$variables[, all.vars(f)]))
  fit0 <- svyglm(f, d, family = family, control = ctl)
  fit <- do.call(svyglm, list(f, d, family = family, control = ctl, start = unname(coef(fit0))))
  for (k in seq_along(effects)) ame(w, model, fit, effects[k], binary[k], per, by_group)
}

exposures <- c("friends_nor", "factor(org_member)")
inter <- function(terms) paste0(terms, ":factor(country_group)")
for (w in waves) {
  pop <- subset(designs[[w]], background == 2)
  fit_model(w, pop, "adjusted", "employed", c(exposures, controls), quasibinomial(),
            c("friends_nor", "org_member"), c(FALSE, TRUE), 1, by_group = FALSE)
  fit_model(w, pop, "heterogeneity", "employed", c(exposures, controls, inter(exposures)), quasibinomial(),
            c("friends_nor", "org_member"), c(FALSE, TRUE), 1)
  fit_model(w, pop, "dimensions_employed", "employed", c(scores, controls, inter(scores)), quasibinomial(),
            scores, rep(FALSE, 3), 10)
  fit_model(w, pop, "dimensions_qol", "qol", c(scores, controls, inter(scores)), gaussian(),
            scores, rep(FALSE, 3), 10)
  # employment rates by network status, in percent: svyciprop per domain of the population
  pv <- pop$variables
  pv$`friends_nor>0` <- as.numeric(pv$friends_nor > 0)
  pop$variables <- pv
  for (x in c("friends_nor>0", "org_member")) {
    for (grp in c("all", "2", "3")) {
      for (lev in 0:1) {
        inx <- !is.na(pv[[x]]) & pv[[x]] == lev & !is.na(pv$employed) & (grp == "all" | code(pv$country_group) == grp)
        dd <- subset(pop, inx)
        p <- svyciprop(~employed, dd, method = "logit")
        ci <- attr(p, "ci")
        emit("ame", paste(w, "rate", x, lev, grp, sep = "|"), estimate = 100 * coef(p), se = 100 * SE(p),
             ci_low = 100 * ci[[1]], ci_high = 100 * ci[[2]], df = degf(dd), n = sum(weights(dd) != 0))
      }
    }
  }
}

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "pipeline.csv"), row.names = FALSE)
