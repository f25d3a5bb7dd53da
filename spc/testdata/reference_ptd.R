# Expected XmR outputs for package spc, produced by NHSRplotthedots' own
# functions (github.com/nhs-r-community/NHSRplotthedots), not by our code.
#
# The package is not installable here (CRAN is out of reach), so this
# script sources its internal functions from a checkout and runs them the way
# ptd_spc.data.frame() does: ptd_spc_standard() -> ptd_calculate_point_type()
# -> ptd_add_short_group_warnings(), then ptd_calculate_assurance_type() and
# the variation icon mapping of geom_ptd_icon() for the latest point.
# The package's code is not copied into this repository.
#
# Usage, from the spc folder, with dplyr, tidyselect, rlang, stringr and
# assertthat installed (Debian: apt-get install r-cran-dplyr r-cran-stringr
# r-cran-assertthat):
#   Rscript testdata/reference_ptd.R /path/to/NHSRplotthedots > testdata/ptd_reference.txt
#
# The committed output was produced from R/ptd_spc_standard.R as of commit
# 8aac3239e90ce9ebeb9c3e61f56c207dfc37b225, the R/ptd_calculate_point_type.R
# that defines ptd_special_cause_type() (rule priority: outside limits,
# trend, 2 in 3, 7 points one side), R/ptd_calculate_assurance_type.R and
# R/ptd_add_short_group_warnings.R, with R 4.2.2 and dplyr 1.0.10.
# dplyr 1.0.10 (Debian 12) lacks case_when(.default =), which that
# ptd_calculate_point_type.R uses; it is rewritten to the equivalent
# `TRUE ~` before sourcing.
#
# Output (tab-separated), per case:
#   case  NAME  improvement  target|NA  rebase(0-based, comma)|-  screen(0/1)  fix(0=off)
#   value i y
#   point i mean lpl upl point_type special_cause_type
#   chart variation assurance|NA short_warning(0/1)

