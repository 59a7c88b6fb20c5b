# Golden values for collabready.stats, computed with R's survey package.
#
# Regenerate (needs R and the survey package: apt-get install -y r-cran-survey):
#     Rscript tests/stats/golden/make_golden.R
# It writes, next to this script, the API data sets bundled with survey
# (apisrs.csv, apistrat.csv, apiclus1.csv), their population margins in the
# collabready margins format (api_margins.csv) and the expected values
# (survey_golden.json). The Python tests read only those files, never R.

suppressMessages({
  library(survey)
  library(jsonlite)
})
options(survey.lonely.psu = "fail")

here <- (function() {
  arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(arg)) dirname(normalizePath(sub("^--file=", "", arg))) else getwd()
})()

data(api)
cols <- c("snum", "dnum", "stype", "sch.wide", "comp.imp", "awards",
          "api00", "api99", "enroll", "ell", "meals", "mobility", "pw", "fpc")
export <- function(d, name) {
  out <- d[, cols]
  for (v in c("stype", "sch.wide", "comp.imp", "awards")) out[[v]] <- as.character(out[[v]])
  names(out) <- gsub(".", "_", names(out), fixed = TRUE)
  write.csv(out, file.path(here, name), row.names = FALSE)
}
export(apisrs, "apisrs.csv")
export(apistrat, "apistrat.csv")
export(apiclus1, "apiclus1.csv")

pop.types <- data.frame(stype = c("E", "H", "M"), Freq = as.vector(table(apipop$stype)))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = as.vector(table(apipop$sch.wide)))
pop.compimp <- data.frame(comp.imp = c("No", "Yes"), Freq = as.vector(table(apipop$comp.imp)))
margins <- rbind(
  data.frame(variable = "stype", level = pop.types$stype, population_total = pop.types$Freq),
  data.frame(variable = "sch_wide", level = pop.schwide$sch.wide, population_total = pop.schwide$Freq),
  data.frame(variable = "comp_imp", level = pop.compimp$comp.imp, population_total = pop.compimp$Freq)
)
write.csv(margins, file.path(here, "api_margins.csv"), row.names = FALSE, quote = FALSE)

ctl <- list(maxit = 500, epsilon = 1e-13)
designs <- list()
designs$srs <- svydesign(id = ~1, weights = ~pw, fpc = ~fpc, data = apisrs)
designs$strat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
designs$clus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
designs$rake_srs <- rake(svydesign(id = ~1, weights = ~pw, data = apisrs),
                         list(~stype, ~sch.wide, ~comp.imp),
                         list(pop.types, pop.schwide, pop.compimp), control = ctl)
designs$rake_strat <- rake(designs$strat, list(~sch.wide, ~comp.imp),
                           list(pop.schwide, pop.compimp), control = ctl)
designs$rake_clus1 <- rake(designs$clus1, list(~stype, ~sch.wide),
                           list(pop.types, pop.schwide), control = ctl)
# the raked weights treated as fixed (no calibration): what a plain Taylor SE gives
designs$fixed_clus1 <- svydesign(id = ~dnum, weights = ~w, fpc = ~fpc,
                                 data = transform(apiclus1, w = weights(designs$rake_clus1)))

by_domain <- function(formula, by, d, FUN) {
  b <- svyby(formula, by, d, FUN)
  ci <- confint(b, df = degf(d))
  list(domain = as.character(b[[1]]), estimate = unname(coef(b)), se = unname(SE(b)),
       ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]))
}

# svyciprop in one domain with the design's df given explicitly (df = degf(d));
# ciprop_by below leaves svyciprop its default, the domain's own df
ciprop <- function(d, method, domain = NULL) {
  dd <- if (is.null(domain)) d else subset(d, stype == domain)
  r <- svyciprop(~I(awards == "Yes"), dd, method = method, df = degf(d))
  list(estimate = unname(as.vector(r)), se = unname(sqrt(attr(r, "var")[1])),
       ci_low = unname(attr(r, "ci")[1]), ci_high = unname(attr(r, "ci")[2]))
}

# svyby(~y, by, d, svyciprop): each domain's interval uses the t quantile on
# the domain's own degrees of freedom, degf() of the subset design (PSUs minus
# strata with rows in the domain), which svyciprop takes as its default df
ciprop_by <- function(formula, by, d, method, ...) {
  b <- svyby(formula, by, d, svyciprop, method = method, vartype = c("se", "ci"), ...)
  byvars <- all.vars(by)
  f <- do.call(interaction, model.frame(by, model.frame(d)))
  out <- lapply(byvars, function(v) as.character(b[[v]]))
  names(out) <- gsub(".", "_", byvars, fixed = TRUE)
  c(out, list(estimate = unname(coef(b)), se = unname(SE(b)),
              ci_low = unname(b$ci_l), ci_high = unname(b$ci_u),
              degf = unname(sapply(rownames(b), function(l) degf(d[f == l, ])))))
}

