# Reads SPSS and Stata files with R's haven and writes, per file, the
# dictionary haven reports, for the Go tests of socap's writers
# (pipeline/ingest/spss and pipeline/ingest/stata) to compare with.
#
#   Rscript haven_labels.R OUTDIR FILE...
#
# OUTDIR/<i>.labels.csv, where <i> is the FILE's position (1-based), has a
# row per variable: variable, label (NA when none), labels (value=label
# joined by ";"), na_values and na_range (joined by ";"; SPSS only, read
# with user_na = TRUE).
suppressMessages(library(haven))

joined <- function(x) paste(as.character(x), collapse = ";")

args <- commandArgs(trailingOnly = TRUE)
outdir <- args[1]
files <- args[-1]
for (i in seq_along(files)) {
  d <- if (grepl("\\.dta$", files[i])) read_dta(files[i]) else read_sav(files[i], user_na = TRUE)
  one <- function(name) {
    x <- d[[name]]
    label <- attr(x, "label", exact = TRUE)
    l <- attr(x, "labels", exact = TRUE)
    data.frame(variable = name,
               label = if (is.null(label)) NA else label,
               labels = if (is.null(l)) "" else paste0(as.character(unname(l)), "=", names(l), collapse = ";"),
               na_values = joined(attr(x, "na_values", exact = TRUE)),
               na_range = joined(attr(x, "na_range", exact = TRUE)),
               stringsAsFactors = FALSE)
  }
  out <- do.call(rbind, lapply(names(d), one))
  write.csv(out, file.path(outdir, paste0(i, ".labels.csv")), row.names = FALSE, na = "NA", fileEncoding = "UTF-8")
}
