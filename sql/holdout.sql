-- in_holdout / holdout_hash: fixed known outputs (computed by the independent
-- implementation in test/ref/holdout_hash.py), balance, independence across
-- campaigns, bad input.

-- pinned values: must never change (a change would move customers between
-- groups of a running campaign)
SELECT c AS customer, k AS campaign, holdout_hash(c, k),
       in_holdout(c, k, 0.1) AS at_10, in_holdout(c, k, 0.5) AS at_50
FROM (VALUES (0::bigint, 'winback'), (1, 'winback'), (42, 'winback'), (-1, 'winback'),
             (9223372036854775807, 'winback'), ('-9223372036854775808'::bigint, 'spring sale'),
             (42, 'winback-2026-11')) AS v(c, k);
SELECT c AS customer, k AS campaign, holdout_hash(c, k),
       in_holdout(c, k, 0.1) AS at_10, in_holdout(c, k, 0.5) AS at_50
FROM (VALUES ('abc'::text, 'winback'), ('42', 'winback'), ('Zoë', 'été'), ('', 'x')) AS v(c, k);

-- a bigint key and its text form are different keys
SELECT holdout_hash(42::bigint, 'winback') <> holdout_hash('42', 'winback') AS distinct_keys;

-- balance: for every share, the control count of 200000 sequential keys is
-- within 4 binomial standard deviations of n * share
SELECT s AS share,
       abs(count(*) FILTER (WHERE in_holdout(i, 'balance', s)) - 200000 * s)
         < 4 * sqrt(200000 * s * (1 - s)) AS balanced
FROM generate_series(1, 200000) AS i,
     unnest(ARRAY[0.01, 0.1, 0.25, 0.5, 0.9]::float8[]) AS s
GROUP BY s ORDER BY s;
SELECT abs(count(*) FILTER (WHERE in_holdout('cust-' || i, 'balance', 0.2)) - 40000)
         < 4 * sqrt(200000 * 0.2 * 0.8) AS text_keys_balanced
FROM generate_series(1, 200000) AS i;

-- uniformity of u: chi-square of the 20 share bands [k/20, (k+1)/20) over
-- 100000 keys, 19 df; the 0.999 quantile is 43.82
WITH bands AS (
  SELECT i, (SELECT count(*) FROM generate_series(1, 19) k
             WHERE NOT in_holdout(i, 'uniform', k / 20.0)) AS band
  FROM generate_series(1, 100000) AS i)
SELECT count(*) AS bands, sum((n - 5000.0) ^ 2 / 5000.0) < 43.82 AS uniform
FROM (SELECT band, count(*) AS n FROM bands GROUP BY band) b;

-- raising the share only moves customers into the control group
SELECT count(*) AS moved_out
FROM generate_series(1, 50000) AS i
WHERE in_holdout(i, 'grow', 0.1) AND NOT in_holdout(i, 'grow', 0.2);

-- independence across campaigns: for 10 pairs of campaigns, the 2x2 table of
-- (in control of A, in control of B) over 100000 keys at share 0.5 has a
-- chi-square (1 df) below 10.83 (p = 0.001), and the largest absolute
-- correlation is below 4 / sqrt(n)
WITH t AS (
  SELECT p, in_holdout(i, 'campaign-' || p, 0.5) AS a,
            in_holdout(i, 'campaign-' || (p + 100), 0.5) AS b
  FROM generate_series(1, 10) AS p, generate_series(1, 100000) AS i),
c AS (
  SELECT p, count(*)::float8 AS n,
         count(*) FILTER (WHERE a AND b)::float8 AS n11,
         count(*) FILTER (WHERE a AND NOT b)::float8 AS n10,
         count(*) FILTER (WHERE NOT a AND b)::float8 AS n01,
         count(*) FILTER (WHERE NOT a AND NOT b)::float8 AS n00,
         corr(a::int, b::int) AS r
  FROM t GROUP BY p)
SELECT bool_and(n * (n11 * n00 - n10 * n01) ^ 2
                / ((n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)) < 10.83) AS independent,
       max(abs(r)) < 4 / sqrt(100000) AS uncorrelated
FROM c;

-- the same customer, the same campaign: the same answer in every call
SELECT count(DISTINCT in_holdout(7::bigint, 'nightly', 0.3)) AS answers
FROM generate_series(1, 100);

-- NULL in, NULL out
SELECT in_holdout(NULL::bigint, 'x', 0.1) IS NULL AS n1, in_holdout(1::bigint, NULL, 0.1) IS NULL AS n2,
       in_holdout('a'::text, 'x', NULL) IS NULL AS n3;

-- bad input
SELECT in_holdout(1::bigint, 'x', 0);
SELECT in_holdout(1::bigint, 'x', 1);
SELECT in_holdout(1::bigint, 'x', -0.5);
SELECT in_holdout('a', 'x', 'NaN');
SELECT in_holdout(1::bigint, '', 0.1);
SELECT holdout_hash('a', '');
