"""Agreement with R's survey package (values computed by golden/make_golden.R).

The API data sets bundled with R survey: apisrs (simple random sample),
apistrat (stratified by school type), apiclus1 (cluster sample of districts),
each also raked to population margins. Every number must agree to 1e-6
relative; proportions in domains (svyby with svyciprop) to far less.
"""

from __future__ import annotations

import numpy as np
import pytest

from collabready.stats import (
    PAdjust,
    ProportionCI,
    adjust_p_values,
    compare_domains,
    cross,
    design_regression,
    estimate_means,
    estimate_proportions,
    estimate_totals,
    factorize,
    paired_difference,
    rake,
    raked_design,
    survey_design,
)
from collabready.stats.estimate import proportion_interval
from collabready.stats.margins import Margins

from .conftest import close

DESIGNS = ["srs", "strat", "clus1", "rake_srs", "rake_strat", "rake_clus1", "fixed_clus1"]
RAKING = {
    "rake_srs": ("srs", ("stype", "sch_wide", "comp_imp")),
    "rake_strat": ("strat", ("sch_wide", "comp_imp")),
    "rake_clus1": ("clus1", ("stype", "sch_wide")),
}


def build(name, api, api_margins: Margins, golden):
    """The collabready design matching R's design ``name`` in make_golden.R."""
    source = {"fixed_clus1": "clus1"}.get(name, RAKING.get(name, (name,))[0])
    data = api[source]
    strata = data["stype"].to_numpy() if source == "strat" else None
    clusters = data["dnum"].to_numpy() if source == "clus1" else None
    fpc = data["fpc"].to_numpy() if name != "rake_srs" else None
    if name in RAKING:
        variables = RAKING[name][1]
        margins = Margins(margins=tuple(api_margins[v] for v in variables))
        raking = rake(
            data=data, margins=margins, base_weights=data["pw"].to_numpy(), tolerance=1e-13
        )
        design = raked_design(raking, strata=strata, clusters=clusters, fpc=fpc)
    elif name == "fixed_clus1":
        weights = np.asarray(golden["rake_clus1"]["weights"])
        design = survey_design(weights=weights, clusters=clusters, fpc=fpc)
    else:
        design = survey_design(
            weights=data["pw"].to_numpy(), strata=strata, clusters=clusters, fpc=fpc
        )
    return data, design


@pytest.fixture(params=DESIGNS)
def case(request, api, api_margins, golden):
    data, design = build(request.param, api, api_margins, golden)
    return request.param, data, design, golden[request.param]


def test_design_degrees_of_freedom(case):
    _, _, design, expected = case
    assert design.df == expected["degf"]


def test_weights(case):
    _, _, design, expected = case
    close(design.weights, expected["weights"], rtol=1e-9)


def test_mean_se_ci(case):
    _, data, design, expected = case
    table = estimate_means(
        design=design, variables={v: data[v].to_numpy() for v in ("api00", "api99")}
    )
    want = expected["mean"]
    close(table.estimate, want["estimate"])
    close(table.se, want["se"])
    close(table.ci_low, want["ci_low"])
    close(table.ci_high, want["ci_high"])


def test_domain_means_with_cis(case):
    _, data, design, expected = case
    table = estimate_means(
        design=design,
        variables={"api00": data["api00"].to_numpy()},
        by={"stype": data["stype"], "awards": data["awards"]},
        overall=False,
    )
    for grouping in ("stype", "awards"):
        want = expected[f"by_{grouping}"]
        rows = [table.index("api00", grouping, d) for d in want["domain"]]
        close(table.estimate[rows], want["estimate"])
        close(table.se[rows], want["se"])
        close(table.ci_low[rows], want["ci_low"])
        close(table.ci_high[rows], want["ci_high"])


