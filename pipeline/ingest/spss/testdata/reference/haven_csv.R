# Reads SPSS and Stata files with R's haven, the reference socap's readers
# follow, and writes one CSV per file and setting for the Go tests to
# compare with (pipeline/ingest/spss and pipeline/ingest/stata).
#
#   Rscript haven_csv.R OUTDIR FILE[::ENCODING]...
#
# For FILE.sav or FILE.zsav it writes OUTDIR/<i>.user_na_false.csv and
# OUTDIR/<i>.user_na_true.csv (read_sav with user_na = FALSE and TRUE);
# for FILE.dta OUTDIR/<i>.dta.csv, where <i> is the FILE's position (1-based).
# Cells: NA for missing, .a-.z for Stata's tagged missing values, numbers
# with 17 significant digits, dates as days and times as seconds since
# 1970-01-01, durations as seconds. ENCODING is passed to read_dta (haven
# assumes windows-1252 for formats before 118).
suppressMessages(library(haven))

cell <- function(x) {
  if (is.character(x)) return(as.character(x))
  tags <- if (is.double(x)) na_tag(x) else rep(NA_character_, length(x))
  v <- if (inherits(x, "Date") || inherits(x, "POSIXct")) as.numeric(x)
       else if (inherits(x, "difftime")) as.numeric(x, units = "secs")
       else as.numeric(unclass(x))
  ifelse(!is.na(tags), paste0(".", tags), ifelse(is.na(v), NA, sprintf("%.17g", v)))
}

write <- function(d, path) {
  out <- as.data.frame(lapply(d, cell), stringsAsFactors = FALSE, check.names = FALSE)
  names(out) <- names(d)
  write.csv(out, path, row.names = FALSE, na = "NA", fileEncoding = "UTF-8")
}

args <- commandArgs(trailingOnly = TRUE)
outdir <- args[1]
files <- args[-1]
for (i in seq_along(files)) {
  f <- strsplit(files[i], "::", fixed = TRUE)[[1]]
  if (grepl("\\.dta$", f[1])) {
    d <- if (length(f) > 1) read_dta(f[1], encoding = f[2]) else read_dta(f[1])
    write(d, file.path(outdir, paste0(i, ".dta.csv")))
  } else {
    write(read_sav(f[1], user_na = FALSE), file.path(outdir, paste0(i, ".user_na_false.csv")))
    write(read_sav(f[1], user_na = TRUE), file.path(outdir, paste0(i, ".user_na_true.csv")))
  }
}
