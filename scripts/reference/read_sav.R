# Read an SPSS export of collabready with haven and print what it sees, one fact a line:
#   Rscript read_sav.R FILE.sav [VARIABLE ...]   (the variables to count)
# (run by scripts/reference/check_sav_pspp.py)
suppressMessages(library(haven))
args <- commandArgs(trailingOnly = TRUE)
d <- read_sav(args[1], user_na = TRUE)
for (n in names(d)) {
  x <- d[[n]]
  cat("variable", n, sep = "\t"); cat("\n")
  lab <- attr(x, "label")
  if (!is.null(lab)) { cat("label", lab, sep = "\t"); cat("\n") }
  cat("class", class(x)[1], sep = "\t"); cat("\n")
  labs <- attr(x, "labels")
  if (!is.null(labs)) for (i in seq_along(labs)) {
    cat("value", format(unname(labs[i])), names(labs)[i], sep = "\t"); cat("\n")
  }
  nas <- attr(x, "na_values")
  if (!is.null(nas)) for (v in nas) { cat("na_value", format(v), sep = "\t"); cat("\n") }
}
cat("cases", nrow(d), sep = "\t"); cat("\n")
for (n in args[-1]) {
  counts <- table(as.numeric(unclass(d[[n]])))
  for (v in names(counts)) { cat("count", n, v, counts[[v]], sep = "\t"); cat("\n") }
}
