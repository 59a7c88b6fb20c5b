# Golden values for collabready.stats.reliability and .omega, from R psych.
#
# Regenerate (needs R with psych, GPArotation and jsonlite; on Debian:
#   apt-get install -y r-cran-psych r-cran-gparotation r-cran-jsonlite):
#   cd tests/stats/golden && Rscript reliability_golden.R
# It writes the data the tests read (bfi_ac.csv: psych's published bfi data,
# agreeableness and conscientiousness items; likert6.csv: a simulated
# one-factor scale) and reliability_golden.json. The tests never need R.
suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

bfi_ac <- psych::bfi[, c(paste0("A", 1:5), paste0("C", 1:5))]
write.csv(bfi_ac, "bfi_ac.csv", row.names = FALSE, na = "")

set.seed(20260101)
n <- 300
f <- rnorm(n)
lambda <- c(0.8, 0.7, 0.6, 0.5, 0.7, 0.4)
raw <- sapply(lambda, function(l) l * f + sqrt(1 - l^2) * rnorm(n))
likert <- apply(raw, 2, function(z) as.integer(cut(z, c(-Inf, -1.2, -0.4, 0.4, 1.2, Inf))))
likert[, 4] <- 6L - likert[, 4] # item 4 is reverse-worded
colnames(likert) <- paste0("q", 1:6)
write.csv(likert, "likert6.csv", row.names = FALSE)

alpha_case <- function(x, keys, use) {
  x <- as.data.frame(x)
  if (use == "complete.obs") {
    x <- na.omit(x)
    n_ci <- nrow(x)
  } else {
    ok <- !is.na(as.matrix(x))
    n_ci <- min(crossprod(ok))
  }
  a <- psych::alpha(x, keys = keys, use = use, warnings = FALSE, check.keys = FALSE)
  k <- ncol(x)
  ci <- psych::alpha.ci(a$total$raw_alpha, n_ci, k)
  list(
    items = colnames(x),
    reverse = colnames(x) %in% keys,
    missing = if (use == "complete.obs") "listwise" else "pairwise",
    alpha = a$total$raw_alpha,
    n_interval = n_ci,
    ci_lower = ci$lower.ci,
    ci_upper = ci$upper.ci,
    item_rest = unname(a$item.stats$r.drop),
    alpha_if_deleted = unname(a$alpha.drop$raw_alpha)
  )
}

omega_case <- function(x, key) {
  x <- na.omit(as.data.frame(x))
  om <- suppressWarnings(suppressMessages(
    psych::omega(x, nfactors = 1, fm = "minres", key = key, plot = FALSE)
  ))
  r <- cor(x) * outer(key, key)
  fa1 <- psych::fa(r, nfactors = 1, fm = "minres", n.obs = nrow(x))
  l <- as.vector(fa1$loadings)
  if (sum(l) < 0) l <- -l
  list(
    items = colnames(x),
    reverse = key < 0,
    omega_total = om$omega.tot,
    omega_hierarchical = om$omega_h,
    loadings = l
  )
}

likert_df <- as.data.frame(likert)
golden <- list(
  psych_version = as.character(packageVersion("psych")),
  alpha = list(
    bfi_agreeableness_listwise = alpha_case(bfi_ac[, 1:5], "A1", "complete.obs"),
    bfi_agreeableness_pairwise = alpha_case(bfi_ac[, 1:5], "A1", "pairwise"),
    bfi_conscientiousness_listwise = alpha_case(bfi_ac[, 6:10], c("C4", "C5"), "complete.obs"),
    likert6 = alpha_case(likert_df, "q4", "complete.obs")
  ),
  omega = list(
    likert6 = omega_case(likert_df, c(1, 1, 1, -1, 1, 1)),
    bfi_agreeableness = omega_case(bfi_ac[, 1:5], c(-1, 1, 1, 1, 1)),
    bfi_conscientiousness = omega_case(bfi_ac[, 6:10], c(1, 1, 1, -1, -1))
  )
)
writeLines(toJSON(golden, digits = NA, auto_unbox = TRUE, pretty = TRUE), "reliability_golden.json")