def test_totals_overall_and_by_domain(case):
    _, data, design, expected = case
    table = estimate_totals(
        design=design, variables={"enroll": data["enroll"].to_numpy()}, by={"stype": data["stype"]}
    )
    close(table.estimate[0], expected["total_enroll"]["estimate"])
    close(table.se[0], expected["total_enroll"]["se"])
    want = expected["total_by_stype"]
    close(table.estimate[1:], want["estimate"])
    close(table.se[1:], want["se"])
    close(table.ci_low[1:], want["ci_low"])


def test_domain_differences_use_the_design_covariance(case):
    _, data, design, expected = case
    result = compare_domains(
        design=design,
        variables={"api00": data["api00"].to_numpy()},
        by={"stype": data["stype"]},
        adjust=PAdjust.NONE,
    )
    assert list(zip(result.first, result.second, strict=True)) == [
        ("E", "H"),
        ("E", "M"),
        ("H", "M"),
    ]
    close(result.difference, [c["estimate"] for c in expected["contrasts"]])
    close(result.se, [c["se"] for c in expected["contrasts"]])


def test_paired_difference(case):
    _, data, design, expected = case
    table = paired_difference(
        design=design, first=data["api00"].to_numpy(), second=data["api99"].to_numpy()
    )
    close(table.estimate, expected["gap"]["estimate"])
    close(table.se, expected["gap"]["se"])


@pytest.mark.parametrize("domain", [None, "E", "H"])
def test_proportion_logit_interval(case, domain):
    """Overall; and in a domain with the design's df, as svyciprop(df = degf(design)).

    The table's domain rows use the domain's own df (next test); given the
    design's df explicitly, the same interval is R's with that ``df``.
    """
    _, data, design, expected = case
    yes = (data["awards"] == "Yes").to_numpy().astype(float)
    table = estimate_proportions(
        design=design, variables={"awards": yes}, by={"stype": data["stype"]}
    )
    want = expected["prop_logit" if domain is None else f"prop_logit_{domain}"]
    row = table.index("awards") if domain is None else table.index("awards", "stype", domain)
    close(table.estimate[row], want["estimate"])
    close(table.se[row], want["se"])
    if domain is None:
        assert table.df[row] == design.df
        low, high = table.ci_low[[row]], table.ci_high[[row]]
    else:
        low, high = proportion_interval(
            table.estimate[[row]],
            table.se[[row]],
            table.n[[row]],
            df=design.df,
            level=0.95,
            method=ProportionCI.LOGIT,
        )
    close(low, want["ci_low"])
    close(high, want["ci_high"])


@pytest.mark.parametrize("domain", [None, "E"])
def test_proportion_korn_graubard_interval(case, domain):
    _, data, design, expected = case
    key = "prop_beta" if domain is None else f"prop_beta_{domain}"
    if key not in expected:
        pytest.skip("R computes Korn–Graubard only for uncalibrated designs here")
    yes = (data["awards"] == "Yes").to_numpy().astype(float)
    table = estimate_proportions(
        design=design,
        variables={"awards": yes},
        by={"stype": data["stype"]},
        method=ProportionCI.BETA,
    )
    row = table.index("awards") if domain is None else table.index("awards", "stype", domain)
    close(table.ci_low[row], expected[key]["ci_low"])
    close(table.ci_high[row], expected[key]["ci_high"])


#: R's svyciprop(method = "logit") fits svyglm, whose IRLS stops at glm's
#: default convergence (relative deviance change 1e-8): its estimates and
#: limits differ from the exact ones by up to 1.3e-8 relative (2e-9 absolute)
#: here. method = "xlogit" is the same interval by the delta method, with no
#: iterations, and agrees to 5e-13 (the raking's own tolerance); Korn–Graubard
#: (closed-form, uncalibrated designs only) to 1e-14.
DOMAIN_RTOL = {"logit": 5e-8, "xlogit": 1e-11, "beta": 1e-12}