result <- list()
for (name in names(designs)) {
  d <- designs[[name]]
  m <- svymean(~api00 + api99, d)
  tot <- svytotal(~enroll, d)
  ci <- confint(m, df = degf(d))
  g <- svyglm(api00 ~ ell + meals + mobility, design = d)
  sg <- summary(g)$coefficients
  tq <- qt(0.975, g$df.residual)
  gap <- svymean(~I(api00 - api99), d)
  out <- list(
    degf = degf(d),
    weights = unname(weights(d)),
    mean = list(variable = c("api00", "api99"), estimate = unname(coef(m)),
                se = unname(SE(m)), ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
                vcov = unname(vcov(m))),
    total_enroll = list(estimate = unname(coef(tot)), se = unname(SE(tot))),
    gap = list(estimate = unname(coef(gap)), se = unname(SE(gap))),
    by_stype = by_domain(~api00, ~stype, d, svymean),
    by_awards = by_domain(~api00, ~awards, d, svymean),
    total_by_stype = by_domain(~enroll, ~stype, d, svytotal),
    prop_logit = ciprop(d, "logit"),
    prop_logit_E = ciprop(d, "logit", "E"),
    prop_logit_H = ciprop(d, "logit", "H"),
    glm = list(term = rownames(sg), estimate = unname(sg[, 1]), se = unname(sg[, 2]),
               p_value = unname(sg[, 4]), df = g$df.residual,
               ci_low = unname(sg[, 1] - tq * sg[, 2]), ci_high = unname(sg[, 1] + tq * sg[, 2]))
  )
  if (!survey:::is.calibrated(d)) {
    out$prop_beta <- ciprop(d, "beta")
    out$prop_beta_E <- ciprop(d, "beta", "E")
  }
  # svyby(covmat = TRUE) fails on calibrated designs; the saturated regression
  # api00 ~ 0 + stype has the domain means as coefficients and the same influence
  b <- svyglm(api00 ~ 0 + stype, design = d)
  out$by_stype$vcov <- unname(vcov(b))
  out$by_stype$glm_estimate <- unname(coef(b))
  contrasts <- list(c(1, -1, 0), c(1, 0, -1), c(0, 1, -1))
  out$contrasts <- lapply(contrasts, function(k) {
    s <- svycontrast(b, k)
    list(weights = k, estimate = unname(coef(s)), se = unname(SE(s)))
  })
  out$prop_logit_by_stype <- ciprop_by(~I(awards == "Yes"), ~stype, d, "logit")
  # crossed domains with as few as three PSUs (apiclus1: high schools without
  # the school-wide target sit in three districts, so their df is 2, not 14)
  out$prop_logit_by_stype_schwide <- ciprop_by(~I(meals > 40), ~stype + sch.wide, d, "logit")
  # method = "xlogit": the same interval by the delta method on svymean, without
  # svyglm's iterations, so it holds to rounding rather than glm's tolerance
  out$prop_xlogit_by_stype <- ciprop_by(~I(awards == "Yes"), ~stype, d, "xlogit")
  out$prop_xlogit_by_stype_schwide <- ciprop_by(~I(meals > 40), ~stype + sch.wide, d, "xlogit")
  if (!survey:::is.calibrated(d)) {
    # svyciprop(method = "beta") ignores df and takes degf() of the subset;
    # on a calibrated design it also takes nrow() of the whole sample as n
    out$prop_beta_by_stype <- ciprop_by(~I(awards == "Yes"), ~stype, d, "beta")
    out$prop_beta_by_stype_schwide <- ciprop_by(~I(meals > 40), ~stype + sch.wide, d, "beta")
  }
  result[[name]] <- out
}

# Missing answers: the high schools of district 568 skip the question, so the
# high-school domain has respondents in 7 of its 8 PSUs. collabready counts a
# domain's PSUs among the respondents to the variable: svyby on the design
# restricted to them (svyby on the whole design would count all 8).
d <- update(designs$rake_clus1, meals40 = ifelse(dnum == 568 & stype == "H", NA, meals > 40))
result$rake_clus1$prop_logit_missing_by_stype <-
  ciprop_by(~meals40, ~stype, subset(d, !is.na(meals40)), "logit", na.rm = TRUE)

p <- c(0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.04)
result$p_adjust <- list(p = p, holm = p.adjust(p, "holm"), BH = p.adjust(p, "BH"))
result$survey_version <- as.character(packageVersion("survey"))

write_json(result, file.path(here, "survey_golden.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE, matrix = "rowmajor")
cat("wrote", file.path(here, "survey_golden.json"), "\n")
