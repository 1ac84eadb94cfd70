# Reference values for the researcher's command line (cmd/socap, issue 17): cases where
# socap's and R's defaults differ, or where socap once printed a wrong number.
#
#   Rscript testdata/reference/cli.R        (from the repository root)
#
# Reads ESS9 Norway and the api samples from ../shared/datasets and writes cli.csv next
# to this script: case, key, value (full precision). cmd/socap/reference_test.go runs the
# same estimates through the command line and compares within 1e-8 relative.
suppressMessages({library(survey); library(haven)})
options(survey.lonely.psu = "fail")
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
data_dir <- normalizePath(file.path(here, "..", "..", "..", "shared", "datasets"))
g <- function(x) sprintf("%.17g", x)
rows <- list()
emit <- function(case, key, value) rows[[length(rows) + 1]] <<- data.frame(case = case, key = key, value = g(value))

## 1. Likelihood intervals on ESS9NO.sav (edition 2: 21 strata, 42 PSUs, design effect ~15)
ess <- zap_labels(read_sav(file.path(data_dir, "ess9no", "ESS9NO.sav")))
essd <- svydesign(ids = ~psu, strata = ~stratum, weights = ~anweight, nest = TRUE, data = ess)
ci <- confint(svyciprop(~pdwrk, essd, method = "likelihood"))
emit("likelihood", "all|ci_low", ci[1]); emit("likelihood", "all|ci_high", ci[2])
b <- svyby(~pdwrk, ~brncntr, essd, svyciprop, method = "likelihood", vartype = "ci")
for (i in seq_len(nrow(b))) {
  emit("likelihood", paste0("brncntr=", b$brncntr[i], "|ci_low"), b$ci_l[i])
  emit("likelihood", paste0("brncntr=", b$brncntr[i], "|ci_high"), b$ci_u[i])
}

## 2. A calibrated design: raking apiclus1 to school types and sch.wide (R's rake, tight)
clus1 <- read.csv(file.path(data_dir, "api", "apiclus1.csv"))
dclus1 <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
pop_stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_sch <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
raked <- rake(dclus1, list(~stype, ~sch.wide), list(pop_stype, pop_sch), control = list(epsilon = 1e-12, maxit = 100))
tt <- svytotal(~enroll, raked)
emit("rake", "enroll|total", coef(tt)); emit("rake", "enroll|se", SE(tt))
# the same raked weights taken as fixed sampling weights: the SE that ignores calibration
clus1$pw_cal <- weights(raked)
fixed <- svytotal(~enroll, svydesign(ids = ~dnum, weights = ~pw_cal, fpc = ~fpc, data = clus1))
emit("rake", "enroll|se_fixed_weights", SE(fixed))
mm <- svyby(~api00, ~stype, raked, svymean)
for (i in seq_len(nrow(mm))) emit("rake", paste0("api00|stype=", mm$stype[i], "|se"), mm$se[i])

## 3. Degrees of freedom: domain (svyby + svyciprop's df), design (Stata), inf (confint)
strat <- read.csv(file.path(data_dir, "api", "apistrat.csv"))
dstrat <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
for (lev in c("E", "H", "M")) {
  sub <- subset(dstrat, stype == lev)
  m <- svymean(~api00, sub)
  emit("df", paste0("stype=", lev, "|domain|ci_low"), confint(m, df = degf(sub))[1])
  emit("df", paste0("stype=", lev, "|design|ci_low"), confint(m, df = degf(dstrat))[1])
  emit("df", paste0("stype=", lev, "|inf|ci_low"), confint(m)[1])
}
bb <- confint(svyby(~api00, ~stype, dstrat, svymean))
for (lev in c("E", "H", "M")) emit("df", paste0("stype=", lev, "|svyby_confint|ci_low"), bb[lev, 1])

## 4. Several variables at once: svyby(~a + b, na.rm = TRUE) drops rows missing either
essc <- read.csv(file.path(data_dir, "ess9no", "ESS9NO.csv"))
essdc <- svydesign(ids = ~psu, strata = ~stratum, weights = ~anweight, nest = TRUE, data = essc)
cc <- svyby(~ppltrst + pplfair, ~gndr, essdc, svymean, na.rm = TRUE)
for (i in seq_len(nrow(cc))) for (v in c("ppltrst", "pplfair")) {
  emit("complete", paste0(v, "|gndr=", cc$gndr[i], "|mean"), cc[i, v])
  emit("complete", paste0(v, "|gndr=", cc$gndr[i], "|se"), cc[i, paste0("se.", v)])
}

## 5. Marginal effects with the covariates fixed: gradᵀ V(β̂) grad (delta method on the
## coefficients, what svycontrast of the fit gives), for the AME of ppltrst in a logit model
fit <- svyglm(pdwrk ~ ppltrst + agea, essdc, family = quasibinomial, control = glm.control(epsilon = 1e-14, maxit = 100))
X <- model.matrix(fit); b <- coef(fit); w <- weights(fit, "prior")
eta <- drop(X %*% b); mu <- plogis(eta); d1 <- mu * (1 - mu); d2 <- d1 * (1 - 2 * mu)
ame <- sum(w * d1 * b["ppltrst"]) / sum(w)
grad <- colSums(w * d2 * b["ppltrst"] * X) / sum(w); grad["ppltrst"] <- grad["ppltrst"] + sum(w * d1) / sum(w)
emit("margins_fixed", "ppltrst|estimate", 100 * ame)
emit("margins_fixed", "ppltrst|se", 100 * sqrt(drop(t(grad) %*% vcov(fit) %*% grad)))

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "cli.csv"), row.names = FALSE)
cat(sprintf("%d reference numbers\n", nrow(out)))
