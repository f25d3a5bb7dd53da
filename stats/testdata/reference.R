# Reference values for package stats, computed by base R only (no packages).
#
# Re-run from the stats folder and diff against the committed output:
#   Rscript testdata/reference.R > /tmp/reference.txt && diff testdata/reference.txt /tmp/reference.txt
#
# Output: one value a line, tab-separated: kind, case, field, value (%.10f).
# stats' tests read testdata/reference.txt and compare within 1e-4.
#
# Wilson       prop.test(x, n, correct = FALSE)$conf.int is the Wilson score
#              interval (R documentation ?prop.test: "the interval ... is the
#              Wilson score interval" when correct = FALSE).
# Newcombe     base R has no method 10; it is assembled here from two
#              prop.test Wilson intervals with the formula of Newcombe (1998)
#              Stat Med 17:873-890, method 10, so R supplies the score limits.
# PairedT      t.test(after, before, paired = TRUE); d_z = mean(d) / sd(d).
# Welch        t.test(a, b, var.equal = FALSE).

out <- function(kind, case, field, value) {
  cat(sprintf("%s\t%s\t%s\t%.10f\n", kind, case, field, value))
}

wilson <- function(x, n, level) {
  ci <- suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = level))$conf.int
  c(ci[1], ci[2])
}

wilson_cases <- list(
  c(81, 263, 0.95), c(15, 148, 0.95), c(0, 20, 0.95), c(1, 29, 0.95),
  c(29, 29, 0.95), c(0, 1, 0.95), c(1, 1, 0.95), c(3, 5, 0.90),
  c(23291, 45154, 0.95), c(7, 12, 0.99), c(50, 100, 0.80)
)
for (w in wilson_cases) {
  case <- sprintf("%d/%d@%g", w[1], w[2], w[3])
  ci <- wilson(w[1], w[2], w[3])
  out("wilson", case, "lo", ci[1])
  out("wilson", case, "hi", ci[2])
}

newcombe_cases <- list(
  c(56, 70, 48, 80, 0.95), c(9, 10, 3, 10, 0.95), c(6, 7, 2, 7, 0.95),
  c(5, 56, 0, 29, 0.95), c(0, 10, 0, 20, 0.95), c(0, 10, 0, 10, 0.95),
  c(10, 10, 0, 20, 0.95), c(10, 10, 0, 10, 0.95), c(12, 40, 30, 45, 0.90),
  c(1, 3, 2, 3, 0.99)
)
for (k in newcombe_cases) {
  case <- sprintf("%d/%d-%d/%d@%g", k[1], k[2], k[3], k[4], k[5])
  p1 <- k[1] / k[2]; p2 <- k[3] / k[4]
  w1 <- wilson(k[1], k[2], k[5]); w2 <- wilson(k[3], k[4], k[5])
  d <- p1 - p2
  out("newcombe", case, "diff", d)
  out("newcombe", case, "lo", d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2))
  out("newcombe", case, "hi", d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}

# Paired samples. "sleep" is R's built-in Student (1908) data (extra hours of
# sleep, 10 patients, two drugs); "wemwbs" is an invented baseline/follow-up
# WEMWBS series of the size a peer-support service reports.
paired <- list(
  sleep = list(before = sleep$extra[sleep$group == 1], after = sleep$extra[sleep$group == 2], level = 0.95),
  wemwbs = list(before = c(38, 41, 35, 44, 50, 29, 40, 37, 45, 33, 42, 39),
                after  = c(45, 44, 41, 43, 55, 38, 47, 36, 52, 40, 44, 46), level = 0.95),
  two = list(before = c(1, 2), after = c(2, 5), level = 0.90)
)
for (name in names(paired)) {
  p <- paired[[name]]
  tt <- t.test(p$after, p$before, paired = TRUE, conf.level = p$level)
  d <- p$after - p$before
  cat(sprintf("data\t%s\tbefore\t%s\n", name, paste(format(p$before, digits = 15), collapse = ",")))
  cat(sprintf("data\t%s\tafter\t%s\n", name, paste(format(p$after, digits = 15), collapse = ",")))
  out("paired", name, "level", p$level)
  out("paired", name, "n", length(d))
  out("paired", name, "mean", unname(tt$estimate))
  out("paired", name, "sd", sd(d))
  out("paired", name, "lo", tt$conf.int[1])
  out("paired", name, "hi", tt$conf.int[2])
  out("paired", name, "dz", mean(d) / sd(d))
  out("paired", name, "t", unname(tt$statistic))
  out("paired", name, "p", tt$p.value)
}

welch <- list(
  sleep = list(a = sleep$extra[sleep$group == 2], b = sleep$extra[sleep$group == 1], level = 0.95),
  unequal = list(a = c(6.1, 7.4, 5.9, 8.8, 7.0, 6.6, 9.3),
                 b = c(3.2, 8.9, 1.5, 12.0, 4.4, 6.0, 2.1, 10.5, 0.7, 5.5), level = 0.95),
  small = list(a = c(1, 3), b = c(2, 2.5, 4), level = 0.99)
)
for (name in names(welch)) {
  w <- welch[[name]]
  tt <- t.test(w$a, w$b, var.equal = FALSE, conf.level = w$level)
  cat(sprintf("data\t%s\ta\t%s\n", name, paste(format(w$a, digits = 15), collapse = ",")))
  cat(sprintf("data\t%s\tb\t%s\n", name, paste(format(w$b, digits = 15), collapse = ",")))
  out("welch", name, "level", w$level)
  out("welch", name, "diff", unname(tt$estimate[1] - tt$estimate[2]))
  out("welch", name, "lo", tt$conf.int[1])
  out("welch", name, "hi", tt$conf.int[2])
  out("welch", name, "df", unname(tt$parameter))
  out("welch", name, "t", unname(tt$statistic))
  out("welch", name, "p", tt$p.value)
}

# Median and the definition-7 quantile used for bootstrap percentiles.
med <- list(odd = c(5, 1, 3), even = c(4, 1, 3, 2), one = c(7), ties = c(2, 2, 9, 1, 2))
for (name in names(med)) {
  cat(sprintf("data\t%s\txs\t%s\n", name, paste(format(med[[name]], digits = 15), collapse = ",")))
  out("median", name, "value", median(med[[name]]))
}
q <- c(3.1, 0.4, 9.9, 2.2, 5.0, 7.5, 1.1)
cat(sprintf("data\tq7\txs\t%s\n", paste(format(q, digits = 15), collapse = ",")))
for (p in c(0.025, 0.5, 0.975)) out("quantile7", "q7", sprintf("%g", p), unname(quantile(q, p, type = 7)))
