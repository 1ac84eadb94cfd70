# Writes the small SPSS and Stata files that pipeline/ingest's tests load:
# variable labels, value labels, an SPSS user-missing code, a date, a
# timestamp, Norwegian text and a system-missing value.
#   Rscript testdata/reference/ingest_labelled.R   (from the repository root)
library(haven)
d <- data.frame(
  id = c(1, 2, 3),
  kommune = c("Frøya", "Tromsø", "Åfjord"),
  tillit = labelled_spss(c(4, 99, NA), labels = c("Ingen tillit" = 1, "Full tillit" = 5, "Vet ikke" = 99),
                         na_values = 99, label = "Tillit til kommunen"),
  vekt = c(0.5, 1.25, 2),
  dato = as.Date(c("2024-03-01", "2024-03-02", NA)),
  tid = as.POSIXct(c("2024-03-01 10:30:00", NA, "2024-03-02 08:00:05"), tz = "UTC")
)
attr(d$vekt, "label") <- "Vekt"
write_sav(d, "testdata/ingest/labelled.sav")
s <- d
s$tillit <- labelled(c(4, 5, NA), labels = c("Ingen tillit" = 1, "Full tillit" = 5), label = "Tillit til kommunen")
write_dta(s, "testdata/ingest/labelled.dta", version = 15)
