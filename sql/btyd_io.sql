-- btyd_model text and binary I/O: every value binary input accepts prints
-- as text that reads back to the same bytes, and binary send/receive is the
-- identity too.  Values come from the fit aggregates, from hand-made binary
-- images (extreme and subnormal floats, the largest counts) and from seeded
-- random and mutated binary images.
SET extra_float_digits = 0;

-- subnormal penalizer: stored by the fit, printed, read back (issue: a dump
-- that did not restore)
SELECT m::text AS subnormal_fit_text_ok
FROM (SELECT bgnbd_fit(x, t_x, "T", 1e-310) AS m
      FROM btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 200, 30, 5)) s
WHERE m::text::btyd_model = m AND penalizer(m) = 1e-310 AND m::text LIKE '%penalizer=1e-310%';
SELECT penalizer('gamma_gamma(p=1,q=2,gamma=3;loglik=0,n=0,iterations=0,converged=false,penalizer=4.9e-324)') = 4.9e-324 AS smallest_subnormal;
SELECT (params('bgnbd(r=2.2250738585072014e-308,alpha=1e-320,a=1.7976931348623157e308,b=1)')->>'alpha')::float8 = 1e-320 AS subnormal_param;
-- integers exactly, never through a double
SELECT n_customers(m) = 9223372036854775807 AND iterations(m) = 2147483647 AS largest_counts,
       m::text LIKE '%n=9223372036854775807,iterations=2147483647,%' AS printed_exactly
FROM (SELECT 'pareto_nbd(r=1,alpha=1,s=1,beta=1;loglik=-0,n=9223372036854775807,iterations=2147483647,converged=true,penalizer=0)'::btyd_model AS m) s;
SELECT n_customers('bgnbd(r=1,alpha=1,a=1,b=1;loglik=0,n=9007199254740993,iterations=0,converged=false,penalizer=0)') AS two_53_plus_1,
       n_customers('bgnbd(r=1,alpha=1,a=1,b=1;loglik=0,n=+0009007199254740993,iterations=0,converged=false,penalizer=0)') AS leading_zeros;
-- out of range and malformed numbers are errors naming the field
SELECT 'bgnbd(r=1,alpha=1,a=1,b=1;loglik=0,n=9223372036854775808,iterations=0,converged=false,penalizer=0)'::btyd_model;
SELECT 'bgnbd(r=1,alpha=1,a=1,b=1;loglik=0,n=1,iterations=2147483648,converged=false,penalizer=0)'::btyd_model;
SELECT 'bgnbd(r=1,alpha=1,a=1,b=1;loglik=0,n=1e3,iterations=0,converged=false,penalizer=0)'::btyd_model;
SELECT 'bgnbd(r=1,alpha=1,a=1,b=1;loglik=0,n=-1,iterations=0,converged=false,penalizer=0)'::btyd_model;
SELECT 'bgnbd(r=1e-400,alpha=1,a=1,b=1)'::btyd_model;
SELECT 'bgnbd(r=x,alpha=1,a=1,b=1)'::btyd_model;
SELECT 'bgnbd(r=Infinity,alpha=1,a=1,b=1)'::btyd_model;

-- A binary image of a model: the send format (version 1, kind, converged,
-- iterations, n, loglik, penalizer, parameters).
CREATE FUNCTION pg_temp.img(kind int, conv int, iter int, n int8, ll float8, pen float8, p float8[])
RETURNS bytea LANGUAGE sql AS $$
  SELECT '\x01'::bytea || set_byte('\x00'::bytea, 0, kind) || set_byte('\x00'::bytea, 0, conv)
         || int4send(iter) || int8send(n) || float8send(ll) || float8send(pen)
         || coalesce((SELECT string_agg(float8send(v), ''::bytea ORDER BY o) FROM unnest(p) WITH ORDINALITY u(v, o)), '')
$$;
-- eight random bytes read as a double: any bit pattern, NaN and subnormals included
CREATE FUNCTION pg_temp.rbits() RETURNS bytea LANGUAGE sql AS $$
  SELECT int4send((floor(random() * 4294967296) - 2147483648)::int4)
         || int4send((floor(random() * 4294967296) - 2147483648)::int4)
$$;

CREATE TABLE io_images (id serial, img bytea);
-- images of fitted models
CREATE TEMP TABLE io_fits AS
SELECT bgnbd_fit(x, t_x, "T") AS m FROM btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 500, 40, 11)
UNION ALL SELECT pareto_nbd_fit(x, t_x, "T", 0.01) FROM btyd_simulate('pareto_nbd(r=0.6,alpha=8,s=0.8,beta=10)', 300, 40, 12)
UNION ALL SELECT gamma_gamma_fit(x, mean_spend) FROM btyd_simulate('gamma_gamma(p=6,q=4,gamma=15)', 500, 0, 13)
UNION ALL SELECT bgnbd_fit(x, t_x, "T", 1e-310) FROM btyd_simulate('bgnbd(r=0.5,alpha=5,a=0.8,b=3)', 100, 40, 14)
UNION ALL SELECT bgnbd_fit(0, 0, 10);
INSERT INTO io_images (img) SELECT btyd_model_send(m) FROM io_fits;
-- hand-made extremes
INSERT INTO io_images (img) VALUES
  (pg_temp.img(1, 1, 2147483647, 9223372036854775807, -1.7976931348623157e308, 4.9e-324, ARRAY[4.9e-324, 1.7976931348623157e308, 2.2250738585072009e-308, 0.1])),
  (pg_temp.img(2, 0, 0, 9007199254740993, '-0', '-0', ARRAY[1e-310, 3, 0.30000000000000004, 123456789.123456789])),
  (pg_temp.img(3, 1, 7, 1, 1e300, 1e-300, ARRAY[5e-324, 1, 2]));