#: svyby(~y, by, design, svyciprop, method) in make_golden.R: key → (method,
#: variable, groupings). "meals40_missing" is meals > 40 with district 568's
#: high schools missing (rake_clus1 only); "beta" is for uncalibrated designs.
SVYBY_PROPORTIONS = {
    f"prop_{method}_by_{by}": (method, variable, groupings)
    for method in DOMAIN_RTOL
    for by, variable, groupings in [
        ("stype", "awards", ("stype",)),
        ("stype_schwide", "meals40", ("stype", "sch_wide")),
    ]
} | {"prop_logit_missing_by_stype": ("logit", "meals40_missing", ("stype",))}


def domain_proportions(key, data, design, expected):
    """collabready's table for golden entry ``key``, its rows in R's order, R's values."""
    method, variable, groupings = SVYBY_PROPORTIONS[key]
    if variable == "awards":
        y = (data["awards"] == "Yes").to_numpy().astype(float)
    else:
        y = (data["meals"] > 40).to_numpy().astype(float)
        if variable == "meals40_missing":
            y[((data["dnum"] == 568) & (data["stype"] == "H")).to_numpy()] = np.nan
    factor = cross(*(factorize(data[g], name=g) for g in groupings))
    table = estimate_proportions(
        design=design,
        variables={variable: y},
        by={"domain": factor},
        overall=False,
        method=ProportionCI.LOGIT if method == "xlogit" else ProportionCI(method),
    )
    want = expected[key]
    labels = [" × ".join(parts) for parts in zip(*(want[g] for g in groupings), strict=True)]
    return table, [table.index(variable, "domain", d) for d in labels], want


@pytest.mark.parametrize("key", SVYBY_PROPORTIONS)
def test_domain_proportions_use_the_domain_degrees_of_freedom(case, key):
    """svyby(~y, ~g, design, svyciprop): each domain's t quantile has its own df.

    The domain's df is ``degf`` of the subset design (PSUs minus strata with
    respondents in the domain), which is also the table's ``df`` column.
    """
    _, data, design, expected = case
    if key not in expected:
        pytest.skip("not computed by make_golden.R for this design")
    table, rows, want = domain_proportions(key, data, design, expected)
    rtol = DOMAIN_RTOL[SVYBY_PROPORTIONS[key][0]]
    assert table.df[rows].tolist() == want["degf"]
    close(table.estimate[rows], want["estimate"], rtol=rtol)
    close(table.se[rows], want["se"], rtol=1e-11)
    close(table.ci_low[rows], want["ci_low"], rtol=rtol)
    close(table.ci_high[rows], want["ci_high"], rtol=rtol)


def test_svyglm_gaussian(case):
    _, data, design, expected = case
    result = design_regression(
        design=design,
        outcome=data["api00"].to_numpy(),
        predictors={v: data[v].to_numpy() for v in ("ell", "meals", "mobility")},
    )
    want = expected["glm"]
    assert list(result.terms) == want["term"]
    assert result.df == want["df"]
    close(result.estimate, want["estimate"])
    close(result.se, want["se"])
    close(result.p_value, want["p_value"])
    close(result.ci_low, want["ci_low"])
    close(result.ci_high, want["ci_high"])


def test_calibration_lowers_the_standard_error(api, api_margins, golden):
    """A plain Taylor SE on raked weights overstates it; the calibration-aware one is smaller."""
    data, raked = build("rake_clus1", api, api_margins, golden)
    _, fixed = build("fixed_clus1", api, api_margins, golden)
    y = {"api00": data["api00"].to_numpy()}
    se_raked = estimate_means(design=raked, variables=y).se[0]
    se_fixed = estimate_means(design=fixed, variables=y).se[0]
    close(se_raked, golden["rake_clus1"]["mean"]["se"][0])
    close(se_fixed, golden["fixed_clus1"]["mean"]["se"][0])
    assert se_raked < se_fixed


@pytest.mark.parametrize("method", ["holm", "BH"])
def test_p_adjust(golden, method):
    want = golden["p_adjust"]
    got = adjust_p_values(want["p"], method=PAdjust.HOLM if method == "holm" else PAdjust.BH)
    close(got, want[method])
