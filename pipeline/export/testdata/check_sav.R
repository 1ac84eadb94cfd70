# Reads socap's scores.sav with R's haven, checks its labels, rebuilds the
# survey design and estimates the structural score of wave 1 with R's
# survey, printing the estimate and its SE at full precision for the Go
# test to compare with socap's estimates table.
#
#   Rscript pipeline/export/testdata/check_sav.R out/scores.sav
suppressPackageStartupMessages({
  library(haven)
  library(survey)
})
args <- commandArgs(trailingOnly = TRUE)
d <- read_sav(args[1])
stopifnot(
  identical(names(d)[1:2], c("wave", "id")),
  identical(attr(d$gender, "label"), "Kjønn"),
  identical(unname(attr(d$gender, "labels")), c(1, 2)),
  identical(names(attr(d$gender, "labels")), c("Mann", "Kvinne")),
  grepl("poeng 0–100", attr(d$structural, "label"), fixed = TRUE),
  is.numeric(d$weight), is.character(d$id)
)
options(survey.lonely.psu = "adjust")
w1 <- zap_labels(d[d$wave == 1, ])
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = w1)
m <- svymean(~structural, des, na.rm = TRUE)
cat(sprintf("structural wave 1: %.17g %.17g\n", coef(m), SE(m)))
cat(sprintf("ok %d respondents\n", nrow(d)))