suppressPackageStartupMessages({
  library(dplyr)
  library(rlang)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript testdata/reference_ptd.R /path/to/NHSRplotthedots")
src <- function(f) {
  txt <- readLines(file.path(args[[1]], "R", f))
  txt <- gsub(".default = ", "TRUE ~ ", txt, fixed = TRUE)
  eval(parse(text = txt), envir = globalenv())
}
for (f in c("ptd_spc_standard.R", "ptd_calculate_point_type.R",
            "ptd_calculate_assurance_type.R", "ptd_add_short_group_warnings.R")) src(f)

ptd <- function(name, y, improvement = "increase", target = NULL, rebase = integer(),
                screen = FALSE, fix = NULL) {
  n <- length(y)
  d <- data.frame(x = as.Date("2020-01-01") + seq_len(n) - 1, y = y, rebase = 0)
  d$rebase[rebase + 1] <- 1
  opts <- list(value_field = "y", date_field = "x", screen_outliers = screen,
               fix_after_n_points = fix, improvement_direction = improvement, target = target)
  dir <- switch(improvement, increase = 1, neutral = 0, decrease = -1)
  s <- d %>% ptd_spc_standard(opts) %>% ptd_calculate_point_type(dir) %>% ptd_add_short_group_warnings()
  s$target <- if (is.null(target)) as.numeric(NA) else target
  attr(s, "options") <- opts
  a <- ptd_calculate_assurance_type(s)$assurance_type
  last <- s$point_type[[n]]
  # geom_ptd_icon.R variation_icon_file(), names without ".png"
  icon <- case_when(
    last == "common_cause" ~ "common_cause",
    last == "special_cause_neutral_high" ~ "neither_high",
    last == "special_cause_neutral_low" ~ "neither_low",
    last == "special_cause_concern" ~ paste0("concern_", if (improvement == "increase") "low" else "high"),
    last == "special_cause_improvement" ~ paste0("improvement_", if (improvement == "increase") "high" else "low")
  )
  cat(sprintf("case\t%s\t%s\t%s\t%s\t%d\t%d\n", name, improvement,
              if (is.null(target)) "NA" else format(target, digits = 17),
              if (length(rebase) == 0) "-" else paste(rebase, collapse = ","),
              as.integer(screen), if (is.null(fix)) 0L else as.integer(fix)))
  for (i in seq_len(n)) cat(sprintf("value\t%d\t%s\n", i - 1, format(y[[i]], digits = 17)))
  for (i in seq_len(n)) {
    cat(sprintf("point\t%d\t%.10f\t%.10f\t%.10f\t%s\t%s\n", i - 1, s$mean_col[[i]], s$lpl[[i]],
                s$upl[[i]], s$point_type[[i]], s$special_cause_type[[i]]))
  }
  cat(sprintf("chart\t%s\t%s\t%d\n", icon, if (is.na(a)) "NA" else a, as.integer(any(s$short_group_warning))))
}

# --- The data of NHSRplotthedots' own tests ---------------------------------
# tests/testthat/test-ptd_spc_standard.R and test-ptd_spc.R: set.seed(123);
# rnorm(20). Their snapshots (_snaps/ptd_spc_standard.md, _snaps/ptd_spc.md)
# print mean 0.142, lpl -3.01, upl 3.29, 20 common cause, target 0.5.
set.seed(123)
r20 <- rnorm(20)
ptd("rnorm20_screened", r20, screen = TRUE, target = 0.5)
ptd("rnorm20", r20)
# test-ptd_spc.R summary s3: facets of the first and last 10 points
# (mean 0.0746 / 0.209, limits -2.60 to 2.75 / -3.28 to 3.70); as one series
# rebased at point 10 it is the same calculation per phase.
ptd("rnorm20_rebased10_screened", r20, rebase = 10L, screen = TRUE)
# test-ptd_spc_standard.R: screen_outliers with y[15] <- 10.
r20o <- r20; r20o[15] <- 10
ptd("rnorm20_outlier_screened", r20o, screen = TRUE)
ptd("rnorm20_outlier", r20o)
ptd("rnorm20_fix12", r20, fix = 12L, screen = TRUE)
# test-ptd_spc_standard.R: 2 successive points close to the limits on
# opposite sides of the mean are not special cause.
sym <- rep(c(1, -1), times = 8); sym[15] <- 5.5; sym[16] <- -5.5
ptd("two_close_opposite_sides", sym, screen = TRUE)

# --- Hand-checkable series, one rule each ------------------------------------
ptd("outside_high", c(10, 11, 9, 10, 12, 10, 9, 11, 10, 30, 10, 11, 9))
ptd("outside_low_down", c(10, 11, 9, 10, 12, 10, 9, 11, 10, -10, 10, 11, 9), improvement = "decrease")
ptd("run_above", c(5, 1, 5, 1, 5, 1, 4, 4, 4, 4, 4, 4, 4, 1, 5))
ptd("run_six_only", c(5, 1, 5, 1, 5, 1, 4, 4, 4, 4, 4, 4, 1, 5, 1))
# mean exactly 1; the 1 between two runs of three 1.5s breaks them
ptd("run_broken_by_mean", c(0, 2, 0, 2, 0, 2, 1.5, 1.5, 1.5, 1, 1.5, 1.5, 1.5, 0, 0, 0))
ptd("trend_up", c(5, 3, 6, 2, 1, 2, 3, 4, 5, 6, 7, 4, 3))
ptd("trend_down_neutral", c(5, 3, 6, 8, 7, 6, 5, 4, 3, 2, 5, 4, 6), improvement = "neutral")
ptd("trend_tie_breaks", c(5, 3, 6, 2, 1, 2, 3, 3, 4, 5, 6, 4, 3))
ptd("trend_six_steps_down", c(5, 5, 5, 9, 8, 7, 6, 5, 4, 3, 5, 5, 5, 5), improvement = "decrease")
ptd("two_of_three_high", c(10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 13.9, 11.5, 13.9, 11, 10))
ptd("two_of_three_low", c(10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 8, 8, 10.5, 11, 10))
# the middle point is below the mean, so the window is not all on one side
ptd("two_of_three_middle_below_mean", c(10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 13.9, 10.2, 13.9, 11, 10))
ptd("constant", rep(3, 12))
ptd("constant_screened", rep(3, 12), screen = TRUE)
ptd("two_points", c(1, 2))

# --- Rebasing, targets, fixing ----------------------------------------------
shift <- c(20, 22, 19, 21, 20, 23, 18, 21, 20, 22, 19, 21, 30, 31, 29, 32, 30, 28, 31, 30, 29, 31, 30, 32)
ptd("shift_not_rebased", shift)
ptd("shift_rebased12", shift, rebase = 12L)
ptd("shift_rebased12_down_target", shift, rebase = 12L, improvement = "decrease", target = 40)
ptd("up_target_pass", shift, rebase = 12L, target = 20)
ptd("up_target_fail", shift, rebase = 12L, target = 40)
ptd("down_target_fail", shift, rebase = 12L, improvement = "decrease", target = 20)
ptd("target_inconsistent", shift, rebase = 12L, target = 30)
ptd("neutral_target", shift, rebase = 12L, improvement = "neutral", target = 30)
ptd("two_rebases_short", shift, rebase = c(8L, 16L))
ptd("fix8", shift, fix = 8L)

# --- Seeded random series, all options --------------------------------------
set.seed(2024)
for (k in 1:12) {
  n <- sample(c(8, 15, 24, 40), 1)
  y <- round(rnorm(n, 50, 5) + if (k %% 3 == 0) seq_len(n) * 0.8 else 0, 1)
  if (k %% 4 == 0) y[sample(n, 1)] <- 90
  imp <- c("increase", "decrease", "neutral")[(k %% 3) + 1]
  rb <- if (k %% 5 == 0) as.integer(n %/% 2) else integer()
  fx <- if (k %% 6 == 0) 6L else NULL
  ptd(sprintf("random%02d", k), y, improvement = imp, target = if (k %% 2 == 0) 52 else NULL,
      rebase = rb, screen = (k %% 2 == 1), fix = fx)
}