-- random images: each field random bits (most are rejected: NaN, negative parameters)
SELECT setseed(0.25);
INSERT INTO io_images (img)
SELECT '\x01'::bytea || set_byte('\x00'::bytea, 0, 1 + (i % 3)) || set_byte('\x00'::bytea, 0, (i / 3) % 2)
       || int4send((random() * 1000)::int4) || int8send((random() * 9.2e18)::int8)
       || CASE WHEN i % 4 = 0 THEN float8send(-random() * 1e6) ELSE pg_temp.rbits() END
       || CASE WHEN i % 5 = 0 THEN float8send(random()) ELSE pg_temp.rbits() END
       || pg_temp.rbits() || pg_temp.rbits() || pg_temp.rbits()
       || CASE WHEN i % 3 = 2 THEN ''::bytea ELSE pg_temp.rbits() END
FROM generate_series(0, 299) i;
-- mutated images: one to three random bytes of an accepted image replaced
INSERT INTO io_images (img)
SELECT b FROM (
  SELECT set_byte(set_byte(set_byte(img, (random() * (length(img) - 1))::int, (random() * 255)::int),
                           (random() * (length(img) - 1))::int, (random() * 255)::int),
                  (random() * (length(img) - 1))::int, CASE WHEN random() < 0.5 THEN get_byte(img, 0) ELSE (random() * 255)::int END) AS b
  FROM io_images, generate_series(1, 40) k WHERE id <= 8) s;

-- Load every image through binary input (COPY FORMAT binary), one at a time:
-- a rejected image is an ERROR with SQLSTATE 22P03, counted.
CREATE TABLE io_models (id int, m btyd_model);
CREATE TEMP TABLE io_rejects (id int, state text);
DO $$
DECLARE
  r record;
  f text := '/tmp/reactivation_btyd_io_' || pg_backend_pid() || '.bin';
  lo oid;
BEGIN
  FOR r IN SELECT id, img FROM io_images ORDER BY id LOOP
    lo := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || int4send(0) || int4send(0)
                           || int2send(2::int2) || int4send(4) || int4send(r.id)
                           || int4send(length(r.img)) || r.img || int2send((-1)::int2));
    PERFORM lo_export(lo, f);
    PERFORM lo_unlink(lo);
    BEGIN
      EXECUTE format('COPY io_models FROM %L (FORMAT binary)', f);
    EXCEPTION WHEN others THEN
      INSERT INTO io_rejects VALUES (r.id, SQLSTATE);
    END;
  END LOOP;
END $$;
SELECT (SELECT count(*) FROM io_images) AS images,
       (SELECT count(*) FROM io_models) AS accepted,
       (SELECT count(*) FROM io_models) >= 150 AS enough_accepted,
       (SELECT count(*) FROM io_rejects) >= 150 AS enough_rejected,
       (SELECT count(*) FROM io_models) + (SELECT count(*) FROM io_rejects) = (SELECT count(*) FROM io_images) AS all_accounted;
SELECT state, count(*) > 0 AS seen FROM io_rejects GROUP BY state ORDER BY state;

-- the properties: binary image unchanged by binary input; text round trip
-- bit for bit (byte equality, and the same binary image); text output stable
SELECT count(*) FILTER (WHERE btyd_model_send(m) <> i.img) AS binary_changed,
       count(*) FILTER (WHERE m::text::btyd_model <> m) AS text_round_trip_failures,
       count(*) FILTER (WHERE btyd_model_send(m::text::btyd_model) <> i.img) AS text_binary_changed,
       count(*) FILTER (WHERE m::text::btyd_model::text <> m::text) AS text_unstable,
       count(*) FILTER (WHERE m::text ~ 'penalizer=[0-9.]+e-3[0-9][0-9][,)]') AS subnormal_penalizers
FROM io_models JOIN io_images i USING (id);
-- the same through COPY in text format, as pg_dump writes and pg_restore reads
SELECT '/tmp/reactivation_btyd_io_text_' || pg_backend_pid() || '.copy' AS copyfile \gset
COPY io_models TO :'copyfile';
CREATE TABLE io_models_text (LIKE io_models);
COPY io_models_text FROM :'copyfile';
SELECT count(*) AS restored, count(*) FILTER (WHERE a.m = b.m) AS equal
FROM io_models a JOIN io_models_text b USING (id);
DROP TABLE io_images, io_models, io_models_text;
